"""Reminders as a person sends them in Chromium: the Reminders page lists the overdue invoices
due for a reminder, with the fee and interest each will claim; two are ticked and sent (print,
with the undo window); the print run is the reminder letters, one in Swedish, one in English."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from fakturera.collections.models import Reminder, StatutoryRate
from fakturera.collections.states import ReminderState
from fakturera.distribution.services import channel_setting_save, distribution_settings_save
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import PersonFactory

pytestmark = pytest.mark.browser


def test_send_the_due_reminders_and_print_the_letters(staff_page):
    page, company, user = staff_page
    for year in (2025, 2026, 2027):
        for month in (1, 7):
            StatutoryRate.objects.get_or_create(
                country="SE",
                kind="reference",
                valid_from=dt.date(year, month, 1),
                defaults={"value": Decimal("2.00"), "source": "test"},
            )
    channel_setting_save(company=company, channel="print", is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel="print", reserve_channel="", reminder_channel="print", undo_minutes=1
    )
    # Issued oldest first: a series' dates only go forward.
    not_now = overdue_invoice(company, user, "100.00", days_overdue=12)
    english = overdue_invoice(
        company, user, "800.00", days_overdue=12, customer=PersonFactory(company=company, language="en")
    )
    swedish = overdue_invoice(company, user, "400.00", days_overdue=10)

    page.goto("/")
    page.locator("#nav-reminders").click()
    page.wait_for_url("**/reminders/")
    table = page.locator("#reminders-due")
    for invoice in (swedish, english, not_now):
        assert table.locator(f"tr[data-invoice='{invoice.pk}']").count() == 1
    assert "1.37" in table.locator(f"tr[data-invoice='{swedish.pk}']").inner_text()  # 10 days at 10 %

    page.check(f"#reminder-selection input[value='{swedish.pk}']")
    page.check(f"#reminder-selection input[value='{english.pk}']")
    page.locator("#send-selected-reminders").click()

    page.wait_for_url("**/distribution/sends/*/")
    assert page.get_by_role("button", name="Undo").count() >= 1  # the whole send, and each delivery
    assert set(Reminder.objects.filter(company=company).values_list("invoice_id", flat=True)) == {
        swedish.pk,
        english.pk,
    }

    deliveries_work(now=timezone.now() + dt.timedelta(minutes=5))
    assert set(Reminder.objects.filter(company=company).values_list("state", flat=True)) == {ReminderState.SENT}
    page.reload()
    response = page.request.get(page.url + "print.pdf")
    assert response.headers["content-type"] == "application/pdf"
    words = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages).replace("\u00a0", " ").split()
    )
    assert "BETALNINGSPÅMINNELSE" in words
    assert "PAYMENT REMINDER" in words
    assert swedish.payment_reference in words
    assert english.payment_reference in words

    # Sent: no longer due; the one left out still is.
    page.goto("/reminders/")
    assert page.locator(f"#reminders-due tr[data-invoice='{swedish.pk}']").count() == 0
    assert page.locator(f"#reminders-due tr[data-invoice='{not_now.pk}']").count() == 1
