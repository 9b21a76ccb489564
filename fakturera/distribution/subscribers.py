"""What distribution does when invoicing publishes (core.events)."""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.invoicing.events import INVOICE_CREDITED


def on_credited(event: Event) -> None:
    # Seed 003: crediting an invoice that waits to be sent stops its delivery (the worker
    # checks again when it claims, for credit notes made any other way).
    from fakturera.distribution.services import deliveries_stop_credited

    deliveries_stop_credited(invoice_ids=[event["invoice"].pk], actor=event.actor_id, at=event.at)


def connect() -> None:
    subscribe(INVOICE_CREDITED, on_credited, when=IN_TRANSACTION)
