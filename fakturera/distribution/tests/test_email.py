"""Sending by e-mail through a real SMTP server on loopback: given invoices sent by staff,
when the worker runs after the undo window, then what arrives (or does not)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.history import channel_label
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.selectors import invoice_sending
from fakturera.distribution.services import deliveries_undo, invoices_send
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import credit_note_create
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Customer

pytestmark = pytest.mark.django_db


def after_window(minutes: int = 6) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_an_invoice_arrives_with_its_pdf_to_the_customer(company, admin_user):
    invoice = basis_registered(company, admin_user, "500.00", name="Anna Berg")
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

        invoice.refresh_from_db()
        assert batch.queued_count == 1
        assert invoice_sending(invoice=invoice).status == SendingStatus.QUEUED
        assert deliveries_work(now=timezone.now()).claimed == 0  # the undo window holds it back
        done = deliveries_work(now=after_window())

    assert done.sent == 1
    [received] = smtp.received
    assert received.recipients == ["anna.berg@example.se"]
    # The customer reads Swedish: the default Swedish template.
    assert received.message["Subject"] == f"Faktura {invoice.display_number} från {company.name}"
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert received.message["Message-ID"] == f"<{Delivery.objects.get().idempotency_key}@127.0.0.1>"
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.SENT
    assert invoice_sending(invoice=invoice).sent_at is not None
    event = invoice.events.get(kind=SendingEvent.SENT)
    assert event.params["recipient"] == "Anna Berg <anna.berg@example.se>"
    assert channel_label(event.params["channel"]) == "E-mail"


def test_a_refusing_server_rolls_the_invoice_back_with_the_error_in_its_history(company, admin_user):
    invoice = basis_registered(company, admin_user, "500.00")
    with SmtpServer(refuse_with="550 Mailbox unavailable") as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        done = deliveries_work(now=after_window())

    assert done.failed == 1
    assert smtp.received == []
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.UNSENT
    failure = invoice.events.get(kind=SendingEvent.SEND_FAILED)
    assert "550" in describe(failure)
    # The server's own words are not kept (whatever answers on that port is not echoed).
    assert "Mailbox unavailable" not in describe(failure)
    assert Delivery.objects.get().state == DeliveryState.FAILED


def test_a_temporary_refusal_is_retried_with_backoff_then_fails(company, admin_user):
    invoice = basis_registered(company, admin_user, "500.00")
    with SmtpServer(refuse_with="451 Try again later") as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        first = deliveries_work(now=after_window())
        delivery = Delivery.objects.get()
        assert first.retried == 1
        assert delivery.state == DeliveryState.QUEUED
        assert delivery.next_attempt_at > timezone.now()
        invoice.refresh_from_db()
        assert invoice_sending(invoice=invoice).status == SendingStatus.QUEUED
        later = timezone.now() + dt.timedelta(days=1)
        for _attempt in range(4):
            deliveries_work(now=later)

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 5
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.UNSENT


def test_undo_and_credit_inside_the_window_send_nothing_and_the_rest_arrives_once(company, admin_user):
    kept, undone, credited = (basis_registered(company, admin_user, "100.00") for _ in range(3))
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[kept.pk, undone.pk, credited.pk])
        deliveries_undo(company=company, actor=admin_user, delivery_ids=[Delivery.objects.get(invoice=undone).pk])
        credit_note_create(invoice=credited, actor=admin_user, quantities=None, reason="Fel pris")
        # stopped at once, not only when the window has passed
        assert Delivery.objects.get(invoice=credited).state == DeliveryState.STOPPED
        deliveries_work(now=after_window())
        deliveries_work(now=after_window(60))

    assert [r.recipients for r in smtp.received] == [[kept.customer.email]]
    states = dict(Delivery.objects.values_list("invoice_id", "state"))
    assert states == {kept.pk: "sent", undone.pk: "undone", credited.pk: "stopped"}
    status = sending_statuses(Invoice.objects.filter(pk__in=[undone.pk, credited.pk]))
    assert status == {undone.pk: SendingStatus.UNSENT, credited.pk: SendingStatus.UNSENT}
    assert undone.events.filter(kind=SendingEvent.SEND_UNDONE).exists()
    assert credited.events.filter(kind=SendingEvent.SEND_STOPPED).exists()


def test_undo_after_the_window_is_refused_and_changes_nothing(company, admin_user):
    from fakturera.core.errors import StateConflict

    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    delivery = Delivery.objects.get()
    with pytest.raises(StateConflict):
        deliveries_undo(company=company, actor=admin_user, delivery_ids=[delivery.pk], now=after_window())
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.QUEUED


def test_sending_twice_queues_once(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    again = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert again.queued_count == 0
    assert again.unsent_count == 1
    assert Delivery.objects.count() == 1


def test_an_unreachable_server_is_retried_later_without_trying_each_message(company, admin_user):
    from fakturera.core.tests.smtp import free_port

    invoices = [basis_registered(company, admin_user, "100.00") for _ in range(3)]
    email_channel(company, free_port())  # nothing listens there
    invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in invoices])

    done = deliveries_work(now=after_window())

    assert done.retried == 3
    errors = set(Delivery.objects.values_list("error", flat=True))
    assert len(errors) == 1
    assert "Could not reach the SMTP server" in errors.pop()
    assert set(sending_statuses(Invoice.objects.all()).values()) == {SendingStatus.QUEUED}


def test_a_name_with_line_breaks_adds_no_header_and_an_address_smtp_cannot_carry_fails_alone(company, admin_user):
    # A customer's name comes from a public course form: it must not smuggle in a header.
    hostile = basis_registered(company, admin_user, "500.00", name="Eva Ek")
    unsendable = basis_registered(company, admin_user, "300.00", name="Åsa")
    plain = basis_registered(company, admin_user, "200.00", name="Bo Ek")
    Customer.objects.filter(pk=hostile.customer_id).update(name="Eva Ek\r\nBcc: spy@example.org")
    Customer.objects.filter(pk=unsendable.customer_id).update(email="asa@exämpel.se")
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[hostile.pk, unsendable.pk, plain.pk])
        done = deliveries_work(now=after_window())

    assert (done.sent, done.failed) == (2, 1)
    assert sorted(r.recipients[0] for r in smtp.received) == ["bo.ek@example.se", "eva.ek@example.se"]
    for received in smtp.received:
        assert received.message["Bcc"] is None
        assert "spy@example.org" not in received.recipients
    unsendable.refresh_from_db()
    assert invoice_sending(invoice=unsendable).status == SendingStatus.UNSENT
    assert "asa@exämpel.se" in describe(unsendable.events.get(kind=SendingEvent.SEND_FAILED))
