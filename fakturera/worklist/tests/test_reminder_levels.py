"""Reminders wired into the worklist (issue 15, "Billing tasks and notifications"): a level that
asks for a staff task opens "call the customer" for the relationship manager, beside or instead
of the letter; the manager is told their customer reached the level (in the app, and in the
daily digest); once per level however often the run meets it; a fixed number of statements."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fakturera.collections.models import Reminder
from fakturera.collections.run import reminders_run
from fakturera.collections.services import policy_save
from fakturera.collections.tests.factories import reference_rates
from fakturera.distribution.models import Delivery
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.worklist.models import Notification, Task
from fakturera.worklist.states import NotificationKind, TaskKind
from fakturera.worklist.tests.factories import customer_of, manager
from fakturera.worklist.wording import notification_words, task_title

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates(db):
    reference_rates()


def first_level(company, user, task_mode: str) -> None:
    policy_save(
        company=company,
        actor=user,
        customer_kind="person",
        levels=[{"days": 7, "days_from": "due_date", "new_due_days": 10, "task_mode": task_mode}],
    )


def test_a_level_with_a_task_beside_the_letter_opens_a_call_for_the_manager(company, admin_user):
    email_channel(company, 2525, reminder_channel="email")
    first_level(company, admin_user, "beside")
    anna = manager(company)
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10, customer=customer_of(company, anna))

    result = reminders_run(company=company, actor=admin_user)

    assert (result.queued, result.tasks) == (1, 0)
    assert Delivery.objects.filter(invoice=invoice, purpose="reminder").count() == 1
    [task] = Task.objects.filter(kind=TaskKind.REMINDER_CALL)
    assert (task.invoice_id, task.assignee_id, task.due_on, task.key) == (
        invoice.pk,
        anna.pk,
        timezone.localdate(),
        f"reminder_call:{invoice.pk}:1",
    )
    assert task.params["level"] == 1
    assert invoice.display_number in task_title(kind=task.kind, text=task.text, params=task.params)
    [note] = Notification.objects.filter(user=anna, kind=NotificationKind.REMINDER_LEVEL)
    assert note.invoice_id == invoice.pk
    assert notification_words(note.kind, note.params) == (
        f"{invoice.customer.name} reached reminder level 1 with invoice {invoice.display_number}."
    )

    # The same day again: nothing new.
    reminders_run(company=company, actor=admin_user)
    assert Task.objects.filter(kind=TaskKind.REMINDER_CALL).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.REMINDER_LEVEL).count() == 1


def test_a_level_with_a_task_instead_sends_no_letter(company, admin_user):
    email_channel(company, 2525, reminder_channel="email")
    first_level(company, admin_user, "instead")
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10, customer=customer_of(company))

    result = reminders_run(company=company, actor=admin_user)

    assert (result.queued, result.tasks) == (0, 1)
    assert not Delivery.objects.filter(invoice=invoice, purpose="reminder").exists()
    assert Reminder.objects.get(invoice=invoice).state == "sent"
    # No manager: the team's task, and nobody to notify.
    [task] = Task.objects.filter(kind=TaskKind.REMINDER_CALL)
    assert (task.invoice_id, task.assignee_id) == (invoice.pk, None)
    assert not Notification.objects.filter(kind=NotificationKind.REMINDER_LEVEL).exists()


def test_a_level_without_a_task_only_tells_the_manager(company, admin_user):
    email_channel(company, 2525, reminder_channel="email")
    anna = manager(company)
    overdue_invoice(company, admin_user, "400.00", days_overdue=10, customer=customer_of(company, anna))

    reminders_run(company=company, actor=admin_user)

    assert not Task.objects.filter(kind=TaskKind.REMINDER_CALL).exists()
    assert Notification.objects.filter(user=anna, kind=NotificationKind.REMINDER_LEVEL).count() == 1


def test_the_worklist_statements_do_not_grow_with_the_reminders(company, admin_user):
    from fakturera.worklist.services import reminder_levels_reached

    first_level(company, admin_user, "beside")
    anna = manager(company)
    invoices = [
        overdue_invoice(company, admin_user, "100.00", days_overdue=10, customer=customer_of(company, anna))
        for _ in range(12)
    ]

    def reached(some):
        given = [{"invoice_id": i.pk, "level": 1, "task_mode": "beside"} for i in some]
        with CaptureQueriesContext(connection) as queries:
            reminder_levels_reached(company_id=company.pk, reminders=given, actor_id=admin_user.pk)
        return len(queries.captured_queries)

    assert reached(invoices[:2]) == reached(invoices[2:])
    assert Task.objects.filter(kind=TaskKind.REMINDER_CALL).count() == 12
    assert Notification.objects.filter(kind=NotificationKind.REMINDER_LEVEL).count() == 12
