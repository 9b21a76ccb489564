"""Seed 001 in Chromium: on the basis, tick two customers, Register & e-mail; the undo window
is shown; once it has passed the worker sends both to a real SMTP server on loopback and the
send's page shows them sent. And a Register that splits one customer's basis by project
number, asked first and listed after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.tests.factories import customer_with_items
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.models import Invoice

pytestmark = pytest.mark.browser


def test_register_and_email_two_ticked_customers_then_they_are_sent(staff_page):
    page, company, _user = staff_page
    anna, _ = customer_with_items(company, "1000", name="Anna Andersson")
    bo, _ = customer_with_items(company, "500", name="Bo Berg")
    cecilia, _ = customer_with_items(company, "700", "300", name="Cecilia Ceder")
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, undo_minutes=5)

        # When Anna and Cecilia are ticked and "Register & e-mail" is chosen on the basis
        page.goto("/basis/")
        page.get_by_label("Select Anna Andersson").check()
        page.get_by_label("Select Cecilia Ceder").check()
        page.get_by_label("How").select_option("email")
        page.click("#register-selected")

        # Then the page after it lists both invoices waiting for e-mail, and offers the undo window
        page.wait_for_url("**/basis/registered/?*")
        messages = page.locator(".messages").inner_text()
        assert "2 invoices registered (numbers 1–2)." in messages
        assert "Waiting to be sent: 2 E-mail." in messages
        rows = page.locator("tr.registered-row").all_inner_texts()
        assert len(rows) == 2
        assert all("E-mail: Waiting to be sent" in row for row in rows)
        undo = page.locator("#registered-send")
        assert "undo until" in undo.inner_text()
        undo.click()
        page.wait_for_selector("#send-progress")
        assert page.inner_text("#count-waiting") == "2"
        assert page.locator("#undo-all").is_visible()

        # When the window has passed, the worker delivers both, once each
        assert deliveries_work(now=timezone.now() + dt.timedelta(minutes=6)).sent == 2
        deliveries_work(now=timezone.now() + dt.timedelta(minutes=60))
        received = sorted(r.recipients[0] for r in smtp.received)

    assert received == sorted([anna.email, cecilia.email])
    assert set(sending_statuses(Invoice.objects.all()).values()) == {SendingStatus.SENT}
    # ... the send's page, polling, shows them sent, and Bo is still in the basis
    expect(page.locator("#count-sent")).to_have_text("2", timeout=10_000)
    assert list(BasisItem.objects.filter(status=BasisItemStatus.OPEN).values_list("customer_id", flat=True)) == [bo.pk]


def test_register_that_splits_by_project_number_asks_first_in_the_browser(staff_page):
    page, company, _user = staff_page
    anna, items = customer_with_items(company, "100", "200", "300", name="Anna Andersson")
    for item, reference in zip(items, ["P-2", "P-1", "P-2"], strict=True):
        BasisItem.objects.filter(pk=item.pk).update(buyer_reference=reference)
    customer_with_items(company, "50", name="Bo Berg")

    # When Anna's own Register button is pressed
    page.goto("/basis/")
    page.locator(f"#basis-customer-{anna.pk}").get_by_role("button", name="Register").click()

    # Then the page says she gets two invoices and why, before anything is registered
    expect(page.locator("#basis-splits")).to_have_text("Anna Andersson: 2 invoices (project P-1, project P-2)")
    assert Invoice.objects.count() == 0

    # When it is confirmed, her two invoices are registered, one per project number
    page.click("#register-confirm")
    page.wait_for_url("**/invoices/?*")
    assert "Anna Andersson: 1 (project P-1), 2 (project P-2)." in page.locator(".messages").inner_text()
    assert list(Invoice.objects.order_by("number").values_list("buyer_reference", "total_amount")) == [
        ("P-1", 250),
        ("P-2", 500),
    ]
