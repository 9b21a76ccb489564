"""Distribution announces how invoices travel (distribution/events.py): invoice.queued,
invoice.sent, invoice.reminded and invoice.delivery_failed, one event per company and kind
of move, published in the transaction that moves them; webhooks passes sent and failed on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core import events
from fakturera.distribution.events import INVOICE_DELIVERY_FAILED, INVOICE_QUEUED, INVOICE_SENT
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db


def later() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10)


def by_export(company) -> None:
    channel_setting_save(company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "webhook"})
    distribution_settings_save(
        company=company, default_channel=Channel.EXPORT, reserve_channel="", reminder_channel="", undo_minutes=0
    )


def by_print(company) -> None:
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel=Channel.PRINT, reserve_channel="", reminder_channel="", undo_minutes=0
    )


def test_queued_and_sent_are_announced_per_company_with_the_delivery_facts(company, admin_user):
    other = CompanyFactory()
    mine = [basis_registered(company, admin_user, "100.00"), basis_registered(company, admin_user, "200.00")]
    theirs = basis_registered(other, admin_user, "300.00")
    by_print(company)
    by_print(other)
    # Someone listens, so the moves are announced.
    seen = []
    for name in (INVOICE_QUEUED, INVOICE_SENT):
        events.subscribe(name, seen.append, when=events.IN_TRANSACTION)
    try:
        invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in mine])
        invoices_send(company=other, actor=admin_user, invoice_ids=[theirs.pk])
        deliveries_work(now=later())
    finally:
        for name in (INVOICE_QUEUED, INVOICE_SENT):
            events.unsubscribe(name, seen.append)

    queued = [e for e in seen if e.name == INVOICE_QUEUED]
    assert [(e.company_id, sorted(e["invoice_ids"]), e["purpose"]) for e in queued] == [
        (company.pk, sorted(i.pk for i in mine), "invoice"),
        (other.pk, [theirs.pk], "invoice"),
    ]
    sent = {e.company_id: e for e in seen if e.name == INVOICE_SENT}
    assert sorted(sent[company.pk]["invoice_ids"]) == sorted(i.pk for i in mine)
    assert sent[other.pk]["invoice_ids"] == [theirs.pk]
    assert sent[company.pk]["channels"] == {i.pk: Channel.PRINT for i in mine}
    assert set(sent[company.pk]["history"]) == {i.pk for i in mine}


def test_a_failed_delivery_is_announced_and_reaches_a_webhook_endpoint(company, admin_user):
    invoice = basis_registered(company, admin_user, "800.00")
    by_export(company)  # no endpoint takes invoice.exported: the delivery fails for good
    endpoint = webhook_endpoint_create(
        company=company, url="https://crm.example/hooks", events=["invoice.delivery_failed", "invoice.sent"]
    )
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    with events.recorded() as seen:
        assert deliveries_work(now=later()).failed == 1

    [failed] = [e for e in seen if e.name == INVOICE_DELIVERY_FAILED]
    assert failed["invoice_ids"] == [invoice.pk]
    [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert delivery.event == "invoice.delivery_failed"
    data = delivery.payload["data"]
    assert data["invoice_id"] == invoice.pk
    assert data["purpose"] == "invoice"
    # The reason as data (a code and its parameters), for the receiver to word or act on.
    assert data["delivery"]["channel"] == Channel.EXPORT
    assert data["delivery"]["error"]["code"] == "no_webhook_endpoint"


def test_moves_nobody_listens_to_cost_no_announcement(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    by_print(company)
    with events.recorded() as seen:
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert [e.name for e in seen if e.name.startswith("invoice.")] == []
