"""The events webhooks passes on (core.events): each becomes one delivery per subscribed
active endpoint, recorded in the publisher's transaction (IN_TRANSACTION), so a
committed event's deliveries are never lost and a rolled-back one records nothing.

The publishers (invoicing, courses, distribution, payments, worklist, bookkeeping) import nothing of webhooks; where
they want to know whether anything took the event (course_basis.exported,
invoice.exported), webhooks appends a receipt per delivery to the event's `receipts`.
"""

from __future__ import annotations

from fakturera.bookkeeping.events import VOUCHER_CREATED
from fakturera.collections.events import INVOICE_OVERDUE, INVOICE_SENT_TO_COLLECTION
from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.courses.events import COURSE_BASIS_EXPORTED
from fakturera.distribution.events import INVOICE_DELIVERY_FAILED, INVOICE_EXPORTED, INVOICE_REMINDED, INVOICE_SENT
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED
from fakturera.payments.events import INVOICE_OVERPAID, INVOICE_PAID, PAYMENT_RECEIVED, PAYMENT_UNMATCHED
from fakturera.webhooks.models import WebhookEvent
from fakturera.webhooks.payloads import (
    collection_claim_payloads,
    course_basis_payload,
    invoice_credited_payload,
    invoice_exported_payload,
    invoice_payload,
    invoice_payment_payloads,
    payment_payloads,
    reminded_payloads,
    task_payloads,
    voucher_payloads,
)
from fakturera.webhooks.services import webhook_event, webhook_events
from fakturera.worklist.events import TASK_CLOSED, TASK_OPENED


def _receipt(delivery_id: int) -> dict:
    # Data, worded by whoever shows it (distribution's reason "webhook_delivery").
    return {"kind": "webhook_delivery", "id": delivery_id}


def on_invoice_issued(event: Event) -> None:
    webhook_events(
        company=event.company_id,
        event=WebhookEvent.INVOICE_ISSUED,
        payloads=(invoice_payload(invoice) for invoice in event["invoices"]),
    )


def on_invoice_credited(event: Event) -> None:
    payload = invoice_credited_payload(
        invoice=event["invoice"], credit_note=event["credit_note"], is_full=event["is_full"]
    )
    webhook_event(company=event.company_id, event=WebhookEvent.INVOICE_CREDITED, payload=payload)


def on_invoice_exported(event: Event) -> None:
    invoices, ubl, receipts = event["invoices"], event["ubl"], event["receipts"]
    deliveries = webhook_events(
        company=event.company_id,
        event=WebhookEvent.INVOICE_EXPORTED,
        payloads=(invoice_exported_payload(invoice, content) for invoice, content in zip(invoices, ubl, strict=True)),
    )
    # One delivery per invoice and endpoint, invoice by invoice (services.webhook_events).
    per_invoice = len(deliveries) // max(len(invoices), 1)
    for index, taken in enumerate(receipts):
        taken.extend(_receipt(d.pk) for d in deliveries[index * per_invoice : (index + 1) * per_invoice])


def on_sending_moved(event: Event) -> None:
    """invoice.sent, invoice.reminded, invoice.delivery_failed: one body per invoice, with the
    delivery's facts as data (the history event's parameters: channel, recipient, reference,
    or the reason it failed as a code with its parameters); a reminder also with its level,
    fee and interest (payloads.reminded_payloads)."""
    if event.name == INVOICE_REMINDED:
        webhook_events(
            company=event.company_id,
            event=event.name,
            payloads=reminded_payloads(
                company_id=event.company_id,
                invoice_ids=list(event["invoice_ids"]),
                purpose=event["purpose"],
                history=event["history"],
            ),
        )
        return
    webhook_events(
        company=event.company_id,
        event=event.name,
        payloads=(
            {"invoice_id": invoice_id, "purpose": event["purpose"], "delivery": event["history"].get(invoice_id, {})}
            for invoice_id in event["invoice_ids"]
        ),
    )


