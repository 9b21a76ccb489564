"""Kravhantering: the overdue invoices due for their next reminder level today, with what each
reminder will say (level, fee, interest, new due date), those held back and why, and the
warnings of the run; staff send the selected ones, or all due, through distribution with its
undo window (collections.run). The daily job sends the same reminders for companies that let it."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from fakturera.collections.run import (
    HELD_BELOW_MINIMUM,
    HELD_NOT_DELIVERED,
    HELD_PAUSED,
    HELD_PAYMENT_WAITING,
    reminders_assess,
    reminders_run,
)
from fakturera.core.errors import DomainError
from fakturera.parties.selectors import customer_kinds_and_names
from fakturera.parties.tenancy import staff_view

PER_PAGE = 100
HELD_REASONS = {
    HELD_PAUSED: gettext_lazy("Reminders paused"),
    HELD_BELOW_MINIMUM: gettext_lazy("Below the smallest amount reminded"),
    HELD_PAYMENT_WAITING: gettext_lazy("A payment from this payer waits among the unmatched"),
    HELD_NOT_DELIVERED: gettext_lazy("Previous reminder not yet delivered"),
}


@require_GET
@staff_view()
def reminders(request: HttpRequest) -> HttpResponse:
    company = request.company
    today = timezone.localdate()
    assessment = reminders_assess(company=company, on=today)
    level = request.GET.get("level", "")
    query = request.GET.get("q", "").strip().lower()
    customer_ids = {due.claim.customer_id for due in assessment.due}
    names = {
        pk: name
        for pk, (_kind, name) in customer_kinds_and_names(company_id=company.pk, customer_ids=customer_ids).items()
    }
    due = [
        d
        for d in assessment.due
        if (not level or str(d.level.number) == level)
        and (not query or query in names.get(d.claim.customer_id, "").lower() or query in d.claim.number.lower())
    ]
    page = Paginator(due, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "due": d,
            "customer": names.get(d.claim.customer_id, ""),
            "days_overdue": (today - d.claim.due_on).days,
        }
        for d in page.object_list
    ]
    held = sorted(assessment.held.items())
    context = {
        "section": "reminders",
        "today": today,
        "page": page,
        "rows": rows,
        "count": len(due),
        "levels": sorted({d.level.number for d in assessment.due}),
        "level": level,
        "q": request.GET.get("q", ""),
        "held": [(invoice_id, HELD_REASONS.get(reason, reason)) for invoice_id, reason in held],
        "warnings": assessment.warnings,
        "overdue_count": assessment.overdue_count,
    }
    return render(request, "staff/reminders/list.html", context)


@require_POST
@staff_view(role="accountant")
def reminders_send(request: HttpRequest) -> HttpResponse:
    """Send the selected reminders (or every one due): what is due is decided again here, so a
    reminder given meanwhile (the daily job, a colleague) is not given twice."""
    company = request.company
    if request.POST.get("all") == "1":
        invoice_ids = None
    else:
        # Only what can be an invoice's id: anything else (text, a number past the column's range)
        # selects nothing rather than failing the query.
        invoice_ids = [
            int(value) for value in request.POST.getlist("invoice") if value.isdigit() and int(value) < 2**63
        ]
        if not invoice_ids:
            messages.error(request, _("Select at least one reminder to send."))
            return redirect("staff:reminders")
    try:
        result = reminders_run(company=company, actor=request.user, invoice_ids=invoice_ids)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:reminders")
    for warning in result.assessment.warnings:
        messages.warning(request, warning)
    messages.success(
        request,
        _("%(queued)s reminders waiting to be sent, %(tasks)s given as staff tasks, %(unsent)s not sent.")
        % {"queued": result.queued, "tasks": result.tasks, "unsent": len(result.not_sent)},
    )
    if len(result.batch_ids) == 1:
        return redirect("staff:send_detail", pk=result.batch_ids[0])
    return redirect("staff:reminders")
