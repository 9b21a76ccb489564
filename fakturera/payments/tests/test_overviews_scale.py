"""The overviews of a month-end company: the same few queries whatever the number of open
invoices (receivables written in bulk here, as the services would have kept them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.parties.models import Customer
from fakturera.payments.models import Receivable
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 5)


def open_receivables_of_many(company, *, invoices: int, customers: int, start: int = 1) -> None:
    """`invoices` open invoices of 1,000.00 spread over `customers` customers and over the
    last 180 days' due dates; the first half part-paid, every tenth over-paid."""
    people = Customer.objects.bulk_create(
        Customer(company=company, kind="person", number=start + n, name=f"Kund {start + n:06d}")
        for n in range(customers)
    )
    series, _created = NumberSeries.objects.get_or_create(company=company, name="Fakturor")
    made = Invoice.objects.bulk_create(
        Invoice(
            company=company,
            customer=people[n % customers],
            series=series,
            kind="invoice",
            status="issued",
            number=start + n,
            currency="SEK",
            issued_on=TODAY - dt.timedelta(days=30 + n % 180),
            due_on=TODAY - dt.timedelta(days=n % 180) + dt.timedelta(days=20),
            total_amount=Decimal("1000.00"),
        )
        for n in range(invoices)
    )
    Receivable.objects.bulk_create(
        Receivable(
            invoice=invoice,
            company=company,
            customer_id=invoice.customer_id,
            number=str(invoice.number),
            currency="SEK",
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            total_amount=invoice.total_amount,
            credited_amount=Decimal(0),
            settled_amount=Decimal("250.00") if n % 2 else Decimal(0),
            open_amount=Decimal("750.00") if n % 2 else Decimal("1000.00"),
            state="partly_paid" if n % 2 else "unpaid",
            cash_discount_amount=Decimal(0),
        )
        for n, invoice in enumerate(made)
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_overviews_ask_the_same_queries_for_more_invoices(client, company):
    log_in(client, company)
    open_receivables_of_many(company, invoices=200, customers=60)  # more than a page of each
    urls = [
        reverse("staff:home"),
        reverse("staff:aging") + "?as_of=2026-12-05",
        reverse("staff:aging") + "?as_of=2026-12-05&sort=-days_over_90&page=2",
        reverse("staff:cash_forecast"),
        reverse("staff:receivable_list") + "?due=overdue",
    ]
    small = [_queries(client, url) for url in urls]

    open_receivables_of_many(company, invoices=600, customers=120, start=1000)

    assert [_queries(client, url) for url in urls] == small
    page = client.get(reverse("staff:aging") + "?as_of=2026-12-05").content.decode()
    assert 'data-count="180"' in page
