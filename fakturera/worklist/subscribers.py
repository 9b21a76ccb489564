"""What the worklist does when other apps publish (core.events).

- `company.created` (parties), in its transaction: the company's worklist settings.
- `invoice.issued` (invoicing), IN_TRANSACTION: the billing tasks. A billing task must not be
  lost: opened after the commit, a crash or an error between the two would leave an issued
  invoice that nobody follows up, and nothing would notice; in the issuing transaction it
  commits with the invoice or not at all. The price is two reads and two bulk inserts in that
  transaction whatever the number of invoices (test_billing_tasks counts them).
- `invoice.paid` (payments), IN_TRANSACTION: the invoice's billing and call tasks are closed
  with the payment in their history, in the payment's transaction, so a task is never open for
  an invoice the same commit made paid. `invoice.credited` in full closes them too (there is
  nothing left to collect).
- `reminders.queued` (collections), IN_TRANSACTION: a level that asks for a staff task opens a
  "call the customer" task; the customer's relationship manager is told the level was reached.
- `invoice.sent`, `invoice.reminded`, `invoice.delivery_failed` (distribution), after the
  commit: the customer's relationship manager is notified. After, because a notification must
  never roll back, nor make anyone repeat, a delivery's recorded outcome (core.events: a
  notification is work that may be lost in a crash; it stays visible in the invoice's history).
"""

from __future__ import annotations

from fakturera.collections.events import REMINDERS_QUEUED
from fakturera.core.events import IN_TRANSACTION, ON_COMMIT, Event, subscribe
from fakturera.distribution.events import INVOICE_DELIVERY_FAILED, INVOICE_REMINDED, INVOICE_SENT
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED
from fakturera.parties.events import COMPANY_CREATED
from fakturera.payments.events import INVOICE_PAID


def _actor(event: Event) -> int | None:
    # payments passes its actor in the data (`actor_id=`), the others as the event's actor.
    return event.actor_id if event.actor_id is not None else event.get("actor_id")


def on_company_created(event: Event) -> None:
    from fakturera.worklist.services import worklist_settings_create

    worklist_settings_create(company=event["company"])


def on_issued(event: Event) -> None:
    from fakturera.worklist.services import billing_tasks_open

    billing_tasks_open(company_id=event.company_id, invoice_ids=event["invoice_ids"], actor_id=_actor(event))


def on_paid(event: Event) -> None:
    from fakturera.payments.selectors import settling_payments
    from fakturera.worklist.selectors import invoices_with_open_tasks
    from fakturera.worklist.services import tasks_close_for_invoices
    from fakturera.worklist.states import CloseReason

    # Most paid invoices have no open task (closed by hand, or the company opens none): the
    # payments are read only for those that have one.
    invoice_ids = invoices_with_open_tasks(company_id=event.company_id, invoice_ids=event["invoice_ids"])
    if not invoice_ids:
        return
    tasks_close_for_invoices(
        company_id=event.company_id,
        invoice_ids=invoice_ids,
        reason=CloseReason.PAID,
        actor_id=_actor(event),
        facts=settling_payments(company_id=event.company_id, invoice_ids=invoice_ids),
    )


def on_credited(event: Event) -> None:
    from fakturera.worklist.services import tasks_close_for_invoices
    from fakturera.worklist.states import CloseReason

    if not event["is_full"]:
        return
    invoice = event["invoice"]
    tasks_close_for_invoices(
        company_id=event.company_id,
        invoice_ids=[invoice.pk],
        reason=CloseReason.CREDITED,
        actor_id=_actor(event),
        facts={invoice.pk: {"credit_note": event["credit_note"].display_number}},
    )


def on_sending_moved(event: Event) -> None:
    from fakturera.worklist.services import managers_notify

    managers_notify(
        company_id=event.company_id,
        event=event.name,
        invoice_ids=list(event["invoice_ids"]),
        purpose=event["purpose"],
        channels=event.get("channels") or {},
        history=event.get("history") or {},
    )


def on_reminders_queued(event: Event) -> None:
    from fakturera.worklist.services import reminder_levels_reached

    reminder_levels_reached(company_id=event.company_id, reminders=event["reminders"], actor_id=_actor(event))


def connect() -> None:
    subscribe(COMPANY_CREATED, on_company_created, when=IN_TRANSACTION)
    subscribe(INVOICE_ISSUED, on_issued, when=IN_TRANSACTION)
    subscribe(INVOICE_PAID, on_paid, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, on_credited, when=IN_TRANSACTION)
    for name in (INVOICE_SENT, INVOICE_REMINDED, INVOICE_DELIVERY_FAILED):
        subscribe(name, on_sending_moved, when=ON_COMMIT)
    # In the run's transaction, as the billing tasks in the issue's: a call task must not be lost.
    subscribe(REMINDERS_QUEUED, on_reminders_queued, when=IN_TRANSACTION)
