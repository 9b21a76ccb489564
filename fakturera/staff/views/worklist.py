"""Tasks and notifications: the task list (mine, the team's, all; filtered), done and undone
(htmx swaps the row), the notifications page with the user's e-mail choice, and the company's
billing-task setting. Each POST calls one worklist service."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from fakturera.core.errors import DomainError
from fakturera.parties.tenancy import staff_view
from fakturera.staff.forms.worklist import EmailModeForm, TaskFilterForm, WorklistSettingsForm
from fakturera.staff.forms_errors import add_domain_error
from fakturera.staff.listing import Column, paginate
from fakturera.worklist import selectors, services
from fakturera.worklist.selectors import SCOPES

PAGE_SIZE = 50
TASK_COLUMNS = [
    Column("due", _l("Due"), ("due_on",)),
    Column("priority", _l("Priority"), ("priority",)),
    Column("task", _l("Task")),
    Column("customer", _l("Customer"), ("customer__name",)),
    Column("assignee", _l("Assigned to"), ("assignee__username",)),
    Column("state", _l("State"), ("state",)),
    Column("action", ""),
]


@require_GET
@staff_view()
def task_list(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in SCOPES else "mine"
    form = TaskFilterForm(request.GET or None)
    tasks = selectors.task_list(company=request.company, user=request.user, filters=form.to_filter(scope))
    listing = paginate(request, tasks, columns=TASK_COLUMNS, default_sort="due", per_page=PAGE_SIZE)
    context = {
        "section": "tasks",
        "scope": scope,
        "form": form,
        "listing": listing,
        "page": listing.page,
        "today": timezone.localdate(),
    }
    return render(request, "staff/worklist/list.html", context)


def _answer(request: HttpRequest, task_id: int, done: str) -> HttpResponse:
    task = selectors.task_detail(company=request.company, pk=task_id)
    if not request.htmx:
        messages.success(request, done)
        return redirect(request.POST.get("next") or reverse("staff:task_list"))
    context = {"task": task, "today": timezone.localdate(), "next": request.POST.get("next", "")}
    return render(request, "staff/worklist/_row.html", context)


def _act(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    try:
        action(company=request.company, actor=request.user, task_id=pk)
    except services.TaskNotFound:
        from django.http import Http404

        raise Http404 from None
    except DomainError as exc:
        if request.htmx:
            return HttpResponseBadRequest(exc.message)
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or reverse("staff:task_list"))
    return _answer(request, pk, done)


@require_POST
@staff_view()
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.task_done, _("The task is done."))


@require_POST
@staff_view()
def task_undo(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.task_undo, _("The task is open again."))


@staff_view(write=False)
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's own notifications and e-mail choice: theirs to change, whatever their role."""
    form = EmailModeForm(initial={"email_mode": selectors.email_mode_of(user=request.user)})
    if request.method == "POST":
        if request.POST.get("action") == "read_all":
            services.notifications_mark_read(company=request.company, user=request.user)
            return redirect("staff:notification_list")
        form = EmailModeForm(request.POST)
        if form.is_valid():
            try:
                services.notification_preference_save(user=request.user, email_mode=form.cleaned_data["email_mode"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Your choice was saved."))
                return redirect("staff:notification_list")
    notes = list(selectors.notification_list(company=request.company, user=request.user)[:200])
    context = {"section": "notifications", "notifications": notes, "form": form}
    return render(request, "staff/worklist/notifications.html", context, status=400 if form.errors else 200)


@staff_view(role="admin")
def worklist_settings(request: HttpRequest) -> HttpResponse:
    current = services.worklist_settings_of(request.company)
    initial = {"billing_tasks": current.billing_tasks, "billing_task_min_amount": current.billing_task_min_amount}
    form = WorklistSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.worklist_settings_save(
                company=request.company,
                billing_tasks=form.cleaned_data["billing_tasks"],
                billing_task_min_amount=form.cleaned_data["billing_task_min_amount"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The settings were saved."))
            return redirect("staff:worklist_settings")
    context = {"section": "settings", "form": form}
    return render(request, "staff/worklist/settings.html", context, status=400 if form.errors else 200)
