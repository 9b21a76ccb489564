"""Invoices and credit notes: list, drafts, issuing, crediting, and the stored
documents. Every rule is invoicing.services'; this module only translates."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from fakturera.api.v1.common import (
    ERRORS,
    IDEMPOTENT,
    WRITE_ERRORS,
    actor_of,
    check_id,
    company_of,
    get_or_404,
    one_or_404,
    write,
)
from fakturera.api.v1.errors import NotFoundField
from fakturera.api.v1.schemas import (
    CreditIn,
    ErrorOut,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoicePatch,
    InvoiceQuery,
    IssueIn,
    plain_rate,
)
from fakturera.core.errors import DomainError, StateConflict
from fakturera.core.rows import select_one
from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import document_bytes, document_get
from fakturera.invoicing import selectors, services
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.rules import figures, figures_cash_discount
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.parties.models import Company, Customer, PdfTemplate
from fakturera.payments.selectors import PaymentState, invoices_with_payment_state, payment_state, payment_states

router = Router(tags=["invoices"])

HEADER = ("currency", "language", "payment_terms_days", "cash_discount_percent", "cash_discount_days",
          "buyer_reference", "order_reference", "seller_reference", "note", "email")  # fmt: skip
LINE_OUT = ("id", "position", "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate",
            "account_code", "period_start", "period_end", "basis_item_id", "credited_line_id")  # fmt: skip
SUMMARY_OUT = ("id", "kind", "status", "number", "display_number", "customer_id", "currency", "issued_on", "due_on",
               "payment_reference", "net_amount", "vat_amount", "rounding_amount", "total_amount",
               "credited_invoice_id", "created_at", "issued_at")  # fmt: skip
DETAIL_OUT = ("language", "payment_terms_days", "cash_discount_percent", "cash_discount_days", "cash_discount_until",
              "buyer_reference", "order_reference", "seller_reference", "note", "email", "credit_reason", "seller",
              "buyer", "exchange_rate_on", "sek_vat_amount")  # fmt: skip
CONTENT_TYPES = {DocumentFormat.PDF: "application/pdf", DocumentFormat.UBL: "application/xml"}


def _summary(invoice: Invoice, payment: PaymentState | None = None) -> dict[str, Any]:
    return {
        **{name: getattr(invoice, name) for name in SUMMARY_OUT},
        "customer_name": invoice.customer.name,
        "payment": payment.as_dict() if payment is not None else None,
    }


def _payment_of(company: Company, invoice: Invoice) -> PaymentState | None:
    """An issued invoice's payment state (one indexed read); a draft or credit note has none."""
    if invoice.status == InvoiceStatus.DRAFT or invoice.kind != InvoiceKind.INVOICE:
        return None
    return payment_state(company=company, invoice_id=invoice.pk)


def invoice_out(company: Company, invoice: int | Invoice) -> dict[str, Any]:
    """The invoice with its lines, VAT breakdown, credit notes and history; given an
    Invoice a service just wrote, what it has in hand is not read again."""
    if not isinstance(invoice, Invoice):
        invoice = selectors.invoice_detail(company=company, pk=invoice)
    cached = getattr(invoice, "_prefetched_objects_cache", {})
    events = cached["events"] if "events" in cached else list(invoice.events.select_related("actor"))
    lines = list(invoice.lines.all())
    # A draft stores no breakdown yet: its figures are what issuing it now would store.
    shown = figures(invoice, lines, invoice.vat_breakdown.all(), round_to_whole=company.is_rounding_to_whole_units)
    vat = [
        {
            "vat_category": v.key.category,
            "vat_rate": v.key.rate,
            "taxable_amount": v.taxable_amount,
            "vat_amount": v.vat_amount,
        }
        for v in shown.vat
    ]
    nets = dict(zip((line.pk for line in lines), shown.line_amounts, strict=True))
    discount = figures_cash_discount(invoice, shown)
    return {
        **_summary(invoice, _payment_of(company, invoice)),
        **{name: getattr(invoice, name) for name in DETAIL_OUT},
        "lines": [{**{name: getattr(line, name) for name in LINE_OUT}, "net_amount": nets[line.pk]} for line in lines],
        "vat_breakdown": vat,
        "cash_discount_amount": discount.discount_amount if discount else None,
        "exchange_rate": plain_rate(invoice.exchange_rate) if invoice.exchange_rate is not None else None,
        "credit_note_ids": [note.pk for note in invoice.credit_notes.all()],
        "history": [
            {
                "kind": event.kind,
                "at": event.at,
                "actor": event.actor.get_username() if event.actor else None,
                # Worded in the request's language; `code` and `params` are the event as stored.
                "message": describe(event),
                "details": event.params or {},
                "code": event.kind,
                "params": event.params or {},
            }
            for event in events
        ],
    }


