"""The worklist's events (task.opened, task.closed) become one delivery per task and endpoint, in
the transaction that opens or closes the task: issuing opens billing tasks, a payment closes them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fakturera.core.money import format_money
from fakturera.invoicing.services import invoices_issue_drafts
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.payments.services import payment_register
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import SUBSCRIBABLE_EVENTS, webhook_endpoint_create
from fakturera.worklist.models import Task
from fakturera.worklist.services import task_done, task_undo
from fakturera.worklist.tests.factories import customer_of, drafts, manager, many_customers

pytestmark = pytest.mark.django_db
TASK_EVENTS = ["task.opened", "task.closed"]


def _data(event: str) -> list[dict]:
    return [d.payload["data"] for d in WebhookDelivery.objects.filter(event=event).order_by("pk")]


def test_the_task_events_may_be_subscribed():
    assert set(TASK_EVENTS) <= {str(event) for event in SUBSCRIBABLE_EVENTS}


def test_issuing_opens_and_paying_closes_each_announced(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=TASK_EVENTS)
    sara = manager(company)
    invoice = issued_invoice(company, admin_user, "1000", customer=customer_of(company, sara, name="Anna Ek"))
    task = Task.objects.get(invoice=invoice)

    [opened] = _data("task.opened")
    assert opened["id"] == task.pk
    assert (opened["kind"], opened["state"], opened["priority"]) == ("billing", "open", "normal")
    assert (opened["invoice_id"], opened["assignee_id"], opened["reopened"]) == (invoice.pk, sara.pk, False)
    assert opened["due_on"] == invoice.due_on.isoformat()
    amount = format_money("1250.00", "SEK")
    assert opened["title"] == f"Follow up invoice {invoice.display_number} to Anna Ek, {amount}, until it is paid"

    payment_register(
        company=company,
        actor=admin_user,
        amount="1250.00",
        currency="SEK",
        booked_on=dt.date(2026, 11, 25),
        invoice_id=invoice.pk,
    )
    [closed] = _data("task.closed")
    assert (closed["id"], closed["state"], closed["close_reason"], closed["reason"]) == (
        task.pk,
        "closed",
        "paid",
        "paid",
    )


def test_done_and_undo_are_announced(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=["task.closed"])
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/b", events=["task.opened"])
    task = Task.objects.get(invoice=issued_invoice(company, admin_user, "100"))
    task_done(company=company, actor=admin_user, task_id=task.pk)
    task_undo(company=company, actor=admin_user, task_id=task.pk)
    assert [(d["id"], d["reason"]) for d in _data("task.closed")] == [(task.pk, "done")]
    assert [(d["id"], d["reopened"]) for d in _data("task.opened")] == [(task.pk, False), (task.pk, True)]


def test_the_bodies_are_read_in_bulk_whatever_the_number_of_tasks(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=["task.opened"])
    sara = manager(company)
    customers = many_customers(company, 23, sara)
    few, many = drafts(company, admin_user, customers[:3]), drafts(company, admin_user, customers[3:])

    def statements(ids) -> int:
        with CaptureQueriesContext(connection) as captured:
            invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=ids)
        return len(captured)

    # 3 and 20: both within one statement of SQLite's bulk inserts (999 parameters), as in
    # test_payment_events; on PostgreSQL every bulk insert is one COPY whatever the number.
    assert statements(few) == statements(many)
    assert len(_data("task.opened")) == 23
