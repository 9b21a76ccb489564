"""The Reminders page (Kravhantering) and the daily job: what is due today with what each
reminder says, held back with why, sent in bulk through distribution (then its undo page)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from fakturera.collections.jobs import reminders_run_today
from fakturera.collections.models import Reminder
from fakturera.collections.services import pause_create
from fakturera.collections.tests.factories import settings_saved
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rates")]
PAGE = reverse("staff:reminders")
SEND = reverse("staff:reminders_send")


def test_the_page_lists_what_is_due_and_sends_the_selected(company, admin_user):
    # Issued oldest first: a series' dates only go forward.
    second = overdue_invoice(company, admin_user, "800.00", days_overdue=12)
    paused = overdue_invoice(company, admin_user, "100.00", days_overdue=12)
    first = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    pause_create(
        company=company, actor=admin_user, invoice_id=paused.pk, reason="disputed", starts_on=timezone.localdate()
    )
    client, _user = staff_client(company)

    page = client.get(PAGE).content.decode()

    assert f'data-invoice="{first.pk}"' in page
    assert f'data-invoice="{second.pk}"' in page
    assert 'id="reminders-held"' in page
    assert "Reminders paused" in page
    assert "No bank file has been read yet" in page
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        response = client.post(SEND, {"invoice": [str(first.pk)]})

    assert response.status_code == 302
    [reminder] = Reminder.objects.filter(company=company)
    assert reminder.invoice_id == first.pk
    assert response["Location"] == reverse("staff:send_detail", args=[reminder.delivery.batch_id])
    # Sent: no longer due today.
    assert f'data-invoice="{first.pk}"' not in client.get(PAGE).content.decode()


def test_sending_without_a_channel_says_why_and_gives_nothing(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    client, _user = staff_client(company)

    response = client.post(SEND, {"all": "1"}, follow=True)

    assert "No channel is active" in " ".join(messages_of(response))
    assert not Reminder.objects.filter(invoice=invoice).exists()


def test_the_daily_job_reminds_each_company_on_its_own(company, admin_user):
    other = CompanyFactory(org_number="5566778899", bankgiro="5050-1055")
    stranded = overdue_invoice(other, admin_user, "400.00", days_overdue=10)  # no channel set up
    left_alone = CompanyFactory()  # has not chosen the daily job (off by default): its invoice waits
    waiting = overdue_invoice(left_alone, admin_user, "400.00", days_overdue=10)
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    for each in (company, other):
        settings_saved(each, is_reminding_automatically=True)

    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        email_channel(left_alone, smtp.port, reminder_channel="email")
        summary = reminders_run_today()
        again = reminders_run_today()

    assert summary.startswith("1 reminders of 1 companies; 1 companies refused")
    assert again.startswith("0 reminders")
    assert Reminder.objects.filter(invoice=invoice).count() == 1
    assert not Reminder.objects.filter(invoice=stranded).exists()
    assert not Reminder.objects.filter(invoice=waiting).exists()


def test_sending_ids_that_are_no_invoice_selects_nothing(company, admin_user):
    client, _user = staff_client(company)

    response = client.post(SEND, {"invoice": ["abc", "-1", str(2**64)]}, follow=True)

    assert "Select at least one reminder to send." in " ".join(messages_of(response))
    assert not Reminder.objects.exists()
