"""What documents does when invoicing publishes (core.events): render what was issued."""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.core.tasks import enqueue_on_commit
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED

# Documents are rendered by the task worker, in batches, once the issuing commits.
RENDER_BATCH = 500


def render_later(invoice_ids: list[int], *, company_id: int | None = None) -> None:
    from fakturera.documents.tasks import render_documents

    ids = list(invoice_ids)
    for start in range(0, len(ids), RENDER_BATCH):
        enqueue_on_commit(render_documents, ids[start : start + RENDER_BATCH], company_id=company_id)


def on_issued(event: Event) -> None:
    render_later(event["invoice_ids"], company_id=event.company_id)


def on_credited(event: Event) -> None:
    render_later([event["credit_note"].pk], company_id=event.company_id)


def connect() -> None:
    # In the transaction: the task row is written with the invoices (core.tasks), never lost.
    subscribe(INVOICE_ISSUED, on_issued, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, on_credited, when=IN_TRANSACTION)
