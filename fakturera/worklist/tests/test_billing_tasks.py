"""Billing tasks (issue 15, "Billing tasks and notifications"; seed 004: «Faktureringsopgaver kan
også registreres automatisk ved fakturagenerering og afsluttes, når fakturaen er betalt»):
issuing opens one for the customer's relationship manager as the company chose, in the issuing
transaction and in bulk; a full payment closes it with the payment in its history, a full credit
closes it, a partial one does not; done and undone by hand; the daily job raises the priority of
what is past its due date, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fakturera.core import events
from fakturera.core.errors import StateConflict, ValidationFailed
from fakturera.invoicing.services import credit_note_create, invoices_issue_drafts
from fakturera.invoicing.tests.factories import credit_note, exchange_rates, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory
from fakturera.payments.services import payment_register
from fakturera.worklist import selectors, services, states
from fakturera.worklist.events import TASK_CLOSED, TASK_OPENED
from fakturera.worklist.models import Task, TaskEvent, WorklistSettings
from fakturera.worklist.states import BillingTasks, CloseReason, TaskKind, TaskPriority, TaskState
from fakturera.worklist.tests.factories import customer_of, drafts, manager, many_customers

pytestmark = pytest.mark.django_db


def _billing(invoice) -> Task:
    return Task.objects.get(invoice=invoice, kind=TaskKind.BILLING)


def _pay(company, actor, invoice, amount=None):
    return payment_register(
        company=company,
        actor=actor,
        amount=amount or invoice.total_amount,
        currency=invoice.currency,
        booked_on=timezone.localdate(),
        invoice_id=invoice.pk,
        payer_name="Anna",
    )


# --- opening ------------------------------------------------------------------------------------


def test_issuing_opens_a_billing_task_for_the_relationship_manager_due_with_the_invoice(company, admin_user):
    sara = manager(company, first_name="Sara")
    customer = customer_of(company, sara, name="Anna Ek")

    with events.recorded() as seen:
        invoice = issued_invoice(company, admin_user, "1000", customer=customer)

    task = _billing(invoice)
    assert (task.state, task.assignee, task.customer, task.due_on) == (TaskState.OPEN, sara, customer, invoice.due_on)
    assert task.priority == TaskPriority.NORMAL
    assert task.params == {
        "number": invoice.display_number,
        "customer": "Anna Ek",
        "amount": "1250.00",
        "currency": "SEK",
    }
    assert task.key == f"billing:{invoice.pk}"
    assert task.created_by == admin_user
    assert [(e.kind, e.actor_id) for e in selectors.task_history(task=task)] == [(states.OPENED, admin_user.pk)]
    (opened,) = [e for e in seen if e.name == TASK_OPENED]
    assert (opened.company_id, opened["task_ids"], opened["reopened"]) == (company.pk, [task.pk], False)
    assert selectors.open_task_count(company=company, user=sara) == 1


def test_without_a_manager_or_with_one_who_left_the_task_is_the_teams(company, admin_user):
    nobody = issued_invoice(company, admin_user, "100", customer=customer_of(company))
    gone = StaffFactory(company=CompanyFactory()).user  # works for another company only
    left = issued_invoice(company, admin_user, "100", customer=customer_of(company, gone))

    assert _billing(nobody).assignee is None
    assert _billing(left).assignee is None
    team = selectors.task_list(company=company, filters=selectors.TaskFilter(scope="team"))
    assert {t.invoice_id for t in team} == {nobody.pk, left.pk}


def test_the_company_chooses_on_off_or_only_above_an_amount(company, admin_user):
    services.worklist_settings_save(company=company, billing_tasks=BillingTasks.OFF, billing_task_min_amount="")
    off = issued_invoice(company, admin_user, "5000")
    services.worklist_settings_save(company=company, billing_tasks=BillingTasks.ABOVE, billing_task_min_amount="1 000")
    small = issued_invoice(company, admin_user, "800")  # 1,000.00 with VAT: not above
    large = issued_invoice(company, admin_user, "801")  # 1,001.25
    exchange_rates(company)  # the invoice date's rate, as a Swedish seller's EUR invoice with VAT needs
    euro = issued_invoice(company, admin_user, "10", currency="EUR")  # not comparable: a task
    note = credit_note(large, admin_user)

    assert set(Task.objects.values_list("invoice_id", flat=True)) == {large.pk, euro.pk}
    assert not Task.objects.filter(invoice__in=[off, small, note]).exists()


def test_settings_refuse_what_is_not_a_choice_and_write_nothing(company):
    with pytest.raises(ValidationFailed) as refused:
        services.worklist_settings_save(company=company, billing_tasks=BillingTasks.ABOVE, billing_task_min_amount="x")
    assert refused.value.errors == {"billing_task_min_amount": ["The amount must be a number."]}
    with pytest.raises(ValidationFailed) as refused:
        services.worklist_settings_save(company=company, billing_tasks=BillingTasks.ABOVE, billing_task_min_amount="0")
    assert refused.value.errors == {
        "billing_task_min_amount": ["Give the amount above which issuing opens a billing task."]
    }
    with pytest.raises(ValidationFailed) as refused:
        services.worklist_settings_save(company=company, billing_tasks="sometimes", billing_task_min_amount="-1")
    assert set(refused.value.errors) == {"billing_tasks", "billing_task_min_amount"}
    assert not WorklistSettings.objects.filter(company=company).exists()


def test_a_new_company_gets_its_settings_in_its_own_transaction(admin_user):
    from fakturera.parties.services import company_create
    from fakturera.parties.tests.factories import _valid_orgnr

    company = company_create(
        actor=admin_user,
        name="Nya Kliniken AB",
        country="SE",
        org_number=_valid_orgnr(987_654),
    )
    assert WorklistSettings.objects.get(company=company).billing_tasks == BillingTasks.ON


def test_a_failing_task_insert_rolls_the_issue_back(company, admin_user):
    """In the issuing transaction: no issued invoice without its billing task."""
    customer = customer_of(company, manager(company))
    (draft,) = drafts(company, admin_user, [customer])
    # The unique key is taken already (as if the task existed): the insert fails, and so does issuing.
    Task.objects.create(company=company, kind=TaskKind.CUSTOM, text="x", key=f"billing:{draft}")
    with pytest.raises(Exception):  # noqa: B017, PT011 - the database's IntegrityError, whichever driver
        invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=[draft])
    from fakturera.invoicing.models import Invoice

    assert Invoice.objects.get(pk=draft).number is None


def test_issuing_hundreds_at_once_opens_their_tasks_in_a_fixed_number_of_queries(company, admin_user):
    sara = manager(company)
    customers = many_customers(company, 305, sara)
    few = drafts(company, admin_user, customers[:5])
    many = drafts(company, admin_user, customers[5:])
    services.worklist_settings_save(company=company, billing_tasks=BillingTasks.OFF, billing_task_min_amount="")
    invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=few + many)
    assert not Task.objects.exists()
    services.worklist_settings_save(company=company, billing_tasks=BillingTasks.ON, billing_task_min_amount="")

    def queries(ids) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            services.billing_tasks_open(company_id=company.pk, invoice_ids=ids, actor_id=admin_user.pk)
        shapes = [q["sql"][:60] for q in captured]
        if connection.vendor != "postgresql":
            # SQLite's driver splits one bulk insert into statements of at most 999 parameters
            # (Django's bulk_create); on PostgreSQL each is one COPY. The same statements else.
            shapes = [s for i, s in enumerate(shapes) if not (s.startswith("INSERT") and shapes[i - 1] == s)]
        return shapes

    assert queries(few) == queries(many)
    assert Task.objects.filter(kind=TaskKind.BILLING, assignee=sara).count() == 305


def test_issuing_hundreds_through_invoicing_opens_a_task_for_each(company, admin_user):
    sara = manager(company)
    ids = drafts(company, admin_user, many_customers(company, 250, sara))
    with events.recorded() as seen:
        issued = invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=ids)
    assert len(issued) == 250
    assert Task.objects.filter(company=company, kind=TaskKind.BILLING, assignee=sara).count() == 250
    assert set(Task.objects.values_list("invoice_id", flat=True)) == set(ids)
    (opened,) = [e for e in seen if e.name == TASK_OPENED]
    assert len(opened["task_ids"]) == 250


# --- closing ------------------------------------------------------------------------------------


def test_a_full_payment_closes_the_task_with_the_payment_in_its_history(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000", customer=customer_of(company, manager(company)))
    task = _billing(invoice)

    part = _pay(company, admin_user, invoice, Decimal("250.00"))
    task.refresh_from_db()
    assert task.state == TaskState.OPEN  # partly paid: still to follow up

    with events.recorded() as seen:
        rest = _pay(company, admin_user, invoice, Decimal("1000.00"))

    task.refresh_from_db()
    assert (task.state, task.close_reason, task.closed_by) == (TaskState.CLOSED, CloseReason.PAID, admin_user)
    closed = TaskEvent.objects.filter(task=task, kind=states.CLOSED).get()
    assert closed.params == {
        "reason": "paid",
        "payment_id": rest.pk,
        "amount": "1000.00",
        "currency": "SEK",
        "paid_on": timezone.localdate().isoformat(),
    }
    assert part.pk != rest.pk
    (event,) = [e for e in seen if e.name == TASK_CLOSED]
    assert (event["task_ids"], event["reason"]) == ([task.pk], CloseReason.PAID)
    from fakturera.worklist.wording import task_event_words

    assert task_event_words(closed.kind, closed.params).startswith("Closed: the invoice was paid (SEK")


def test_a_full_credit_closes_the_task_a_partial_one_does_not(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000", "500")
    other = issued_invoice(company, admin_user, "1000", "500")
    line = other.lines.order_by("position").first()

    credit_note_create(invoice=other, actor=admin_user, quantities={line.pk: Decimal(1)}, reason="Fel rad")
    note = credit_note_create(invoice=invoice, actor=admin_user, reason="Dubbel")

    assert _billing(other).state == TaskState.OPEN
    task = _billing(invoice)
    assert (task.state, task.close_reason) == (TaskState.CLOSED, CloseReason.CREDITED)
    assert TaskEvent.objects.get(task=task, kind=states.CLOSED).params == {
        "reason": "credited",
        "credit_note": note.display_number,
    }


def test_a_custom_task_on_a_paid_invoice_stays_open(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    custom = services.task_open(company=company, actor=admin_user, text="Skicka tack-kort", invoice_id=invoice.pk)
    _pay(company, admin_user, invoice)
    custom.refresh_from_db()
    assert custom.state == TaskState.OPEN
    assert _billing(invoice).state == TaskState.CLOSED


def test_done_and_undone_by_hand_each_once(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    task = _billing(invoice)

    with events.recorded() as seen:
        services.task_done(company=company, actor=admin_user, task_id=task.pk)
    task.refresh_from_db()
    assert (task.state, task.close_reason, task.closed_by) == (TaskState.CLOSED, CloseReason.DONE, admin_user)
    assert [(e.name, e["task_ids"]) for e in seen] == [(TASK_CLOSED, [task.pk])]
    with pytest.raises(StateConflict, match="already done"):
        services.task_done(company=company, actor=admin_user, task_id=task.pk)

    with events.recorded() as seen:
        services.task_undo(company=company, actor=admin_user, task_id=task.pk)
    task.refresh_from_db()
    assert (task.state, task.close_reason, task.closed_at) == (TaskState.OPEN, "", None)
    assert [(e.name, e["reopened"]) for e in seen] == [(TASK_OPENED, True)]
    with pytest.raises(StateConflict, match="nothing to undo"):
        services.task_undo(company=company, actor=admin_user, task_id=task.pk)
    assert [event.kind for event in selectors.task_history(task=task)] == [
        states.OPENED,
        states.CLOSED,
        states.REOPENED,
    ]


def test_a_task_closed_by_payment_is_not_reopened_by_hand(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    _pay(company, admin_user, invoice)
    task = _billing(invoice)
    with pytest.raises(StateConflict, match="its invoice was paid"):
        services.task_undo(company=company, actor=admin_user, task_id=task.pk)
    task.refresh_from_db()
    assert task.state == TaskState.CLOSED


def test_another_companys_task_is_not_found(company, admin_user):
    other = CompanyFactory()
    invoice = issued_invoice(other, StaffFactory(company=other).user, "100")
    with pytest.raises(services.TaskNotFound):
        services.task_done(company=company, actor=admin_user, task_id=_billing(invoice).pk)
    assert _billing(invoice).state == TaskState.OPEN


# --- opening by hand or by another app ------------------------------------------------------------


def test_a_task_by_hand_is_checked_and_its_assignee_told(company, admin_user):
    sara = manager(company)
    outsider = StaffFactory(company=CompanyFactory()).user
    with pytest.raises(ValidationFailed) as refused:
        services.task_open(company=company, actor=admin_user, text="  ", assignee_id=outsider.pk, priority=99)
    assert set(refused.value.errors) == {"text", "assignee", "priority"}
    assert not Task.objects.exists()

    invoice = issued_invoice(company, admin_user, "100")
    task = services.task_open(
        company=company,
        actor=admin_user,
        kind=TaskKind.REMINDER_CALL,
        invoice_id=invoice.pk,
        assignee_id=sara.pk,
        due_on=dt.date(2027, 1, 10),
        key=f"reminder_call:{invoice.pk}:2",
        params={"level": 2},
    )
    assert (task.customer_id, task.params["level"], task.params["number"]) == (
        invoice.customer_id,
        2,
        invoice.display_number,
    )
    from fakturera.worklist.models import Notification

    (told,) = Notification.objects.filter(user=sara)
    assert told.task_id == task.pk
    # Asked again with the same key (a reminder run twice): the same task, nothing new.
    again = services.task_open(
        company=company, actor=admin_user, kind=TaskKind.REMINDER_CALL, invoice_id=invoice.pk,
        assignee_id=sara.pk, key=f"reminder_call:{invoice.pk}:2",
    )  # fmt: skip
    assert again.pk == task.pk
    assert Task.objects.filter(kind=TaskKind.REMINDER_CALL).count() == 1


# --- the daily job ------------------------------------------------------------------------------


def test_passing_the_due_date_raises_the_priority_once_in_one_run(company, admin_user):
    due = issued_invoice(company, admin_user, "100")  # due 30 days after its date
    task = _billing(due)
    later = issued_invoice(company, admin_user, "100", issued_on=timezone.localdate())
    on_the_day = task.due_on

    assert services.tasks_raise_priority(today=on_the_day) == 0  # the due date itself is in time
    assert services.tasks_raise_priority(today=on_the_day + dt.timedelta(days=1)) == 1
    assert services.tasks_raise_priority(today=on_the_day + dt.timedelta(days=1)) == 0
    task.refresh_from_db()
    assert (task.priority, task.priority_raised_on) == (TaskPriority.HIGH, on_the_day + dt.timedelta(days=1))
    assert _billing(later).priority == TaskPriority.NORMAL
    raised = TaskEvent.objects.get(task=task, kind=states.PRIORITY_RAISED)
    assert raised.params == {"priority": 30, "due_on": on_the_day.isoformat()}

    # Lowered again by a person: the next day's run leaves it.
    Task.objects.filter(pk=task.pk).update(priority=TaskPriority.NORMAL)
    assert services.tasks_raise_priority(today=on_the_day + dt.timedelta(days=2)) == 0


def test_the_job_is_one_statement_for_any_number_of_tasks(company, admin_user):
    sara = manager(company)
    ids = drafts(company, admin_user, many_customers(company, 120, sara))
    invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=ids)
    far = timezone.localdate() + dt.timedelta(days=400)
    with CaptureQueriesContext(connection) as captured:
        assert services.tasks_raise_priority(today=far) == 120
    updates = [q for q in captured if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert len(captured) <= 8


def test_the_scheduler_knows_both_daily_jobs():
    from fakturera.core.scheduler import registered

    targets = {job.target for job in registered()}
    assert "fakturera.worklist.jobs:tasks_raise_priority_today" in targets
    assert "fakturera.worklist.jobs:digests_send_today" in targets


def test_the_job_runs_with_todays_date(company, admin_user):
    from fakturera.worklist.jobs import tasks_raise_priority_today

    task = _billing(issued_invoice(company, admin_user, "100"))
    with time_machine.travel(dt.datetime.combine(task.due_on + dt.timedelta(days=3), dt.time(1, 0)), tick=False):
        assert tasks_raise_priority_today().startswith("1 tasks")
    task.refresh_from_db()
    assert task.priority == TaskPriority.HIGH
