"""Payments' events (payment.received, payment.unmatched, invoice.paid, invoice.overpaid) become
one delivery per payment or invoice and endpoint, in the booking's transaction, with the
payment's fields and the invoices' payment state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.payments.importing import payments_import
from fakturera.payments.services import payment_register
from fakturera.payments.testing import Credit, camt054
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import SUBSCRIBABLE_EVENTS, webhook_endpoint_create

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 11, 25)
PAYMENT_EVENTS = ["payment.received", "payment.unmatched", "invoice.paid", "invoice.overpaid"]


class Rollback(Exception):
    pass


def _data(event: str) -> list[dict]:
    return [d.payload["data"] for d in WebhookDelivery.objects.filter(event=event).order_by("pk")]


def test_the_payment_events_may_be_subscribed():
    assert set(PAYMENT_EVENTS) <= {str(event) for event in SUBSCRIBABLE_EVENTS}


def test_a_payment_that_pays_an_invoice_is_received_and_the_invoice_paid(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=PAYMENT_EVENTS)
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/b", events=["invoice.paid"])
    invoice = issued_invoice(company, admin_user, "1000")

    payment = payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    received = _data("payment.received")
    assert len(received) == 1
    assert received[0]["id"] == payment.pk
    assert received[0]["amount"] == "1250.00"
    assert received[0]["status"] == "allocated"
    assert received[0]["booked_on"] == "2026-11-25"
    [allocation] = received[0]["allocations"]
    assert allocation["invoice_id"] == invoice.pk
    assert allocation["invoice_payment"]["state"] == "paid"
    assert allocation["invoice_payment"]["open_amount"] == "0.00"
    # invoice.paid: one delivery per invoice and endpoint (two endpoints listen)
    paid = _data("invoice.paid")
    assert len(paid) == 2
    assert paid[0]["invoice_id"] == invoice.pk
    assert paid[0]["number"] == invoice.display_number
    assert paid[0]["payment"] == {
        "state": "paid",
        "paid_amount": "1250.00",
        "open_amount": "0.00",
        "credited_amount": "0.00",
        "paid_on": "2026-11-25",
        "days_late": None,
    }
    assert _data("payment.unmatched") == []
    assert _data("invoice.overpaid") == []


def test_an_overpayment_is_announced(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=["invoice.overpaid"])
    invoice = issued_invoice(company, admin_user, "1000")

    payment_register(
        company=company, actor=admin_user, amount="1300.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    [overpaid] = _data("invoice.overpaid")
    assert overpaid["invoice_id"] == invoice.pk
    assert overpaid["payment"]["state"] == "overpaid"
    assert overpaid["payment"]["open_amount"] == "-50.00"


def test_a_bank_file_gives_one_delivery_per_payment_and_endpoint(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=PAYMENT_EVENTS)
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/b", events=["payment.received"])
    invoice = issued_invoice(company, admin_user, "1000")
    content = camt054(
        [
            Credit(amount=invoice.total_amount, reference=invoice.payment_reference, payer="Anna"),
            Credit(amount=Decimal("77.00"), message="what is this", payer="Okänd"),
            Credit(amount=Decimal("12.00"), message="nor this", payer="Okänd"),
        ]
    )

    record = payments_import(source=content, filename="bank.xml", actor=admin_user, company=company)
    assert record.booked_count == 3

    assert len(_data("payment.received")) == 6
    unmatched = _data("payment.unmatched")
    assert len(unmatched) == 2
    assert {row["status"] for row in unmatched} == {"unmatched"}
    assert {row["payment_import_id"] for row in unmatched} == {record.pk}
    assert len(_data("invoice.paid")) == 1


def test_the_bodies_are_read_in_bulk_whatever_the_number_of_payments(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=PAYMENT_EVENTS)

    def statements(n: int, tag: str) -> int:
        credits = [Credit(amount=Decimal("10.00"), payer="Okänd", bank_reference=f"{tag}{i}") for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            payments_import(source=camt054(credits, message_id=tag), filename=f"{tag}.xml", company=company)
        return len(queries.captured_queries)

    assert statements(2, "A") == statements(20, "B")
    assert WebhookDelivery.objects.filter(event="payment.received").count() == 22


def test_a_rolled_back_payment_records_no_delivery(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/a", events=PAYMENT_EVENTS)
    invoice = issued_invoice(company, admin_user, "1000")

    def pay_then_fail() -> None:
        with transaction.atomic():
            payment_register(
                company=company,
                actor=admin_user,
                amount="1250.00",
                currency="SEK",
                booked_on=PAID_ON,
                invoice_id=invoice.pk,
            )
            assert WebhookDelivery.objects.count() == 2
            raise Rollback

    with pytest.raises(Rollback):
        pay_then_fail()

    assert WebhookDelivery.objects.count() == 0


def test_no_endpoint_no_payload_read(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")

    with CaptureQueriesContext(connection) as queries:
        payment_register(
            company=company, actor=admin_user, amount="100.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
        )

    assert WebhookDelivery.objects.count() == 0
    assert not [q for q in queries.captured_queries if "webhooks_webhookdelivery" in q["sql"]]
