"""The reminder run end to end: assessed from payments' receivables, queued through distribution
with its undo window, sent by the worker to a real SMTP server with the reminder letter, and
never twice: running again, catching up, failing and undoing (DESIGN.md, "The run")."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from fakturera.collections.models import Reminder
from fakturera.collections.run import (
    HELD_NOT_DELIVERED,
    HELD_PAUSED,
    HELD_PAYMENT_WAITING,
    reminders_assess,
    reminders_run,
)
from fakturera.collections.services import pause_create, policy_save
from fakturera.collections.states import ReminderState
from fakturera.collections.tests.factories import settings_saved
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import Delivery
from fakturera.distribution.selectors import invoice_sending
from fakturera.distribution.services import deliveries_undo
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.payments.importing import payments_import
from fakturera.payments.services import payment_register
from fakturera.payments.testing import Credit, camt054

pytestmark = pytest.mark.django_db


def later(minutes: int = 10) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def text_of(pdf: bytes) -> str:
    pages = [page.extract_text().replace("\u00a0", " ") for page in PdfReader(io.BytesIO(pdf)).pages]
    return " ".join("\n".join(pages).split())


def test_an_overdue_invoice_gets_its_first_reminder_letter_once(company, admin_user, smtp, rates):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)

    result = reminders_run(company=company, actor=admin_user)

    assert (result.queued, result.not_sent) == (1, {})
    reminder = Reminder.objects.get(invoice=invoice)
    assert (reminder.level, reminder.state, reminder.attempt) == (1, ReminderState.QUEUED, 1)
    assert reminder.delivery is not None
    assert reminder.open_amount == Decimal("500.00")
    # Interest for the ten days after the due date at 2 + 8 = 10 % a year (räntelagen 6 §).
    assert reminder.interest_amount == Decimal("1.37")
    assert reminder.new_due_on == timezone.localdate() + dt.timedelta(days=10)
    assert invoice_sending(invoice=invoice).reminder_count == 1

    # The same day again: every due level is given already.
    assert reminders_run(company=company, actor=admin_user).queued == 0
    assert Reminder.objects.filter(invoice=invoice).count() == 1

    deliveries_work(now=later())

    [received] = smtp.received
    assert received.message["Subject"].startswith("Påminnelse")
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_filename() == f"paminnelse-{invoice.display_number}-1.pdf"
    letter = text_of(attachment.get_content())
    assert "BETALNINGSPÅMINNELSE" in letter
    assert invoice.payment_reference in letter
    assert "501,37" in letter  # what is open and the interest
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SENT
    assert reminder.sent_at is not None


def test_the_run_holds_its_claims_without_the_garbage_collector(company, admin_user, rates):
    """A hundred thousand claims are not walked by the collector again and again (core.collector):
    it is off while the run gives its levels and on again when the run returns."""
    import gc

    from fakturera.collections.events import REMINDERS_QUEUED
    from fakturera.core.tests.collector_probe import collector_seen_at

    overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    email_channel(company, 25, reminder_channel="email")

    with collector_seen_at(REMINDERS_QUEUED) as seen:
        assert reminders_run(company=company, actor=admin_user).queued == 1
    assert seen == [False]
    assert gc.isenabled()


def test_a_missed_week_sends_the_due_level_once_not_one_per_day(company, admin_user, smtp, rates):
    # Forty days overdue and never reminded: level 1 is due (and level 2 would have been, had
    # level 1 gone out on time); only level 1 goes, and level 2 counts from it.
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=40)

    assert reminders_run(company=company, actor=admin_user).queued == 1
    assert reminders_run(company=company, actor=admin_user).queued == 0

    assert list(Reminder.objects.filter(invoice=invoice).values_list("level", flat=True)) == [1]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert reminders_assess(company=company, on=tomorrow).due == []
    in_two_weeks = timezone.localdate() + dt.timedelta(days=14)
    # Level 1 still waits to be sent: level 2 waits for it (distribution would refuse it as on its way).
    held = reminders_assess(company=company, on=in_two_weeks)
    assert (held.due, held.held) == ([], {invoice.pk: HELD_NOT_DELIVERED})
    deliveries_work(now=later())
    [due] = reminders_assess(company=company, on=in_two_weeks).due
    assert due.level.number == 2


def test_a_failed_reminder_is_given_again_by_the_next_run(company, admin_user, rates):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    with SmtpServer(refuse_with="554 Rejected") as refusing:
        email_channel(company, refusing.port, reminder_channel="email")
        reminders_run(company=company, actor=admin_user)
        deliveries_work(now=later())

    reminder = Reminder.objects.get(invoice=invoice)
    assert reminder.state == ReminderState.FAILED
    assert "554" in reminder.error
    assert invoice_sending(invoice=invoice).reminder_count == 0

    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        assert reminders_run(company=company, actor=admin_user).queued == 1
        reminder.refresh_from_db()
        assert (reminder.state, reminder.attempt, reminder.error) == (ReminderState.QUEUED, 2, "")
        deliveries_work(now=later())
    assert len(smtp.received) == 1
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SENT
    assert Reminder.objects.filter(invoice=invoice).count() == 1


def test_an_undone_reminder_no_longer_counts(company, admin_user, smtp, rates):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    reminders_run(company=company, actor=admin_user)
    reminder = Reminder.objects.get(invoice=invoice)

    deliveries_undo(company=company, actor=admin_user, delivery_ids=[reminder.delivery_id])

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.UNDONE
    assert Delivery.objects.get(pk=reminder.delivery_id).state == "undone"
    [due] = reminders_assess(company=company, on=timezone.localdate()).due
    assert (due.level.number, due.retry_id) == (1, reminder.pk)


def test_what_is_paid_paused_or_maybe_paid_is_not_reminded(company, admin_user, smtp, rates):
    paid = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    paused = overdue_invoice(company, admin_user, "300.00", days_overdue=10)
    maybe = overdue_invoice(
        company, admin_user, "200.00", days_overdue=10, customer=PersonFactory(company=company, name="Greta Garbo")
    )
    reminded = overdue_invoice(company, admin_user, "100.00", days_overdue=10)
    payment_register(
        company=company,
        actor=admin_user,
        amount="500.00",
        currency="SEK",
        booked_on=timezone.localdate(),
        invoice_id=paid.pk,
    )
    pause_create(
        company=company,
        actor=admin_user,
        invoice_id=paused.pk,
        reason="disputed",
        note="Fel antal",
        starts_on=timezone.localdate(),
    )
    # A payment from "GRETA GARBO" waits in the unmatched queue: her invoice waits for it.
    bankgiro = company.bankgiro.replace("-", "")
    payments_import(
        source=camt054([Credit(Decimal("77.00"), payer="GRETA GARBO", bank_reference="X-1")], bankgiro_digits=bankgiro),
        company=company,
    )

    assessment = reminders_assess(company=company, on=timezone.localdate())

    assert [due.claim.invoice_id for due in assessment.due] == [reminded.pk]
    assert assessment.held == {paused.pk: HELD_PAUSED, maybe.pk: HELD_PAYMENT_WAITING}
    assert reminders_run(company=company, actor=admin_user).queued == 1


def test_an_old_bank_file_is_warned_of(company, admin_user, rates):
    overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    settings_saved(company, bank_import_stale_days=2)

    [warning] = reminders_assess(company=company, on=timezone.localdate()).warnings

    assert "No bank file has been read yet" in warning


def test_a_swedish_reminder_fee_is_charged_once_where_agreed(company, admin_user, smtp, rates):
    settings_saved(company, is_reminder_fee_agreed=True)
    policy_save(
        company=company,
        actor=admin_user,
        customer_kind="person",
        levels=[
            {"days": 7, "days_from": "due_date", "fee_amount": "60.00", "new_due_days": 10},
            {"days": 14, "days_from": "previous", "new_due_days": 10},
        ],
    )
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)

    reminders_run(company=company, actor=admin_user)
    first = Reminder.objects.get(invoice=invoice)
    assert (first.fee_amount, first.fee_kind) == (Decimal("60.00"), "reminder_fee")
    deliveries_work(now=later())
    [received] = smtp.received
    [attachment] = list(received.message.iter_attachments())
    assert "Påminnelseavgift" in text_of(attachment.get_content())

    # Two weeks on, level 2 (the law allows its policy no fee: one per claim, lag (1981:739) 4 § 1).
    reminders_run(company=company, actor=admin_user, on=timezone.localdate() + dt.timedelta(days=14))
    second = Reminder.objects.get(invoice=invoice, level=2)
    assert second.fee_amount == Decimal("0.00")
