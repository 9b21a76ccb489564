"""A Peppol customer's reminder (issue 15: «Peppol customers get their reminder through their
reserve channel (Peppol has no reminder document), stated in the history»): the run sends it by
the company's reserve channel, and the invoice's history says why."""

from __future__ import annotations

import pytest

from fakturera.collections.models import Reminder
from fakturera.collections.run import reminders_run
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import Delivery
from fakturera.distribution.services import channel_setting_save, distribution_settings_save
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.history import detail_rows
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_a_peppol_customers_reminder_goes_by_the_reserve_channel_and_says_so(company, admin_user):
    company.peppol_id = "0007:5566778899"
    company.save(update_fields=["peppol_id"])
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        channel_setting_save(company=company, channel="print", is_active=True, options={})
        channel_setting_save(
            company=company, channel="peppol", is_active=True, options={"base_url": "http://127.0.0.1:9"}, secret="k"
        )
        distribution_settings_save(
            company=company, default_channel="peppol", reserve_channel="email", reminder_channel="print", undo_minutes=5
        )
        customer = OrganisationFactory(
            company=company, preferred_channel="peppol", peppol_id="0007:5560360793", email="ap@firma.example"
        )
        invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10, customer=customer)

        assert reminders_run(company=company, actor=admin_user).queued == 1

    reminder = Reminder.objects.get(invoice=invoice)
    delivery = Delivery.objects.get(pk=reminder.delivery_id)
    assert (delivery.channel, delivery.purpose) == ("email", "reminder")
    event = InvoiceEvent.objects.get(invoice=invoice, kind="reminder_queued")
    assert ("Routing", "Peppol has no reminder document: the reminder goes by E-mail.") in detail_rows(event)
