"""Settings → API: administrators create keys (the secret shown once), revoke them,
and manage webhook endpoints whose deliveries and attempts they can read."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fakturera.core.tests.api_client import ApiClient
from fakturera.parties.keys import api_key_create
from fakturera.parties.models import ApiKey
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.staff_clients import field_errors, log_in
from fakturera.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from fakturera.webhooks.services import webhook_endpoint_create
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r"fk_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}")


@pytest.mark.parametrize("role", ["accountant", "read_only"])
def test_only_administrators_reach_the_api_settings(client, company, role):
    log_in(client, company, role=role)
    endpoint = webhook_endpoint_create(company=company, url="https://example.se/hook", events=["invoice.issued"])

    responses = [
        client.get(reverse("staff:integrations")),
        client.post(reverse("staff:integrations"), {"action": "create", "name": "Sneaky"}),
        client.get(reverse("staff:webhook_create")),
        client.get(reverse("staff:webhook_edit", args=[endpoint.pk])),
        client.post(reverse("staff:webhook_test", args=[endpoint.pk])),
        client.get(reverse("staff:webhook_deliveries", args=[endpoint.pk])),
    ]

    assert [r.status_code for r in responses] == [403] * 6
    assert ApiKey.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_a_new_key_is_shown_once_and_works(client, company):
    log_in(client, company, role="admin")

    created = client.post(reverse("staff:integrations"), {"action": "create", "name": "Fortnox export"})
    later = client.get(reverse("staff:integrations"))

    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    (token,) = TOKEN.findall(created.content.decode())
    key = ApiKey.objects.get()
    assert token.startswith(f"fk_{key.prefix}_")
    assert not TOKEN.findall(later.content.decode())
    assert f"fk_{key.prefix}_" in later.content.decode()
    assert "Fortnox export" in later.content.decode()
    assert ApiClient(token).get("/invoices").status_code == 200


def test_a_key_needs_a_name(client, company):
    log_in(client, company, role="admin")

    response = client.post(reverse("staff:integrations"), {"action": "create", "name": ""})

    assert response.status_code == 400
    assert field_errors(response, "name")
    assert ApiKey.objects.count() == 0


def test_revoking_a_key_stops_it(client, company):
    admin = log_in(client, company, role="admin")
    created = api_key_create(company=company, name="Old", actor=admin)

    response = client.post(reverse("staff:integrations"), {"action": "revoke", "key": created.key.pk}, follow=True)

    assert response.status_code == 200
    assert "Revoked" in response.content.decode()
    assert ApiClient(created.token).get("/invoices").status_code == 401


def test_another_companys_key_cannot_be_revoked(client, company):
    log_in(client, company, role="admin")
    other = CompanyFactory()
    created = api_key_create(company=other, name="Theirs", actor=None)

    response = client.post(reverse("staff:integrations"), {"action": "revoke", "key": created.key.pk})

    assert response.status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_endpoints_are_added_edited_and_deactivated(client, company):
    log_in(client, company, role="admin")

    bad = client.post(reverse("staff:webhook_create"), {"url": "ftp://example.se", "events": ["invoice.issued"]})
    added = client.post(
        reverse("staff:webhook_create"), {"url": "https://erp.example.se/hook", "events": ["invoice.issued"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    secret = endpoint.secret
    edited = client.post(
        reverse("staff:webhook_edit", args=[endpoint.pk]),
        {"url": "https://erp.example.se/hook2", "events": ["invoice.issued", "invoice.credited"], "new_secret": "on"},
    )

    assert bad.status_code == 400
    assert field_errors(bad, "url")
    assert added.status_code == 302
    assert edited.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "https://erp.example.se/hook2"
    assert endpoint.events == ["invoice.issued", "invoice.credited"]
    assert endpoint.is_active is False  # the box was not ticked
    assert endpoint.secret != secret
    page = client.get(reverse("staff:webhook_edit", args=[endpoint.pk])).content.decode()
    assert endpoint.secret in page
    listing = client.get(reverse("staff:integrations")).content.decode()
    assert "https://erp.example.se/hook2" in listing
    assert "Inactive" in listing


def test_a_test_event_is_delivered_and_its_attempt_shown(client, company, django_capture_on_commit_callbacks):
    log_in(client, company, role="admin")
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.issued"])

        with django_capture_on_commit_callbacks(execute=True):
            queued = client.post(reverse("staff:webhook_test", args=[endpoint.pk]))
    response = client.get(queued["Location"])

    assert response.status_code == 200
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    html = response.content.decode()
    assert f'id="delivery-{delivery.pk}"' in html
    assert "HTTP 200" in html
    assert "Delivered" in html


def test_another_companys_endpoint_is_404(client, company):
    log_in(client, company, role="admin")
    other = webhook_endpoint_create(company=CompanyFactory(), url="https://x.example/h", events=["invoice.issued"])

    responses = [
        client.get(reverse("staff:webhook_edit", args=[other.pk])),
        client.post(reverse("staff:webhook_test", args=[other.pk])),
        client.get(reverse("staff:webhook_deliveries", args=[other.pk])),
    ]

    assert [r.status_code for r in responses] == [404] * 3
    assert WebhookDelivery.objects.count() == 0
