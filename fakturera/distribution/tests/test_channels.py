"""The portal notice, and a late success after the sweeper judged a delivery uncertain.
The letter, Peppol and direct-debit channels: test_outside_services.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.channels.base import Outcome
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.selectors import invoice_sending
from fakturera.distribution.services import channel_setting_save, invoices_send
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import Round, _jobs, _record, deliveries_claim, deliveries_sweep, deliveries_work
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.portal.links import portal_invoice_url

pytestmark = pytest.mark.django_db


def later(minutes: int = 10) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_person_on_the_portal_gets_a_notice_with_the_link_and_no_attachment(company, admin_user):
    invoice = basis_registered(company, admin_user, "250.00")
    invoice.customer.preferred_channel = Channel.PORTAL
    invoice.customer.save()
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        channel_setting_save(company=company, channel=Channel.PORTAL, is_active=True, options={})
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        assert deliveries_work(now=later()).sent == 1

    [received] = smtp.received
    assert received.recipients == [invoice.customer.email]
    assert portal_invoice_url(invoice) in received.message.get_body().get_content()
    assert list(received.message.iter_attachments()) == []
    assert Delivery.objects.get().channel == Channel.PORTAL


def test_a_success_recorded_after_the_sweeper_judged_it_uncertain_makes_it_sent(company, admin_user):
    invoice = basis_registered(company, admin_user, "250.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    deliveries_claim(now=later())
    Delivery.objects.update(handed_over_at=timezone.now())
    delivery = Delivery.objects.get()
    [job] = _jobs([delivery], needs_pdf=False, needs_ubl=False)
    assert deliveries_sweep(now=later(60))["uncertain"] == 1

    _record([job], [Outcome(delivery.pk, reference="<id@x>")], Round())

    assert Delivery.objects.get().state == DeliveryState.SENT
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.SENT
