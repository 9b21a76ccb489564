"""Payments: list, read, register, allocate, undo; bank files uploaded and their import records.
Every rule is payments.services' and payments.importing's; this module only translates."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile

from fakturera.api.v1.common import (
    ERRORS,
    IDEMPOTENT,
    WRITE_ERRORS,
    actor_of,
    company_of,
    get_or_404,
    page,
    render,
    write,
)
from fakturera.api.v1.errors import NotFoundField
from fakturera.api.v1.schemas import (
    AllocateIn,
    FileRefusalOut,
    PaymentImportOut,
    PaymentIn,
    PaymentOut,
    PaymentPage,
    PaymentQuery,
    ReasonIn,
)
from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.parties.models import Company
from fakturera.payments import selectors, services
from fakturera.payments.files import FileRefused
from fakturera.payments.importing import payments_import, refusal_message
from fakturera.payments.models import Payment, PaymentImport
from fakturera.payments.states import PaymentSource

router = Router(tags=["payments"])
files = Router(tags=["payments"])
imports = Router(tags=["payments"])

# A bank file of fifty thousand payments is a few MB; this is far above any real one.
MAX_FILE_BYTES = 50 * 1024 * 1024
PAYMENT_OUT = ("id", "status", "amount", "currency", "booked_on", "value_on", "method", "source", "customer_id",
               "payer_name", "reference", "message", "match", "allocated_amount", "days_late", "is_double",
               "payment_import_id", "position", "created_at", "reversed_at", "reversal_reason")  # fmt: skip

IMPORT_OUT = ("id", "created_at", "via", "filename", "sha256", "size", "format", "version", "message_id", "account",
              "is_test", "transaction_count", "booked_count", "matched_count", "unmatched_count", "skipped_count",
              "ignored_count", "totals", "warnings", "same_file_as_id")  # fmt: skip


def payments_out(payments: Sequence[Payment]) -> list[dict[str, Any]]:
    """The payments with their allocations, read in one query for all of them."""
    allocations = selectors.live_allocations_by_payment(payment_ids=[payment.pk for payment in payments])
    return [
        {**{name: getattr(payment, name) for name in PAYMENT_OUT}, "allocations": allocations.get(payment.pk, [])}
        for payment in payments
    ]


def payment_out(company: Company, payment_id: int) -> dict[str, Any]:
    return payments_out([get_or_404(Payment.objects.all(), company, payment_id)])[0]


def _not_found_as_field(exc: services.NotFound, fields: dict[str, str]) -> DomainError:
    """payments' NotFound of an id the body gave: a 422 naming the body's field."""
    field = fields.get(exc.field or "", exc.field)
    return NotFoundField(exc.message, field=field)


@router.get("", response={200: PaymentPage, **ERRORS}, summary="List payments")
def payment_list(request: HttpRequest, query: Query[PaymentQuery]) -> Any:
    qs = selectors.payment_list_api(
        company=company_of(request),
        status=query.status or "",
        booked_from=query.booked_from,
        booked_to=query.booked_to,
        invoice_id=query.invoice_id,
    )
    found = page(qs, limit=query.limit, offset=query.offset, item=lambda payment: payment)
    found["items"] = payments_out(found["items"])
    return found


@router.get("/{payment_id}", response={200: PaymentOut, **ERRORS}, summary="Get a payment with its allocations")
def payment_get(request: HttpRequest, payment_id: int) -> Any:
    return payment_out(company_of(request), payment_id)


@router.post(
    "",
    response={201: PaymentOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Register a payment: on an invoice, by its payment reference, for a customer, or unmatched",
)
def payment_create(request: HttpRequest, payload: PaymentIn) -> HttpResponse:
    company = company_of(request)

    def action() -> int:
        try:
            payment = services.payment_register(
                company=company,
                actor=actor_of(request),
                amount=payload.amount,
                currency=payload.currency,
                booked_on=payload.booked_on,
                method=payload.method,
                invoice_id=payload.invoice_id,
                customer_id=payload.customer_id,
                reference=payload.reference,
                payer_name=payload.payer_name,
                message=payload.message,
                source=PaymentSource.API,
            )
        except services.NotFound as exc:
            raise _not_found_as_field(exc, {"invoice": "invoice_id", "customer": "customer_id"}) from None
        return payment.pk

    return write(request, status=201, action=action, present=lambda pk: payment_out(company, pk))


@router.post(
    "/{payment_id}/allocations",
    response={200: PaymentOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Put an unmatched payment or a customer's credit on invoices",
)
def payment_allocations(request: HttpRequest, payment_id: int, payload: AllocateIn) -> HttpResponse:
    company = company_of(request)
    payment = get_or_404(Payment.objects.all(), company, payment_id)
    wanted = [(allocation.invoice_id, allocation.amount) for allocation in payload.allocations]

    def action() -> int:
        try:
            services.payment_allocate(
                company=company, actor=actor_of(request), payment_id=payment.pk, allocations=wanted
            )
        except services.NotFound as exc:
            raise _not_found_as_field(exc, _allocation_fields(wanted, "invoice_id")) from None
        except DomainError as exc:
            fields = _allocation_fields(wanted, "amount")
            if exc.field in fields:
                exc.field = fields[exc.field]
            if isinstance(exc, ValidationFailed):
                exc.errors = {fields.get(name, name): messages for name, messages in exc.errors.items()}
            raise
        return payment.pk

    return write(request, status=200, action=action, present=lambda pk: payment_out(company, pk))


def _allocation_fields(wanted: list[tuple[int, Any]], name: str) -> dict[str, str]:
    """The service names an allocation `amount_<invoice id>`; the body, `allocations.<index>.<name>`."""
    return {f"amount_{invoice_id}": f"allocations.{index}.{name}" for index, (invoice_id, _a) in enumerate(wanted)}


@router.post(
    "/{payment_id}/reverse",
    response={200: PaymentOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Undo a payment registered by mistake (by hand or through the API)",
)
def payment_reverse(request: HttpRequest, payment_id: int, payload: ReasonIn | None = None) -> HttpResponse:
    company = company_of(request)
    payment = get_or_404(Payment.objects.all(), company, payment_id)
    reason = payload.reason if payload else ""

    def action() -> int:
        services.payment_reverse(company=company, actor=actor_of(request), payment_id=payment.pk, reason=reason)
        return payment.pk

    return write(request, status=200, action=action, present=lambda pk: payment_out(company, pk))


@router.post(
    "/{payment_id}/unallocate",
    response={200: PaymentOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Take a payment off its invoices, back to the unmatched payments",
)
def payment_unallocate(request: HttpRequest, payment_id: int, payload: ReasonIn | None = None) -> HttpResponse:
    company = company_of(request)
    payment = get_or_404(Payment.objects.all(), company, payment_id)
    reason = payload.reason if payload else ""

    def action() -> int:
        services.payment_unallocate(company=company, actor=actor_of(request), payment_id=payment.pk, reason=reason)
        return payment.pk

    return write(request, status=200, action=action, present=lambda pk: payment_out(company, pk))


# --- bank files ------------------------------------------------------------------------------------


def import_out(record: PaymentImport) -> dict[str, Any]:
    skipped = selectors.payment_import_skipped(record=record)
    return {
        **{name: getattr(record, name) for name in IMPORT_OUT},
        "created_by": record.created_by.get_username() if record.created_by else None,
        "payment_ids": list(selectors.payment_import_lines(record=record).values_list("pk", flat=True)),
        "skipped": [
            {
                "position": line.get("position") or "",
                "reason": line.get("reason") or "",
                "amount": line.get("amount"),
                "currency": line.get("currency") or "",
                "reference": line.get("reference") or "",
                "payment_id": line.get("payment_id"),
            }
            for line in skipped
        ],
    }


def _import_of(company: Company, import_id: int) -> dict[str, Any]:
    return import_out(get_or_404(PaymentImport.objects.select_related("created_by"), company, import_id))


def _upload_fingerprint(request: HttpRequest, upload: UploadedFile) -> str:
    """What identifies an upload for Idempotency-Key: the path, the file's name and its bytes
    (the multipart body itself is consumed by then)."""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), (upload.name or "").encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@files.post(
    "",
    response={201: PaymentImportOut, 422: FileRefusalOut, **{k: v for k, v in WRITE_ERRORS.items() if k != 422}},
    openapi_extra=IDEMPOTENT,
    summary="Import a bank file (camt.053, camt.054, BgMax or an Autogiro report) as multipart field `file`",
)
def payment_file_upload(request: HttpRequest, file: File[UploadedFile]) -> HttpResponse:
    company = company_of(request)
    if file.size is not None and file.size > MAX_FILE_BYTES:
        return _error(
            413,
            "too_large",
            _("The file is larger than %(mb)s MB; a bank file is far smaller.") % {"mb": MAX_FILE_BYTES // 1_048_576},
        )

    def action() -> int:
        record = payments_import(
            source=file.file, filename=file.name or "", actor=actor_of(request), company=company, via=PaymentSource.API
        )
        return record.pk

    try:
        return write(
            request,
            status=201,
            action=action,
            present=lambda pk: _import_of(company, pk),
            fingerprint=_upload_fingerprint(request, file),
        )
    except FileRefused as exc:
        return _error(422, exc.code or "refused", refusal_message(exc), field="file", line=exc.line, path=exc.path)


def _error(status: int, code: str, message: str, *, field: str | None = None, **where: Any) -> HttpResponse:

    body = {"code": code, "message": message, "field": field, "errors": {field: [message]} if field else {}}
    if where:
        body.update(where)
    return HttpResponse(render({"error": body}), status=status, content_type="application/json")


@imports.get("/{import_id}", response={200: PaymentImportOut, **ERRORS}, summary="Get a bank file's import record")
def payment_import_get(request: HttpRequest, import_id: int) -> Any:
    return _import_of(company_of(request), import_id)
