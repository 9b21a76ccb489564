"""Debt collection: the invoices ready to be handed over, the claims handed over, a hand-over,
its undo with a reason, and the export for the collection agency (CSV or XLSX). Every rule is
collections.collection_agency's; this module only translates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from fakturera.api.v1.common import ERRORS, IDEMPOTENT, WRITE_ERRORS, actor_of, company_of, key_of, write
from fakturera.api.v1.schemas import BodyId, BodyIn, required_text
from fakturera.collections.collection_agency import (
    ClaimNotFound,
    claim_data,
    claim_list,
    claim_undo,
    claims_export,
    claims_hand_over_selected,
)
from fakturera.collections.run import reminders_assess
from fakturera.core.errors import PermissionDenied
from fakturera.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE

router = Router(tags=["collections"])

ClaimState = Literal["handed_over", "exported", "undone"]


class ClaimOut(Schema):
    id: int
    invoice_id: int
    customer_id: int
    number: str
    state: ClaimState
    handed_over_on: dt.date
    due_on: dt.date | None
    currency: str
    open_amount: Decimal = Field(description="Open when handed over")
    last_level: int
    exported_at: dt.datetime | None
    undone_at: dt.datetime | None
    undo_reason: str


class ClaimQuery(Schema):
    state: ClaimState | None = None


class ReadyOut(Schema):
    invoice_id: int
    customer_id: int
    number: str
    currency: str
    due_on: dt.date
    open_amount: Decimal
    last_level: int
    deadline_on: dt.date = Field(description="The last reminder's deadline; handed over from the day after")


class HandOverIn(BodyIn):
    invoice_ids: list[BodyId] = Field(..., min_length=1, max_length=10000)


class UndoIn(BodyIn):
    reason: required_text(300)


class ExportIn(BodyIn):
    format: Literal["csv", "xlsx"]
    claim_ids: list[BodyId] | None = Field(
        None, max_length=10000, description="These claims (exported ones again); empty: every one not yet exported"
    )


def _claims(company: Any, ids: list[int]) -> list[dict[str, Any]]:
    return claim_data(company_id=company.pk, claim_ids=ids)


@router.get("", response={200: list[ClaimOut], **ERRORS}, summary="The claims handed over to debt collection")
def claims(request: HttpRequest, query: Query[ClaimQuery]) -> Any:
    return claim_list(company=company_of(request), state=query.state or "")


@router.get(
    "/ready",
    response={200: list[ReadyOut], **ERRORS},
    summary="The overdue invoices ready for debt collection (their last reminder's deadline has passed)",
)
def ready(request: HttpRequest) -> Any:
    found = reminders_assess(company=company_of(request), on=timezone.localdate()).collection_ready
    return [
        {
            "invoice_id": r.claim.invoice_id,
            "customer_id": r.claim.customer_id,
            "number": r.claim.number,
            "currency": r.claim.currency,
            "due_on": r.claim.due_on,
            "open_amount": r.claim.open_amount,
            "last_level": r.last_level,
            "deadline_on": r.deadline_on,
        }
        for r in found
    ]


@router.post(
    "",
    response={201: list[ClaimOut], **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Hand invoices over to debt collection",
    description="Only those ready (409 when none is); an invoice handed over before is not handed over twice. "
    "Each gets an entry in its history and the webhook invoice.sent_to_collection.",
)
def hand_over(request: HttpRequest, payload: HandOverIn) -> HttpResponse:
    company = company_of(request)

    def action() -> list[int]:
        return claims_hand_over_selected(company=company, actor=actor_of(request), invoice_ids=payload.invoice_ids)

    return write(request, status=201, action=action, present=lambda ids: _claims(company, ids))  # type: ignore[arg-type,return-value]


@router.post(
    "/{claim_id}/undo",
    response={200: ClaimOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Undo a hand-over before it is exported, with a reason (409 once exported or undone)",
)
def undo(request: HttpRequest, claim_id: int, payload: UndoIn) -> HttpResponse:
    company = company_of(request)

    def action() -> int:
        try:
            return claim_undo(company=company, actor=actor_of(request), claim_id=claim_id, reason=payload.reason).pk
        except ClaimNotFound:
            raise Http404 from None

    return write(request, status=200, action=action, present=lambda pk: _claims(company, [pk])[0])


EXPORT_RESPONSE = {
    "responses": {
        "200": {
            "description": "The file for the collection agency: a header row in the installation's language, a row "
            "of the column keys, then one row per claim",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


@router.post(
    "/export",
    response={**WRITE_ERRORS},
    openapi_extra=EXPORT_RESPONSE,
    summary="Export claims for the collection agency as CSV or XLSX (marks them exported)",
    description="Columns: the creditor, the debtor (name, kind, organisation or personal identity number, "
    "address, e-mail, phone, customer number), the invoice (number, date, due date, OCR reference), the original "
    "amount, paid so far, remaining principal, currency, reminder fees charged, the interest basis, rate and "
    "first day, the reminders sent, disputes and pauses, and the day handed over.",
)
def export(request: HttpRequest, payload: ExportIn) -> HttpResponse:
    if key_of(request).is_read_only:
        raise PermissionDenied(_("This API key is read-only."), code="read_only_key")
    made = claims_export(
        company=company_of(request), actor=actor_of(request), file_format=payload.format, claim_ids=payload.claim_ids
    )
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response
