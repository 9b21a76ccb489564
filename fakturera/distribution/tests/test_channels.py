"""The portal notice, and the letter channel wired to a stand-in of the transports
branch's `letter_send` (same signature, same errors): retried with the same
idempotency key after a transient error and after a dead worker's lease runs out."""

from __future__ import annotations

import datetime as dt
import sys
import types
from dataclasses import dataclass

import pytest
from django.utils import timezone

from fakturera.distribution.channels.base import Outcome, Receipt, TransientError
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.tests.smtp import SmtpServer
from fakturera.distribution.worker import Round, _jobs, _record, deliveries_claim, deliveries_sweep, deliveries_work
from fakturera.invoicing.states import EventKind, SendingStatus
from fakturera.parties.models import Channel
from fakturera.portal.links import portal_invoice_url
from fakturera.staff.tests.invoice_helpers import issued_invoice

pytestmark = pytest.mark.django_db


def later(minutes: int = 10) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_person_on_the_portal_gets_a_notice_with_the_link_and_no_attachment(company, admin_user):
    invoice = issued_invoice(company, admin_user, "250.00")
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


@dataclass(frozen=True)
class LetterAddress:
    name: str
    lines: list
    postal_code: str
    city: str
    country: str


@pytest.fixture
def letter_service(monkeypatch):
    """A stand-in letter service: fails `failures` times with a transient error, then
    accepts; a repeated idempotency key returns the first receipt (as documented)."""
    module = types.ModuleType("fakturera.distribution.transports.letter")
    module.LetterAddress = LetterAddress
    module.letter_address_problem = lambda address: None
    module.calls = []
    module.accepted = {}
    module.failures = 0

    def letter_send(*, base_url, api_key, pdf, address, reference, idempotency_key, timeout=30):
        module.calls.append((idempotency_key, address, pdf[:4]))
        if module.failures:
            module.failures -= 1
            raise TransientError("HTTP 503 Service Unavailable", status=503)
        return module.accepted.setdefault(idempotency_key, Receipt(reference=f"L-{len(module.accepted) + 1}"))

    module.letter_send = letter_send
    monkeypatch.setitem(sys.modules, "fakturera.distribution.transports.letter", module)
    return module


def letter_company(company):
    channel_setting_save(
        company=company,
        channel=Channel.LETTER,
        is_active=True,
        options={"base_url": "https://print.example"},
        secret="nyckel",
    )
    distribution_settings_save(
        company=company, default_channel=Channel.LETTER, reserve_channel="", reminder_channel="", undo_minutes=5
    )


def test_a_letter_is_retried_with_the_same_key_after_a_transient_error(company, admin_user, letter_service):
    invoice = issued_invoice(company, admin_user, "250.00")
    letter_company(company)
    letter_service.failures = 1
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

    assert deliveries_work(now=later()).retried == 1
    assert deliveries_work(now=later(60)).sent == 1

    delivery = Delivery.objects.get()
    assert [call[0] for call in letter_service.calls] == [str(delivery.idempotency_key)] * 2
    assert letter_service.calls[-1][1].postal_code == invoice.customer.postal_code
    assert letter_service.calls[-1][2] == b"%PDF"
    assert delivery.reference == "L-1"
    sent = invoice.events.get(kind=EventKind.SENT)
    assert sent.details["reference"] == "L-1"
    assert invoice.customer.city in sent.details["recipient"]


def test_a_dead_workers_letter_is_sent_again_with_its_key_not_left_uncertain(company, admin_user, letter_service):
    invoice = issued_invoice(company, admin_user, "250.00")
    letter_company(company)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    # a worker claimed it, handed it to the service, and died before recording the answer
    deliveries_claim(now=later())
    delivery = Delivery.objects.get()
    [job] = _jobs([delivery], needs_pdf=True, needs_ubl=False)
    letter_service.letter_send(
        base_url="", api_key="", pdf=job.pdf, address=None, reference="", idempotency_key=str(delivery.idempotency_key)
    )
    Delivery.objects.update(handed_over_at=timezone.now())

    assert deliveries_sweep(now=later(60)) == {"requeued": 1, "uncertain": 0}
    assert deliveries_work(now=later(61)).sent == 1
    # the service saw the key twice and accepted one letter
    assert len(letter_service.accepted) == 1
    invoice.refresh_from_db()
    assert invoice.sending_status == SendingStatus.SENT


def test_a_success_recorded_after_the_sweeper_judged_it_uncertain_makes_it_sent(company, admin_user):
    invoice = issued_invoice(company, admin_user, "250.00")
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
    assert invoice.sending_status == SendingStatus.SENT
