"""The Sending page in Chromium: a delivery the SMTP server refused is shown with its
error under Needs attention, and staff send it again with one click."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import invoices_send
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import basis_registered

pytestmark = pytest.mark.browser


def test_a_failed_delivery_is_shown_and_sent_again_from_the_sending_page(staff_page):
    page, company, user = staff_page
    invoice = basis_registered(company, user, "300.00")
    with SmtpServer(refuse_with="550 Mailbox unavailable") as smtp:
        email_channel(company, smtp.port, undo_minutes=0)
        invoices_send(company=company, actor=user, invoice_ids=[invoice.pk])
        deliveries_work(now=timezone.now() + dt.timedelta(minutes=1))

    page.goto("/distribution/")
    row = page.locator("#failed tr.delivery.failed")
    assert invoice.display_number in row.inner_text()
    assert "550" in row.locator(".error").inner_text()

    page.get_by_role("button", name=f"Send {invoice.display_number} again").click()
    page.wait_for_selector(".messages")

    assert "Queued to be sent again." in page.inner_text(".messages")
    assert page.locator("#failed").count() == 0
    assert Delivery.objects.filter(invoice=invoice, state=DeliveryState.QUEUED).count() == 1
