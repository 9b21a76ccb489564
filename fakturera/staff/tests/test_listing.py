"""Lists that page, sort by their columns and total the whole filter (staff/listing.py):
the invoice and customer lists, and the rules of the piece itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from fakturera.billables.tests.factories import customer_with_items
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.invoicing.tests.factories import ISSUED_ON, credit_note, draft_invoice, exchange_rates, issued_invoice
from fakturera.parties.models import Customer
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory
from fakturera.staff.listing import Column, paginate, parse_sort
from fakturera.staff.tests.invoice_helpers import staff_client

pytestmark = pytest.mark.django_db

COLUMNS = [Column("name", "Name", ("name",)), Column("city", "City", ("city", "name")), Column("note", "Note")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("name", ("name", False)),
        ("-city", ("city", True)),
        ("note", ("name", True)),  # not sortable
        ("-pk", ("name", True)),  # not a column
        ("name; DROP TABLE x", ("name", True)),
        ("", ("name", True)),
    ],
)
def test_only_the_named_columns_sort(value, expected):
    column, is_descending = parse_sort(value, COLUMNS, "-name")
    assert (column.key, is_descending) == expected


def test_headers_toggle_the_direction_keep_the_filter_and_go_back_to_page_one(company):
    PersonFactory.create_batch(3, company=company)
    request = RequestFactory().get("/", {"q": "x", "sort": "name", "page": "1"})

    listing = paginate(request, Customer.objects.filter(company=company), columns=COLUMNS, default_sort="name")

    name, city, note = listing.headers()
    assert (name.url, name.aria_sort) == ("?q=x&sort=-name", "ascending")
    assert (city.url, city.aria_sort) == ("?q=x&sort=city", "")
    assert (note.url, note.aria_sort) == ("", "")


def test_the_invoice_list_sorts_pages_and_totals_the_whole_filter(company):
    # Given 53 invoices of 125 SEK, the first credited in full, and a draft
    client, user = staff_client(company)
    for index in range(53):
        customer_with_items(company, "100", name=f"Kund {index:02d}")
    invoices_register_from_basis(company=company, actor=user, issued_on=ISSUED_ON)
    first = Invoice.objects.get(company=company, number=1)
    credit_note(first, user, issued_on=ISSUED_ON)
    draft_invoice(company, user, "999")
    url = reverse("staff:invoice_list")

    # When the list is sorted by number ascending, filtered to invoices, on page 2
    by_number = client.get(url, {"kind": "invoice", "sort": "number"})
    page_two = client.get(url, {"kind": "invoice", "sort": "number", "page": "2"})
    by_customer = client.get(url, {"sort": "-customer", "status": "issued"})

    # Then the pages follow the sort, keep the filter, and the totals are of all 54 invoices
    assert [i.number for i in by_number.context["page"].object_list] == list(range(1, 51))
    assert [i.number for i in page_two.context["page"].object_list] == [51, 52, 53, None]
    listing = by_number.context["listing"]
    assert (listing.count, listing.totals) == (54, {"SEK": Decimal("7873.75")})  # 53 x 125.00 and the draft
    assert 'href="?kind=invoice&amp;sort=number&amp;page=2"' in by_number.content.decode()
    assert '<th aria-sort="ascending"><a class="sort" href="?kind=invoice&amp;sort=-number">' in (
        by_number.content.decode()
    )
    names = [i.customer.name for i in by_customer.context["page"].object_list]
    assert names[:2] == ["Kund 52", "Kund 51"]
    # Issued: 52 invoices (the first is credited now) and the credit note, counting negative.
    assert by_customer.context["listing"].totals == {"SEK": Decimal("6375.00")}


def test_the_customer_list_sorts_by_its_columns_and_counts_the_filter(company):
    client, _user = staff_client(company)
    PersonFactory(company=company, name="Ada", city="Umeå")
    PersonFactory(company=company, name="Bo", city="Lund")
    OrganisationFactory(company=company, name="Ceder AB", city="Arvika")
    url = reverse("staff:customer_list")

    by_city = client.get(url, {"sort": "city"})
    persons_desc = client.get(url, {"sort": "-name", "kind": "person"})

    assert [c.name for c in by_city.context["page"]] == ["Ceder AB", "Bo", "Ada"]
    assert [c.name for c in persons_desc.context["page"]] == ["Bo", "Ada"]
    assert persons_desc.context["listing"].count == 2
    assert "2 in all" in persons_desc.content.decode()


def test_issued_and_credited_invoices_total_per_currency(company):
    client, user = staff_client(company)
    invoice = issued_invoice(company, user, "80", issued_on=dt.date(2026, 11, 3))
    exchange_rates(company)
    issued_invoice(company, user, "40", currency="EUR")
    credit_note(invoice, user)

    listing = client.get(reverse("staff:invoice_list")).context["listing"]

    assert listing.totals == {"EUR": Decimal("50.00"), "SEK": Decimal("0.00")}
