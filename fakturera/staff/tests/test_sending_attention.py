"""The Sending page shows the work that needs staff (failed, uncertain, waiting long or
tried again, stuck with a worker whose lease ran out) with its error, and resolves it
through distribution's services, with history; tenant-scoped and role-checked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent, SendingMove, SendingStatus, move_sending
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db


def later(minutes: int = 10) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def answer(client, delivery: Delivery, action: str):
    return client.post(f"/distribution/deliveries/{delivery.pk}/answer/", {"action": action})


def test_a_failed_delivery_is_shown_with_its_error_and_sent_again(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    with SmtpServer(refuse_with="550 Mailbox unavailable") as smtp:
        email_channel(company, smtp.port, undo_minutes=0)
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        deliveries_work(now=later())
    failed = Delivery.objects.get()
    assert failed.state == DeliveryState.FAILED
    client, user = staff_client(company)

    page = client.get("/distribution/").content.decode()
    assert 'id="failed"' in page
    assert invoice.display_number in page
    assert "550" in page

    response = answer(client, failed, "retry")

    assert messages_of(response)[-1] == "Queued to be sent again."
    again = Delivery.objects.exclude(pk=failed.pk).get()
    assert again.state == DeliveryState.QUEUED
    assert sending_statuses(Invoice.objects.all()) == {invoice.pk: SendingStatus.QUEUED}
    assert invoice.events.filter(kind=SendingEvent.QUEUED, actor=user).exists()
    # sent again, it is no longer on the page as failed
    assert 'id="failed"' not in client.get("/distribution/").content.decode()


def test_a_delivery_tried_again_and_again_is_shown_and_can_go_now_or_be_stopped(company, admin_user):
    first, second = (basis_registered(company, admin_user, "100.00") for _n in range(2))
    with SmtpServer(refuse_with="451 Try again later") as smtp:
        email_channel(company, smtp.port, undo_minutes=0)
        invoices_send(company=company, actor=admin_user, invoice_ids=[first.pk, second.pk])
        deliveries_work(now=later())
    one, two = Delivery.objects.order_by("invoice__number")
    assert (one.state, one.attempts) == (DeliveryState.QUEUED, 1)
    client, user = staff_client(company)

    page = client.get("/distribution/").content.decode()
    assert 'id="waiting"' in page
    assert "451" in page

    answer(client, one, "send_now")
    response = answer(client, two, "cancel")

    assert messages_of(response)[-1] == "Stopped; it was not sent."
    one.refresh_from_db()
    assert one.next_attempt_at <= timezone.now()
    assert Delivery.objects.get(pk=two.pk).state == DeliveryState.UNDONE
    assert sending_statuses(Invoice.objects.all()) == {first.pk: SendingStatus.QUEUED, second.pk: SendingStatus.UNSENT}
    assert second.events.filter(kind=SendingEvent.SEND_UNDONE, actor=user).exists()


def test_an_uncertain_delivery_confirmed_as_not_arrived_is_unsent_with_history(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    delivery = Delivery.objects.get()
    Delivery.objects.update(state=DeliveryState.UNCERTAIN, handed_over_at=timezone.now(), attempts=1)
    move_sending(
        [SendingMove(invoice.pk, SendingStatus.UNCERTAIN, SendingEvent.SEND_UNCERTAIN, {"channel": "email"})],
        expected=SendingStatus.QUEUED,
        actor=None,
    )
    client, user = staff_client(company)
    assert "It did not arrive" in client.get("/distribution/").content.decode()

    answer(client, delivery, "not_sent")

    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert sending_statuses(Invoice.objects.all()) == {invoice.pk: SendingStatus.UNSENT}
    event = invoice.events.filter(kind=SendingEvent.SEND_FAILED).get()
    assert event.actor == user
    assert "did not arrive" in describe(event)


def test_deliveries_stuck_with_a_dead_worker_are_judged_by_check_now(company, admin_user):
    accepted, in_flight, untouched = (basis_registered(company, admin_user, "100.00") for _n in range(3))
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[accepted.pk, in_flight.pk, untouched.pk])
    past = timezone.now() - dt.timedelta(minutes=1)
    Delivery.objects.update(state=DeliveryState.SENDING, lease_until=past, attempts=1)
    Delivery.objects.filter(invoice=accepted).update(handed_over_at=past, accepted_at=past, reference="<a@b>")
    Delivery.objects.filter(invoice=in_flight).update(handed_over_at=past)
    client, _user = staff_client(company)
    assert 'id="stuck"' in client.get("/distribution/").content.decode()

    response = client.post("/distribution/deliveries/check/")

    assert messages_of(response)[-1] == "1 recorded as sent, 1 back in the queue, 1 uncertain."
    states = dict(Delivery.objects.values_list("invoice_id", "state"))
    assert states == {
        accepted.pk: DeliveryState.SENT,
        in_flight.pk: DeliveryState.UNCERTAIN,
        untouched.pk: DeliveryState.QUEUED,
    }


def test_answers_are_for_the_own_company_and_need_the_accountant_role(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    delivery = Delivery.objects.get()
    reader, _user = staff_client(company, role="read_only")
    outsider, _other = staff_client(CompanyFactory())

    assert answer(reader, delivery, "cancel").status_code == 403
    assert reader.post("/distribution/deliveries/check/").status_code == 403
    assert answer(outsider, delivery, "cancel").status_code == 404
    assert Delivery.objects.get().state == DeliveryState.QUEUED
    assert answer(staff_client(company)[0], delivery, "anything").status_code == 400
