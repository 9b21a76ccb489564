"""An invoice issued through the API reaches a webhook receiver (a real HTTP server on
loopback) signed, once the issuing transaction commits. The webhooks themselves are
tested in fakturera/webhooks/tests."""

from __future__ import annotations

import json

import pytest

from fakturera.api.tests.api_clients import LINES, api_for
from fakturera.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from fakturera.webhooks.services import SIGNATURE_HEADER, verify, webhook_endpoint_create
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_issuing_through_the_api_sends_a_signed_event(company, receiver, django_capture_on_commit_callbacks):
    # given an endpoint listening for issued invoices
    endpoint = webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.issued"])
    api = api_for(company)
    customer = api.post("/persons", {"name": "Anna"}).json()

    # when an invoice is created and issued, and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        invoice = api.post("/invoices", {"customer_id": customer["id"], "lines": LINES, "issue": True}).json()

    # then the receiver got one POST whose signature checks out with the endpoint's secret
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["Fakturera-Event"] == "invoice.issued"
    assert verify(secret=endpoint.secret, body=body, header=headers[SIGNATURE_HEADER])
    assert not verify(secret="whsec_wrong", body=body, header=headers[SIGNATURE_HEADER])
    assert not verify(secret=endpoint.secret, body=body + b" ", header=headers[SIGNATURE_HEADER])
    event = json.loads(body)
    assert event["type"] == "invoice.issued"
    assert event["data"]["id"] == invoice["id"]
    assert event["data"]["number"] == "1"
    assert event["data"]["total_amount"] == "2768.75"
    delivery = WebhookDelivery.objects.get()
    assert event["id"] == delivery.pk
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.DELIVERED, 1, None)
    assert WebhookAttempt.objects.get().status_code == 200
