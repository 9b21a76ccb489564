"""Kravhantering: the overdue invoices due for their next reminder level today, with what each
reminder will say (level, fee, interest, new due date), those held back and why, and the
warnings of the run; staff send the selected ones, or all due, through distribution with its
undo window (collections.run). The daily job sends the same reminders for companies that let it.

The tab "Interest invoices" lists what invoices paid late owe (collections.interest_invoices):
staff issue the selected proposals as interest invoices, or dismiss them with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from fakturera.collections.interest_invoices import interest_charges_dismiss, interest_invoices_issue
from fakturera.collections.run import (
    HELD_BELOW_MINIMUM,
    HELD_NOT_DELIVERED,
    HELD_PAUSED,
    HELD_PAYMENT_WAITING,
    reminders_assess,
    reminders_run,
)
from fakturera.collections.selectors import interest_charge_list
from fakturera.collections.states import InterestChargeState
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
        "tab": "due",
        "interest_proposed_count": interest_charge_list(company=company, state=InterestChargeState.PROPOSED).count(),
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


def _ids(values: list[str]) -> list[int]:
    # Only what can be a row's id: anything else selects nothing rather than failing the query.
    return [int(value) for value in values if value.isdigit() and int(value) < 2**63]


@require_GET
@staff_view()
def interest_invoices(request: HttpRequest) -> HttpResponse:
    company = request.company
    state = request.GET.get("state", InterestChargeState.PROPOSED)
    if state not in InterestChargeState.values:
        state = InterestChargeState.PROPOSED
    page = Paginator(interest_charge_list(company=company, state=state), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "section": "reminders",
        "tab": "interest",
        "state": state,
        "states": InterestChargeState.choices,
        "page": page,
        "rows": list(page.object_list),
        "interest_proposed_count": interest_charge_list(company=company, state=InterestChargeState.PROPOSED).count(),
    }
    return render(request, "staff/reminders/interest.html", context)


@require_POST
@staff_view(role="accountant")
def interest_invoices_decide(request: HttpRequest) -> HttpResponse:
    """Issue the selected proposals as interest invoices (sent as the customer's invoices go), or
    dismiss them with the reason given (in each paid invoice's history)."""
    company = request.company
    charge_ids = _ids(request.POST.getlist("charge"))
    if not charge_ids:
        messages.error(request, _("Select at least one interest invoice."))
        return redirect("staff:interest_invoices")
    try:
        if request.POST.get("action") == "dismiss":
            count = interest_charges_dismiss(
                company=company, actor=request.user, charge_ids=charge_ids, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("%(count)s interest invoices dismissed.") % {"count": count})
            return redirect("staff:interest_invoices")
        result = interest_invoices_issue(company=company, actor=request.user, charge_ids=charge_ids)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:interest_invoices")
    messages.success(
        request,
        _("%(count)s interest invoices issued: %(numbers)s.")
        % {"count": len(result.issued), "numbers": ", ".join(result.issued.values())},
    )
    for why in sorted(set(result.not_sent.values())):
        messages.warning(request, _("Not sent: %(why)s") % {"why": why})
    return redirect(reverse("staff:interest_invoices") + "?state=" + InterestChargeState.ISSUED)
