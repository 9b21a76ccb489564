"""The invoice.reminded webhook of a reminder the run gave carries its level, fee and interest
(collections' row, read by webhooks through collections.selectors)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fakturera.collections.models import Reminder
from fakturera.collections.run import reminders_run
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db


def test_the_reminded_webhook_carries_the_reminders_level_fee_and_interest(company, admin_user, rates):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    webhook_endpoint_create(company=company, url="https://crm.example/hook", events=["invoice.reminded"])

    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        reminders_run(company=company, actor=admin_user)
        # After the undo window, the worker sends it (distribution.worker).
        deliveries_work(now=timezone.now() + dt.timedelta(hours=1))

    [row] = Reminder.objects.filter(invoice=invoice)
    assert row.state == "sent"
    [delivery] = WebhookDelivery.objects.filter(event="invoice.reminded")
    data = delivery.payload.get("data", delivery.payload)
    assert data["invoice_id"] == invoice.pk
    assert data["purpose"] == "reminder"
    reminder = data["reminder"]
    assert reminder["id"] == row.pk
    assert reminder["level"] == 1
    assert Decimal(reminder["interest_amount"]) == row.interest_amount
    assert Decimal(reminder["interest_amount"]) > 0
    assert Decimal(reminder["fee_amount"]) == Decimal("0.00")
    assert reminder["new_due_on"] == row.new_due_on.isoformat()
