"""What collections does when other apps publish (core.events)."""

from __future__ import annotations

from fakturera.collections.states import ReminderState
from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.distribution.events import INVOICE_DELIVERY_FAILED, INVOICE_DELIVERY_UNDONE, INVOICE_REMINDED
from fakturera.distribution.reasons import Reason
from fakturera.parties.events import COMPANY_CREATED
from fakturera.payments.events import INVOICE_PAID


def on_company_created(event: Event) -> None:
    # Every company reminds from its first day, within the law of its country.
    from fakturera.collections.services import policies_create_default

    policies_create_default(company=event["company"])


def on_reminder_outcome(event: Event) -> None:
    """A reminder's delivery ended: sent, failed for good, or undone (or stopped: the invoice was
    credited). The invoice's queued reminder moves with it, in the same transaction; a failed or
    undone one no longer counts (its level is given again by the next run, states.py)."""
    if event.get("purpose") != "reminder":
        return
    from fakturera.collections.services import reminders_delivered

    to = {
        INVOICE_REMINDED: ReminderState.SENT,
        INVOICE_DELIVERY_FAILED: ReminderState.FAILED,
        INVOICE_DELIVERY_UNDONE: ReminderState.UNDONE,
    }[event.name]
    errors = {
        invoice_id: str(Reason.from_data(params["error"]))
        for invoice_id, params in (event.get("history") or {}).items()
        if (params or {}).get("error")
    }
    reminders_delivered(company_id=event.company_id, invoice_ids=event["invoice_ids"], to=to, errors=errors)


def on_invoices_paid(event: Event) -> None:
    """Invoices became paid: those paid after their due date owe late-payment interest (and the
    fees of their reminders), recorded in the payments' transaction (interest_invoices.py), so a
    payment rolled back records nothing and one booked is never forgotten."""
    from fakturera.collections.interest_invoices import interest_charges_record

    interest_charges_record(company_id=event.company_id, invoice_ids=event["invoice_ids"], actor_id=event.actor_id)


def connect() -> None:
    subscribe(INVOICE_PAID, on_invoices_paid, when=IN_TRANSACTION)
    subscribe(COMPANY_CREATED, on_company_created, when=IN_TRANSACTION)
    for name in (INVOICE_REMINDED, INVOICE_DELIVERY_FAILED, INVOICE_DELIVERY_UNDONE):
        subscribe(name, on_reminder_outcome, when=IN_TRANSACTION)
