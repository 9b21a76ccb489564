"""Sending from the invoice list in Chromium: select all, Send, Undo one; after the undo
window the worker delivers the rest to a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import basis_registered

pytestmark = pytest.mark.browser


def test_select_all_send_undo_one_and_the_rest_arrive(staff_page):
    page, company, user = staff_page
    invoices = [basis_registered(company, user, "300.00") for _ in range(3)]
    undone = invoices[1]
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, undo_minutes=5)

        # when staff select every invoice in the list and send them by their routed channel
        page.goto("/invoices/")
        page.get_by_label("Select all").check()
        page.click("#send-selected")
        assert page.inner_text("#send-count") == "3 invoices selected."
        page.click("#send-confirm")
        page.wait_for_selector("#send-progress")
        assert page.inner_text("#count-waiting") == "3"

        # and undo one of them inside the undo window
        page.get_by_role("button", name=f"Undo {undone.display_number}").click()
        page.wait_for_selector(".messages, #send-progress")
        assert page.inner_text("#count-waiting") == "2"
        assert page.inner_text("#count-undone") == "1"

        # then, once the window has passed, the worker delivers the other two, once each
        done = deliveries_work(now=timezone.now() + dt.timedelta(minutes=6))
        assert done.sent == 2
        deliveries_work(now=timezone.now() + dt.timedelta(minutes=60))
        received = sorted(r.recipients[0] for r in smtp.received)

    assert received == sorted(i.customer.email for i in invoices if i.pk != undone.pk)
    statuses = sending_statuses(Invoice.objects.all())
    assert statuses == {
        invoices[0].pk: SendingStatus.SENT,
        undone.pk: SendingStatus.UNSENT,
        invoices[2].pk: SendingStatus.SENT,
    }
    # and the page, polling, shows the send finished
    # (expect, not wait_for_function: a string of script is eval, which the page's CSP refuses)
    expect(page.locator("#count-sent")).to_have_text("2", timeout=10_000)
