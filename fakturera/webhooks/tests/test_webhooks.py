"""Webhooks as a receiver sees them: a real HTTP server on loopback gets a signed
JSON body after the issuing transaction commits; failures are logged and retried
with backoff until the attempts run out; a rolled-back issue sends nothing.
(Issuing through the REST API: api/tests/test_api_webhooks.py.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from fakturera.billables.tests.factories import customer_with_items
from fakturera.invoicing.services import credit_note_create, invoice_issue
from fakturera.invoicing.tests.factories import DraftInvoiceFactory, basis_registered
from fakturera.webhooks.models import DeliveryStatus, WebhookDelivery
from fakturera.webhooks.services import (
    MAX_ATTEMPTS,
    deliveries_sweep,
    retry_delay,
    sign,
    verify,
    webhook_endpoint_create,
    webhook_test_send,
)
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db
# The first line of the API tests' invoice (api/tests/api_clients.py).
LINE = {"description": "Samtalsterapi", "quantity": "2", "unit_price": "950.00", "vat_category": "E", "vat_rate": "0"}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_crediting_in_the_staff_ui_path_sends_invoice_credited(
    company, admin_user, receiver, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.credited"])
    invoice = basis_registered(company, admin_user, "100.00", "200.00")
    assert receiver.requests == []  # not subscribed to invoice.issued

    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_create(invoice=invoice, actor=admin_user)

    (headers, body) = receiver.requests[0]
    event = json.loads(body)
    assert headers["Fakturera-Event"] == "invoice.credited"
    assert event["data"]["invoice"]["id"] == invoice.pk
    assert event["data"]["invoice"]["status"] == "credited"
    assert event["data"]["credit_note"]["id"] == note.pk
    assert event["data"]["credit_note"]["total_amount"] == "375.00"
    assert event["data"]["is_full"] is True


def test_registering_the_basis_records_a_delivery_per_invoice_and_endpoint(company, admin_user):
    from fakturera.invoicing.services import invoices_register_from_basis

    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/none", events=["invoice.issued"])
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/other", events=["invoice.issued"])
    for name in ("A", "B", "C"):
        customer_with_items(company, "100.00", name=name)

    invoices = invoices_register_from_basis(company=company, actor=admin_user)

    assert WebhookDelivery.objects.count() == 6
    payload_ids = sorted(d.payload["data"]["id"] for d in WebhookDelivery.objects.all())
    assert payload_ids == sorted([i.pk for i in invoices] * 2)


def test_a_rolled_back_issue_sends_nothing(company, admin_user, receiver, django_capture_on_commit_callbacks):
    webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.issued"])
    draft = DraftInvoiceFactory(company=company, actor=admin_user, lines=[LINE])

    def issue_then_fail() -> None:
        with transaction.atomic():
            invoice_issue(invoice=draft, actor=admin_user)
            raise RuntimeError("the caller's transaction fails after issuing")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        issue_then_fail()

    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0


def test_inactive_or_unsubscribed_endpoints_get_nothing(company, admin_user, receiver):
    webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.issued"], is_active=False)
    webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.credited"])

    basis_registered(company, admin_user, "100.00")

    assert WebhookDelivery.objects.count() == 0


def test_failures_are_logged_and_retried_with_backoff_until_they_run_out(
    company, admin_user, django_capture_on_commit_callbacks
):
    # given a receiver that answers 500
    with Receiver(status=500) as failing:
        webhook_endpoint_create(company=company, url=failing.url, events=["invoice.issued"])
        start = timezone.now()
        with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
            basis_registered(company, admin_user, "100.00")

        # then the first attempt is logged and the next one is 30 s later
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
        assert delivery.last_error.startswith("HTTP 500")

        # when the sweep runs before that, nothing is sent; after it, the retry is
        with time_machine.travel(start + dt.timedelta(seconds=29), tick=False):
            assert deliveries_sweep() == 0
        at = start
        for attempt in range(1, MAX_ATTEMPTS):
            at += retry_delay(attempt)
            with time_machine.travel(at, tick=False):
                assert deliveries_sweep() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, MAX_ATTEMPTS, None)
    assert len(failing.requests) == MAX_ATTEMPTS
    assert [a.status_code for a in delivery.attempt_log.all()] == [500] * MAX_ATTEMPTS
    assert [retry_delay(n).total_seconds() for n in range(1, 5)] == [30, 60, 120, 240]
    assert retry_delay(30) == dt.timedelta(hours=6)


def test_a_receiver_that_is_down_is_an_error_and_then_delivered(company, django_capture_on_commit_callbacks):
    with Receiver() as later:
        url = later.url
    endpoint = webhook_endpoint_create(company=company, url=url, events=["invoice.issued"])

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_test_send(endpoint=endpoint)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempt_log.get().status_code is None
    assert delivery.last_error

    with Receiver() as back:
        endpoint.url = back.url
        endpoint.save()
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
            deliveries_sweep()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert json.loads(back.requests[0][1])["type"] == "test"


def test_a_retry_is_deferred_on_a_backend_that_can_defer(company, settings, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    endpoint = webhook_endpoint_create(company=company, url="http://127.0.0.1:9/closed", events=["invoice.issued"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="test", payload={"type": "test"}, next_attempt_at=timezone.now()
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from fakturera.webhooks.services import delivery_send

    with django_capture_on_commit_callbacks(execute=True):
        delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    (queued,) = default_task_backend.results
    assert queued.args == [[delivery.pk]]
    assert queued.task.run_after == delivery.next_attempt_at


def test_signatures_expire():
    body = b'{"type":"test"}'
    header = sign(secret="s", body=body, timestamp=1_000_000)

    assert verify(secret="s", body=body, header=header, now=1_000_100)
    assert not verify(secret="s", body=body, header=header, now=1_000_400)
    assert not verify(secret="s", body=body, header="t=x,v1=00")
