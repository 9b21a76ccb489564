"""The basis page of a large basis: a page of customers at a time, sorted by its columns,
in a number of queries that does not grow with the basis, with the grand total and
"Register all" still meaning every customer of the basis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fakturera.billables.tests.factories import basis_of_many, customer_with_items
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.selectors import basis_grand_total, basis_total_by_currency, basis_with_totals
from fakturera.staff.listing import PER_PAGE
from fakturera.staff.tests.invoice_helpers import staff_client

pytestmark = pytest.mark.django_db


def _queries(client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_basis(company, django_assert_max_num_queries):
    client, _user = staff_client(company)
    url = reverse("staff:basis")
    basis_of_many(company, customers=3)
    small = _queries(client, url)

    basis_of_many(company, customers=PER_PAGE * 2 + 7)

    assert _queries(client, url) == small
    assert _queries(client, url, page="3", sort="-items") == small
    with django_assert_max_num_queries(small):
        client.get(url, {"page": "2"})


def test_a_page_shows_its_customers_and_the_totals_of_the_whole_basis(company):
    client, _user = staff_client(company)
    people = basis_of_many(company, customers=PER_PAGE + 10)

    first = client.get(reverse("staff:basis"))
    second = client.get(reverse("staff:basis"), {"page": "2"})

    names = sorted((p.name, p.pk) for p in people)
    assert [g.customer.pk for g in first.context["groups"]] == [pk for _n, pk in names[:PER_PAGE]]
    assert [g.customer.pk for g in second.context["groups"]] == [pk for _n, pk in names[PER_PAGE:]]
    assert all(len(g.items) == 3 for g in second.context["groups"])
    everything = basis_grand_total(basis_with_totals(company=company))
    assert first.context["grand_totals"] == everything == basis_total_by_currency(company=company)
    html = first.content.decode()
    assert f"Register all {PER_PAGE + 10} customers" in html
    assert f"Total of all {PER_PAGE + 10} customers" in html
    assert 'rel="next" href="?page=2"' in html


def test_the_grand_total_follows_the_one_rule_with_mixed_currencies_and_whole_units(company):
    """Whole units for SEK; EUR is never rounded to whole units (core.money)."""
    company.is_rounding_to_whole_units = True
    company.save(update_fields=["is_rounding_to_whole_units"])
    customer_with_items(company, "100.40", "0.35")
    customer_with_items(company, "10.10", currency="EUR")
    customer_with_items(company, "99.99", vat=("E", "0"))

    assert basis_total_by_currency(company=company) == basis_grand_total(basis_with_totals(company=company))
    assert basis_total_by_currency(company=company) == {"SEK": Decimal("226.00"), "EUR": Decimal("12.63")}


def test_the_basis_sorts_by_its_columns_with_a_stable_tie_breaker(company):
    client, _user = staff_client(company)
    few, _ = customer_with_items(company, "100", name="Adam")
    many, _ = customer_with_items(company, "1", "2", "3", name="Bertil")
    dear, _ = customer_with_items(company, "5000", name="Cesar")

    def order(sort: str) -> list[int]:
        return [g.customer.pk for g in client.get(reverse("staff:basis"), {"sort": sort}).context["groups"]]

    assert order("customer") == [few.pk, many.pk, dear.pk]
    assert order("-customer") == [dear.pk, many.pk, few.pk]
    assert order("-items") == [many.pk, dear.pk, few.pk]
    assert order("-total") == [dear.pk, few.pk, many.pk]
    assert order("description; DROP TABLE") == [few.pk, many.pk, dear.pk]
    html = client.get(reverse("staff:basis"), {"sort": "-items"}).content.decode()
    assert '<th class="num" aria-sort="descending"><a class="sort" href="?sort=items">' in html


def test_register_all_registers_every_customer_not_only_the_page(company):
    client, _user = staff_client(company)
    basis_of_many(company, customers=PER_PAGE + 3, items=1)

    client.post(reverse("staff:basis_register"), {"scope": "all", "issued_on": "2026-11-20"})

    assert Invoice.objects.filter(company=company).count() == PER_PAGE + 3
