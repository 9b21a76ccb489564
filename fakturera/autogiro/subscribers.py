"""What direct debit does when invoicing publishes (core.events)."""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.invoicing.events import INVOICE_CREDITED


def on_credited(event: Event) -> None:
    # Direct debit may not collect what was credited.
    from fakturera.autogiro.services import payment_order_credited

    payment_order_credited(invoice_id=event["invoice"].pk, credited_amount=event["credit_note"].total_amount)


def connect() -> None:
    subscribe(INVOICE_CREDITED, on_credited, when=IN_TRANSACTION)
