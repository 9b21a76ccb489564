"""Bookkeeping books the business events as they happen, in the transaction that makes them true
(core.events IN_TRANSACTION): a voucher must not be lost, nor written for an event rolled back, and
a voucher that cannot be made (an unmapped account) refuses the event itself. Registered in
AppConfig.ready(); the publishers know nothing of bookkeeping."""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.invoicing.events import EXCHANGE_RATES_SAVED, INVOICE_CREDITED, INVOICE_ISSUED
from fakturera.payments.events import ALLOCATION_BOOKED


def on_issued(event: Event) -> None:
    from fakturera.bookkeeping.services import vouchers_book_documents

    vouchers_book_documents(company_id=event.company_id, invoice_ids=event["invoice_ids"], actor_id=event.actor_id)


def on_credited(event: Event) -> None:
    from fakturera.bookkeeping.services import vouchers_book_documents

    vouchers_book_documents(company_id=event.company_id, invoice_ids=[event["credit_note"].pk], actor_id=event.actor_id)


def on_exchange_rates_saved(event: Event) -> None:
    from fakturera.bookkeeping.services import vouchers_book_waiting_documents

    vouchers_book_waiting_documents(
        company_id=event.company_id, currencies=event["currencies"], actor_id=event.actor_id
    )


def on_allocation_booked(event: Event) -> None:
    from fakturera.bookkeeping.services import vouchers_book_allocations

    vouchers_book_allocations(
        company_id=event.company_id,
        allocation_ids=event["allocation_ids"],
        payment_ids=event["payment_ids"],
        reversed_payment_ids=event["reversed_payment_ids"],
        actor_id=event.actor_id,
        at=event.at,
    )


def connect() -> None:
    from fakturera.bookkeeping.selectors import locked_months
    from fakturera.core import period_locks

    subscribe(INVOICE_ISSUED, on_issued, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, on_credited, when=IN_TRANSACTION)
    subscribe(ALLOCATION_BOOKED, on_allocation_booked, when=IN_TRANSACTION)
    subscribe(EXCHANGE_RATES_SAVED, on_exchange_rates_saved, when=IN_TRANSACTION)
    period_locks.register(locked_months)
