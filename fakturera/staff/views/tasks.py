"""Background tasks that failed for good (core/tasks.py, "Retries"): administrators see their
company's, with the error's last line (the traceback stays in the log), and run one again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fakturera.core.tasks import error_line, task_rerun, tasks_failed
from fakturera.parties.tenancy import staff_view

# What each task does, in the staff's words.
TASK_NAMES = {
    "fakturera.documents.tasks.render_documents": gettext_lazy("Rendering invoice documents (PDF, Peppol)"),
    "fakturera.courses.tasks.send_approval_mail": gettext_lazy("E-mail asking a manager to approve a registration"),
    "fakturera.webhooks.tasks.deliver_webhooks": gettext_lazy("Webhook deliveries"),
}
SHOWN = 200


@staff_view(role="admin")
def failed_tasks(request: HttpRequest) -> HttpResponse:
    rows = list(tasks_failed(company_id=request.company.pk)[:SHOWN])
    tasks = [
        {
            "id": row.pk,
            "name": TASK_NAMES.get(row.task_path, row.task_path.rsplit(".", 1)[-1]),
            "failed_at": row.finished_at,
            "attempts": row.args_kwargs.get("attempt", 1),
            "error": error_line(row),
        }
        for row in rows
    ]
    return render(request, "staff/company/tasks.html", {"section": "settings", "tasks": tasks})


@require_POST
@staff_view(role="admin")
def failed_task_rerun(request: HttpRequest, task_id: str) -> HttpResponse:
    if task_rerun(task_id=task_id, company_id=request.company.pk) is None:
        messages.error(request, _("This task is not among the failed ones any more; it may have been run again."))
    else:
        messages.success(request, _("The task will run again in a moment."))
    return redirect("staff:failed_tasks")
