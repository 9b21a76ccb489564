"""Debt collection (Kravhantering → Inkasso): the invoices ready to be handed over (their last
reminder's deadline passed unpaid), the claims handed over, exported and undone; staff hand
over, export for the collection agency (CSV or XLSX) and undo a hand-over with a reason
(collections.collection_agency)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fakturera.collections.collection_agency import (
    claim_list,
    claim_undo,
    claims_export,
    claims_hand_over_selected,
)
from fakturera.collections.run import reminders_assess
from fakturera.collections.states import CollectionClaimState
from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.parties.selectors import customer_kinds_and_names
from fakturera.parties.tenancy import staff_view


def _ids(values: list[str]) -> list[int]:
    # Only what can be an id: anything else selects nothing rather than failing the query.
    return [int(value) for value in values if value.isdigit() and int(value) < 2**63]


@require_GET
@staff_view()
def debt_collection(request: HttpRequest) -> HttpResponse:
    company = request.company
    today = timezone.localdate()
    ready = reminders_assess(company=company, on=today).collection_ready
    names = customer_kinds_and_names(company_id=company.pk, customer_ids={r.claim.customer_id for r in ready})
    claims = claim_list(company=company)
    by_state: dict[str, list] = {state: [] for state in CollectionClaimState.values}
    for claim in claims:
        by_state[claim["state"]].append(claim)
    context = {
        "section": "reminders",
        "today": today,
        "ready": [{"ready": r, "customer": names.get(r.claim.customer_id, ("", ""))[1]} for r in ready],
        "handed_over": by_state[CollectionClaimState.HANDED_OVER],
        "exported": by_state[CollectionClaimState.EXPORTED],
        "undone": by_state[CollectionClaimState.UNDONE],
    }
    return render(request, "staff/reminders/debt_collection.html", context)


@require_POST
@staff_view(role="accountant")
def hand_over(request: HttpRequest) -> HttpResponse:
    invoice_ids = _ids(request.POST.getlist("invoice"))
    try:
        done = claims_hand_over_selected(company=request.company, actor=request.user, invoice_ids=invoice_ids)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:debt_collection")
    messages.success(request, _("%(count)s invoices handed over to debt collection.") % {"count": len(done)})
    return redirect("staff:debt_collection")


@require_POST
@staff_view(role="accountant")
def export(request: HttpRequest) -> HttpResponse:
    """The file for the collection agency: the selected claims (exported ones again, if chosen),
    or every claim handed over and not yet exported. They are marked exported."""
    selected = _ids(request.POST.getlist("claim"))
    try:
        made = claims_export(
            company=request.company,
            actor=request.user,
            file_format=request.POST.get("format", ""),
            claim_ids=selected or None,
        )
    except ValidationFailed as exc:
        messages.error(request, " ".join(message for errors in exc.errors.values() for message in errors))
        return redirect("staff:debt_collection")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:debt_collection")
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response


@require_POST
@staff_view(role="accountant")
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        claim_undo(company=request.company, actor=request.user, claim_id=pk, reason=request.POST.get("reason", ""))
    except ValidationFailed as exc:
        messages.error(request, " ".join(message for errors in exc.errors.values() for message in errors))
        return redirect("staff:debt_collection")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:debt_collection")
    messages.success(request, _("The hand-over was undone; the invoice is no longer with debt collection."))
    return redirect("staff:debt_collection")
