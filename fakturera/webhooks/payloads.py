"""What each webhook event's `data` says: built from the publishers' event data
(core.events) by the subscribers, and stored in the delivery as it is sent."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from fakturera.core.bulk import any_of


def invoice_payload(invoice: Any) -> dict[str, Any]:
    """What an invoice event says about an invoice or credit note."""
    return {
        "id": invoice.pk,
        "kind": invoice.kind,
        "number": invoice.display_number,
        "status": invoice.status,
        "customer_id": invoice.customer_id,
        "currency": invoice.currency,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "net_amount": invoice.net_amount,
        "vat_amount": invoice.vat_amount,
        "total_amount": invoice.total_amount,
        "payment_reference": invoice.payment_reference,
        "credited_invoice_id": invoice.credited_invoice_id,
    }


def invoice_credited_payload(*, invoice: Any, credit_note: Any, is_full: bool) -> dict[str, Any]:
    return {"invoice": invoice_payload(invoice), "credit_note": invoice_payload(credit_note), "is_full": is_full}


def invoice_exported_payload(invoice: Any, ubl: bytes | None) -> dict[str, Any]:
    """The invoice handed to an accounting system: the invoice event's fields and its UBL."""
    return {
        **invoice_payload(invoice),
        "ubl": base64.b64encode(ubl or b"").decode(),
        "ubl_filename": f"{invoice.display_number}.xml",
    }


def course_basis_payload(*, scope: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The basis report's choice (occurrence, dates ...) and its rows."""
    return {**scope, "rows": rows}


PAYMENT_FIELDS = ("id", "status", "amount", "currency", "booked_on", "value_on", "method", "source", "payer_name",
                  "reference", "message", "match", "customer_id", "allocated_amount", "days_late", "is_double",
                  "payment_import_id", "position")  # fmt: skip


def payment_payloads(*, company_id: int, payment_ids: list[int]) -> Iterator[dict[str, Any]]:
    """One body per payment: its fields, what it was put on (allocations) and the payment state
    of each of those invoices. Read in three queries whatever the number of payments, and only
    when an endpoint listens (webhook_events draws on this generator only then)."""
    from fakturera.payments.models import Payment
    from fakturera.payments.selectors import live_allocations_by_payment, payment_states

    payments = list(Payment.objects.filter(Q(company_id=company_id) & any_of(Payment, payment_ids)).order_by("pk"))
    allocations = live_allocations_by_payment(payment_ids=[payment.pk for payment in payments])
    invoice_ids = {a["invoice_id"] for found in allocations.values() for a in found if a["invoice_id"]}
    states = payment_states(company=company_id, invoice_ids=invoice_ids)
    for payment in payments:
        yield {
            **{name: getattr(payment, name) for name in PAYMENT_FIELDS},
            "allocations": [
                {
                    **allocation,
                    "invoice_payment": states[allocation["invoice_id"]].as_dict()
                    if allocation["invoice_id"] in states
                    else None,
                }
                for allocation in allocations.get(payment.pk, [])
            ],
        }


def invoice_payment_payloads(*, company_id: int, invoice_ids: list[int]) -> Iterator[dict[str, Any]]:
    """invoice.paid, invoice.overpaid: one body per invoice, its number and its payment state."""
    from fakturera.payments.selectors import payment_states

    states = payment_states(company=company_id, invoice_ids=invoice_ids)
    for invoice_id in sorted(states):
        state = states[invoice_id]
        yield {
            "invoice_id": invoice_id,
            "number": state.number,
            "currency": state.currency,
            "total_amount": state.total_amount,
            "due_on": state.due_on,
            "payment": state.as_dict(),
        }


def reminded_payloads(
    *, company_id: int, invoice_ids: list[int], purpose: str, history: dict[int, Any]
) -> Iterator[dict[str, Any]]:
    """invoice.reminded: the delivery's facts as for invoice.sent, and the reminder collections
    gave (its level, fee, interest and new due date), read in one query and only when an
    endpoint listens; `reminder` is None for a reminder sent by hand (distribution's path)."""
    from fakturera.collections.selectors import reminders_given_latest

    given = reminders_given_latest(company_id=company_id, invoice_ids=invoice_ids)
    for invoice_id in invoice_ids:
        row = given.get(invoice_id)
        yield {
            "invoice_id": invoice_id,
            "purpose": purpose,
            "delivery": history.get(invoice_id, {}),
            "reminder": {
                "id": row.pk,
                "level": row.level,
                "currency": row.currency,
                "open_amount": row.open_amount,
                "fee_amount": row.fee_amount,
                "fee_kind": row.fee_kind,
                "interest_amount": row.interest_amount,
                "interest_until": row.interest_until,
                "new_due_on": row.new_due_on,
            }
            if row is not None
            else None,
        }


def task_payloads(*, company_id: int, task_ids: list[int], **extra: Any) -> Iterator[dict[str, Any]]:
    """task.opened, task.closed: one body per task, its data (worklist.selectors.task_data), the
    tasks read in one query whatever their number."""
    from fakturera.worklist.selectors import task_data, tasks_by_ids

    for task in tasks_by_ids(company_id=company_id, task_ids=task_ids):
        yield {**task_data(task), **extra}


def voucher_payloads(*, company_id: int, voucher_ids: list[int]) -> Iterator[dict[str, Any]]:
    """voucher.created: one body per voucher, with its transactions (bookkeeping.selectors.voucher_data),
    read two queries per thousands of vouchers, so a bank file of 50,000 payments costs no query
    per voucher; only when an endpoint listens."""
    from fakturera.bookkeeping.selectors import voucher_data

    yield from voucher_data(company_id=company_id, voucher_ids=voucher_ids)


def collection_claim_payloads(*, company_id: int, claim_ids: list[int]) -> Iterator[dict[str, Any]]:
    """invoice.sent_to_collection: one body per claim handed over (collections'
    `claim_data`), the claims read in one query and only when an endpoint listens."""
    from fakturera.collections.collection_agency import claim_data

    yield from claim_data(company_id=company_id, claim_ids=claim_ids)
