"""Reminders as a person sends them in Chromium: the Reminders page lists the overdue invoices
due for a reminder, with the fee and interest each will claim; two are ticked and sent (print,
with the undo window); the print run is the reminder letters, one in Swedish, one in English.
An invoice paid late is proposed in the "Interest invoices" tab and issued from there."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from fakturera.collections.models import InterestCharge, Reminder
from fakturera.collections.states import InterestChargeState, ReminderState
from fakturera.collections.tests.factories import paid_late, reference_rates, reminders_by_print
from fakturera.distribution.models import Delivery
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import PersonFactory

pytestmark = pytest.mark.browser


def test_send_the_due_reminders_and_print_the_letters(staff_page):
    page, company, user = staff_page
    reference_rates()
    reminders_by_print(company)
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


def test_issue_an_interest_invoice_for_a_late_payment(staff_page):
    page, company, user = staff_page
    reference_rates()
    reminders_by_print(company)
    # Paid today, 20 days after its due date: 50,000 for 20 days at 10 % is 273.97 of interest.
    late = paid_late(company, user, days_late=20, net="40000.00")
    # Paid on time: owes nothing, not listed.
    paid_late(company, user, days_late=0, net="40000.00")

    page.goto("/reminders/")
    page.locator("#tab-interest-invoices").click()
    page.wait_for_url("**/reminders/interest/")
    table = page.locator("#interest-invoices")
    assert table.locator("tbody tr").count() == 1
    row = table.locator(f"tr[data-invoice='{late.pk}']")
    assert "273.97" in row.inner_text()
    assert "20" in row.locator("td").nth(5).inner_text()

    page.check("#select-all-interest")
    page.locator("#issue-selected-interest").click()

    page.wait_for_url("**/reminders/interest/?state=issued")
    charge = InterestCharge.objects.get(invoice=late)
    assert charge.state == InterestChargeState.ISSUED
    interest_invoice = Invoice.objects.get(pk=charge.charge_invoice_id)
    assert interest_invoice.total_amount == Decimal("273.97")
    assert f"1 interest invoices issued: {interest_invoice.display_number}." in page.content()
    page.locator(f"#interest-invoices a:text('{interest_invoice.display_number}')").click()
    page.wait_for_url(f"**/invoices/{interest_invoice.pk}/")
    # Its lines are in the invoice's language (the customer's: Swedish).
    assert f"Dröjsmålsränta på faktura {late.display_number}, 20 dagar" in page.content()
    # Sent the way the customer's invoices go: queued for print with the undo window.
    assert Delivery.objects.filter(invoice=interest_invoice, purpose="invoice").count() == 1
