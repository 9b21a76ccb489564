"""Recurring invoices that issue automatically: generation issues their orders and sends them
by the customer's channel, without anyone's click (a month-end run by the workers alone)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.documents.models import InvoiceDocument
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.tests.factories import PersonFactory
from fakturera.recurring.services import recurring_generate, recurring_orders_issue
from fakturera.recurring.tests.helpers import line, orders_of, recurring

pytestmark = pytest.mark.django_db


def test_orders_of_an_automatic_recurring_invoice_are_issued_rendered_and_e_mailed(
    company, admin_user, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    customer = PersonFactory(company=company, email="kund@post.example")
    automatic = recurring(
        company, customer, admin_user, line("Webbhotell", "199", "monthly", today), is_issued_automatically=True
    )
    reviewed = recurring(company, customer, admin_user, line("Support", "500", "monthly", today))
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, undo_minutes=0)

        with django_capture_on_commit_callbacks(execute=True):
            recurring_generate(today=today)
        deliveries_work(now=timezone.now() + dt.timedelta(seconds=1))

        [invoice] = orders_of(automatic)
        assert (invoice.status, invoice.number) == (InvoiceStatus.ISSUED, 1)
        assert set(InvoiceDocument.objects.filter(invoice=invoice).values_list("format", flat=True)) == {"pdf", "ubl"}
        assert Delivery.objects.get(invoice=invoice).state == DeliveryState.SENT
        [received] = smtp.received
        assert received.recipients == ["kund@post.example"]
        assert any(part.get_content_type() == "application/pdf" for part in received.message.iter_attachments())
    # the other recurring invoice's order waits for staff, as before
    [order] = orders_of(reviewed)
    assert order.status == InvoiceStatus.DRAFT
    assert not Delivery.objects.filter(invoice=order).exists()


def test_issuing_the_same_orders_again_issues_and_sends_nothing_more(
    company, admin_user, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    customer = PersonFactory(company=company, email="kund@post.example")
    automatic = recurring(
        company, customer, admin_user, line("Webbhotell", "199", "monthly", today), is_issued_automatically=True
    )
    email_channel(company, 2525, undo_minutes=0)
    with django_capture_on_commit_callbacks(execute=True):
        recurring_generate(today=today)
    [invoice] = orders_of(automatic)

    # a task run twice (its worker killed after the commit) finds nothing left to issue
    assert recurring_orders_issue(company=company, order_ids=[invoice.pk]) == 0

    assert Invoice.objects.filter(company=company).exclude(status=InvoiceStatus.DRAFT).count() == 1
    assert Delivery.objects.filter(invoice=invoice).count() == 1


def test_without_an_active_channel_the_orders_are_issued_and_wait_to_be_sent(
    company, admin_user, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    customer = PersonFactory(company=company, email="kund@post.example")
    automatic = recurring(
        company, customer, admin_user, line("Webbhotell", "199", "monthly", today), is_issued_automatically=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        recurring_generate(today=today)

    [invoice] = orders_of(automatic)
    assert invoice.status == InvoiceStatus.ISSUED
    assert not Delivery.objects.filter(invoice=invoice).exists()
