"""voucher.created (issue 16): every voucher bookkeeping books becomes one delivery per endpoint,
with its transactions, in the booking's transaction; a bank file's vouchers are written in bulk,
with the same number of statements for 2 payments as for 20."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fakturera.bookkeeping.models import Voucher
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.payments.importing import payments_import
from fakturera.payments.services import payment_register
from fakturera.payments.testing import Credit, camt054
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import SUBSCRIBABLE_EVENTS, webhook_endpoint_create

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 11, 25)


class Rollback(Exception):
    pass


def _data() -> list[dict]:
    return [d.payload["data"] for d in WebhookDelivery.objects.filter(event="voucher.created").order_by("pk")]


def test_voucher_created_may_be_subscribed():
    assert "voucher.created" in {str(event) for event in SUBSCRIBABLE_EVENTS}


def test_an_issued_invoice_and_its_payment_are_announced_with_their_transactions(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/books", events=["voucher.created"])
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/other", events=["invoice.issued"])

    invoice = issued_invoice(company, admin_user, "1000")
    payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    issued, paid = _data()
    voucher = Voucher.objects.get(company=company, series="B")
    assert issued["id"] == voucher.pk
    assert (issued["series"], issued["number"], issued["fiscal_year"], issued["date"]) == ("B", 1, 2026, "2026-11-20")
    assert (issued["source_kind"], issued["source_id"]) == ("invoice", invoice.pk)
    assert [(t["account"], t["amount"]) for t in issued["transactions"]] == [
        ("1510", "1250.00"), ("3001", "-1000.00"), ("2611", "-250.00"),
    ]  # fmt: skip
    assert (paid["series"], paid["date"]) == ("C", "2026-11-25")
    assert sum(Decimal(t["amount"]) for t in paid["transactions"]) == 0


def test_a_bank_files_vouchers_are_written_in_bulk(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/books", events=["voucher.created"])

    def statements(n: int, tag: str) -> int:
        credits = [Credit(amount=Decimal("10.00"), payer="Okänd", bank_reference=f"{tag}{i}") for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            payments_import(source=camt054(credits, message_id=tag), filename=f"{tag}.xml", company=company)
        return len(queries.captured_queries)

    assert statements(2, "A") == statements(20, "B")
    assert len(_data()) == 22 == Voucher.objects.filter(company=company, series="C").count()


def test_a_rolled_back_booking_announces_nothing(company, admin_user):
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/books", events=["voucher.created"])

    def issue_then_fail() -> None:
        with transaction.atomic():
            issued_invoice(company, admin_user, "1000")
            assert len(_data()) == 1
            raise Rollback

    with pytest.raises(Rollback):
        issue_then_fail()

    assert WebhookDelivery.objects.count() == 0
    assert not Voucher.objects.exists()
