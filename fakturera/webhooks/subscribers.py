"""The events webhooks passes on (core.events): each becomes one delivery per subscribed
active endpoint, recorded in the publisher's transaction (IN_TRANSACTION), so a
committed event's deliveries are never lost and a rolled-back one records nothing.
"""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED
from fakturera.webhooks.models import WebhookEvent
from fakturera.webhooks.payloads import invoice_credited_payload, invoice_payload
from fakturera.webhooks.services import webhook_event, webhook_events


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


def connect() -> None:
    subscribe(INVOICE_ISSUED, on_invoice_issued, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, on_invoice_credited, when=IN_TRANSACTION)
