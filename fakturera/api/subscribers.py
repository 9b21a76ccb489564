"""Webhooks for invoicing's events (core.events), recorded in the issuing transaction."""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED


def on_issued(event: Event) -> None:
    from fakturera.api.models import WebhookEvent
    from fakturera.api.webhooks import invoice_payload, webhook_events

    webhook_events(
        company=event.company_id,
        event=WebhookEvent.INVOICE_ISSUED,
        payloads=(invoice_payload(invoice) for invoice in event["invoices"]),
    )


def on_credited(event: Event) -> None:
    from fakturera.api.models import WebhookEvent
    from fakturera.api.webhooks import invoice_payload, webhook_events

    payload = {
        "invoice": invoice_payload(event["invoice"]),
        "credit_note": invoice_payload(event["credit_note"]),
        "is_full": event["is_full"],
    }
    webhook_events(company=event.company_id, event=WebhookEvent.INVOICE_CREDITED, payloads=[payload])


def connect() -> None:
    subscribe(INVOICE_ISSUED, on_issued, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, on_credited, when=IN_TRANSACTION)