def _invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    return one_or_404(Invoice, company_of(request), invoice_id, related=("customer",))


@router.get("", response={200: InvoicePage, **ERRORS}, summary="List invoices and credit notes")
def invoice_list(request: HttpRequest, query: Query[InvoiceQuery]) -> Any:
    filters = selectors.InvoiceFilter(
        status=query.status or "",
        kind=query.kind or "",
        customer_id=query.customer_id,
        query=query.q,
        issued_from=query.issued_from,
        issued_to=query.issued_to,
        is_overdue=query.is_overdue,
        number_from=query.number_from,
        number_to=query.number_to,
    )
    company = company_of(request)
    qs = selectors.invoice_list(company=company, filters=filters)
    if query.is_overdue:
        # Overdue is past its due date and not paid (invoicing knows only the date).
        qs = invoices_with_payment_state(qs, state="open")
    rows = list(qs[query.offset : query.offset + query.limit])
    # Every invoice's payment state in one query, whatever the page's size.
    states = payment_states(company=company, invoice_ids=[invoice.pk for invoice in rows])
    return {
        "count": qs.count(),
        "limit": query.limit,
        "offset": query.offset,
        "items": [_summary(invoice, states.get(invoice.pk)) for invoice in rows],
    }


@router.post(
    "",
    response={201: InvoiceOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Create a draft (and issue it, with issue: true)",
)
def invoice_create(request: HttpRequest, payload: InvoiceIn) -> HttpResponse:
    company = company_of(request)
    actor = actor_of(request)

    def action() -> dict[str, Any]:
        customer = select_one(
            Customer,
            where="t0.id = %s AND t0.company_id = %s",
            params=[payload.customer_id, company.pk],
            related=("invoice_reference",),
        )
        if customer is None:
            raise NotFoundField(_("There is no customer with this id."), field="customer_id")
        header = {name: value for name, value in payload.model_dump(include=set(HEADER)).items() if value is not None}
        lines = [line.model_dump(exclude_none=True) for line in payload.lines]
        if payload.issue:
            return services.invoice_create_issued(
                company=company, customer=customer, actor=actor, lines=lines, issued_on=payload.issued_on, **header
            )
        if payload.issued_on is not None:
            raise DomainError(_("An invoice date is given only when issuing."), field="issued_on")
        return services.invoice_create_draft(company=company, customer=customer, actor=actor, lines=lines, **header)

    return write(request, status=201, action=action, present=lambda invoice: invoice_out(company, invoice))


@router.get("/{invoice_id}", response={200: InvoiceOut, **ERRORS}, summary="Get an invoice with lines and history")
def invoice_get(request: HttpRequest, invoice_id: int) -> Any:
    check_id(invoice_id)
    try:
        return invoice_out(company_of(request), invoice_id)
    except Invoice.DoesNotExist:
        raise Http404 from None


@router.patch(
    "/{invoice_id}", response={200: InvoiceOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Change a draft"
)
def invoice_update(request: HttpRequest, invoice_id: int, payload: InvoicePatch) -> HttpResponse:
    company = company_of(request)
    invoice = _invoice(request, invoice_id)

    def action() -> dict[str, Any]:
        fields = {name: value for name, value in payload.model_dump(exclude_unset=True).items() if value is not None}
        lines = fields.pop("lines", None)
        if lines is not None:
            lines = [{name: value for name, value in line.items() if value is not None} for line in lines]
        services.invoice_update_draft(invoice=invoice, actor=actor_of(request), lines=lines, **fields)
        return invoice.pk

    return write(request, status=200, action=action, present=lambda pk: invoice_out(company, pk))


@router.delete(
    "/{invoice_id}", response={204: None, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Delete a draft"
)
def invoice_delete(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)

    def action() -> dict[str, Any]:
        services.invoice_delete_draft(invoice=invoice, actor=actor_of(request))
        return {}

    response = write(request, status=204, action=action)
    response.content = b""
    return response


@router.post(
    "/{invoice_id}/issue", response={200: InvoiceOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Issue a draft"
)
def invoice_issue(request: HttpRequest, invoice_id: int, payload: IssueIn | None = None) -> HttpResponse:
    company = company_of(request)
    invoice = _invoice(request, invoice_id)
    issued_on = payload.issued_on if payload else None

    def action() -> Invoice:
        return services.invoice_issue(invoice=invoice, actor=actor_of(request), issued_on=issued_on)

    return write(request, status=200, action=action, present=lambda issued: invoice_out(company, issued))


@router.post(
    "/{invoice_id}/credit",
    response={201: InvoiceOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Credit an issued invoice fully (no lines) or partly; returns the credit note",
)
def invoice_credit(request: HttpRequest, invoice_id: int, payload: CreditIn | None = None) -> HttpResponse:
    company = company_of(request)
    invoice = _invoice(request, invoice_id)
    payload = payload or CreditIn()

    def action() -> dict[str, Any]:
        quantities = None
        if payload.lines is not None:
            quantities = {}
            for index, line in enumerate(payload.lines):
                if line.line_id in quantities:
                    raise DomainError(_("This line is listed twice."), field=f"lines.{index}.line_id")
                quantities[line.line_id] = line.quantity
        note = services.credit_note_create(
            invoice=invoice,
            actor=actor_of(request),
            quantities=quantities,
            reason=payload.reason,
            issued_on=payload.issued_on,
            return_to_basis=payload.return_to_basis,
        )
        return note.pk

    return write(request, status=201, action=action, present=lambda pk: invoice_out(company, pk))


def _document(request: HttpRequest, invoice_id: int, fmt: str, template: str | None) -> HttpResponse:
    invoice = get_or_404(Invoice.objects.select_related("company"), company_of(request), invoice_id)
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.CREDITED):
        raise StateConflict(_("A draft has no documents yet; issue it first."), code="not_issued")
    document = document_get(invoice=invoice, fmt=fmt, template=template)
    response = HttpResponse(document_bytes(document), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["ETag"] = f'"{document.sha256}"'
    return response


def _binary(content_type: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": "The stored document",
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


PdfTemplateCode = Literal[tuple(PdfTemplate.values)]  # type: ignore[valid-type]


@router.get(
    "/{invoice_id}/pdf",
    response={409: ErrorOut, **ERRORS},
    summary="The stored PDF of an issued invoice",
    openapi_extra=_binary("application/pdf"),
)
def invoice_pdf(request: HttpRequest, invoice_id: int, template: PdfTemplateCode | None = None) -> HttpResponse:
    return _document(request, invoice_id, DocumentFormat.PDF, template)


@router.get(
    "/{invoice_id}/ubl",
    response={409: ErrorOut, **ERRORS},
    summary="The stored Peppol BIS Billing 3.0 UBL of an issued invoice",
    openapi_extra=_binary("application/xml"),
)
def invoice_ubl(request: HttpRequest, invoice_id: int) -> HttpResponse:
    return _document(request, invoice_id, DocumentFormat.UBL, None)