def on_course_basis_exported(event: Event) -> None:
    payload = course_basis_payload(scope=event["scope"], rows=event["rows"])
    deliveries = webhook_event(company=event.company_id, event=WebhookEvent.COURSE_BASIS_EXPORTED, payload=payload)
    event["receipts"].extend(_receipt(d.pk) for d in deliveries)


def on_payments(event: Event) -> None:
    """payment.received, payment.unmatched (payments, a batch per booking): one delivery per
    payment and endpoint; data the payment, its allocations and their invoices' payment state."""
    webhook_events(
        company=event.company_id,
        event=event.name,
        payloads=payment_payloads(company_id=event.company_id, payment_ids=list(event["payment_ids"])),
    )


def on_invoices_paid(event: Event) -> None:
    """invoice.paid, invoice.overpaid: one delivery per invoice and endpoint; data the
    invoice's id, number and payment state."""
    webhook_events(
        company=event.company_id,
        event=event.name,
        payloads=invoice_payment_payloads(company_id=event.company_id, invoice_ids=list(event["invoice_ids"])),
    )


def on_tasks(event: Event) -> None:
    """task.opened, task.closed (worklist, a batch: issuing opens a task per invoice): one
    delivery per task and endpoint; data the task, and `reopened` or `reason` as the event says."""
    extra = {"reopened": event["reopened"]} if event.name == TASK_OPENED else {"reason": event["reason"]}
    webhook_events(
        company=event.company_id,
        event=event.name,
        payloads=task_payloads(company_id=event.company_id, task_ids=list(event["task_ids"]), **extra),
    )


def on_vouchers_created(event: Event) -> None:
    """voucher.created (bookkeeping, a batch: every voucher of one issuing or one bank file): one
    delivery per voucher and endpoint, with its transactions; written by webhook_events in bulk."""
    webhook_events(
        company=event.company_id,
        event=event.name,
        payloads=voucher_payloads(company_id=event.company_id, voucher_ids=list(event["voucher_ids"])),
    )


def on_overdue(event: Event) -> None:
    """invoice.overdue (collections, once per invoice): one delivery per invoice and endpoint;
    data the invoice's id, number, currency, due date, open amount and days late, as the event
    carries them (no query)."""
    webhook_events(company=event.company_id, event=event.name, payloads=(dict(row) for row in event["invoices"]))


def on_sent_to_collection(event: Event) -> None:
    """invoice.sent_to_collection (collections): one delivery per claim and endpoint."""
    webhook_events(
        company=event.company_id,
        event=event.name,
        payloads=collection_claim_payloads(company_id=event.company_id, claim_ids=list(event["claim_ids"])),
    )


def connect() -> None:
    subscribe(INVOICE_ISSUED, on_invoice_issued, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, on_invoice_credited, when=IN_TRANSACTION)
    subscribe(INVOICE_EXPORTED, on_invoice_exported, when=IN_TRANSACTION)
    subscribe(COURSE_BASIS_EXPORTED, on_course_basis_exported, when=IN_TRANSACTION)
    for name in (INVOICE_SENT, INVOICE_REMINDED, INVOICE_DELIVERY_FAILED):
        subscribe(name, on_sending_moved, when=IN_TRANSACTION)
    for name in (PAYMENT_RECEIVED, PAYMENT_UNMATCHED):
        subscribe(name, on_payments, when=IN_TRANSACTION)
    for name in (INVOICE_PAID, INVOICE_OVERPAID):
        subscribe(name, on_invoices_paid, when=IN_TRANSACTION)
    for name in (TASK_OPENED, TASK_CLOSED):
        subscribe(name, on_tasks, when=IN_TRANSACTION)
    subscribe(VOUCHER_CREATED, on_vouchers_created, when=IN_TRANSACTION)
    subscribe(INVOICE_OVERDUE, on_overdue, when=IN_TRANSACTION)
    subscribe(INVOICE_SENT_TO_COLLECTION, on_sent_to_collection, when=IN_TRANSACTION)
