"""Bookkeeping through the API as an accounting integration reads it (issue 16): the vouchers with
their transactions by period and series, page by page; the SIE file, byte for byte what
`fakturera sie` writes; the journal. A read-only key reads; a revoked key and another company
see nothing of these books."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from fakturera.api.tests.api_clients import api_for, error_of, new_key
from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.sie import read_sie
from fakturera.core.tests.api_client import ApiClient
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.keys import api_key_revoke
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.payments.services import payment_register

pytestmark = pytest.mark.django_db
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}


@pytest.fixture
def books(company, admin_user):
    first = issued_invoice(company, admin_user, "1000")
    issued_invoice(company, admin_user, "400", vat_rate="6")
    payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=dt.date(2026, 11, 25),
        invoice_id=first.pk, payer_name="Anna Berg",
    )  # fmt: skip
    return company


def streamed(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_vouchers_are_listed_with_their_transactions_by_period_and_series(books):
    api = api_for(books, is_read_only=True)

    everything = api.get("/vouchers")
    invoices = api.get("/vouchers", series="B", **YEAR)
    payments = api.get("/vouchers", series="C", **{"from": "2026-11-25", "to": "2026-11-25"})
    second_page = api.get("/vouchers", limit=1, offset=1)
    none_before = api.get("/vouchers", to="2026-01-31")

    assert everything.status_code == 200, everything.content
    assert everything.json()["count"] == 3
    assert [(v["series"], v["number"]) for v in invoices.json()["items"]] == [("B", 1), ("B", 2)]
    first = invoices.json()["items"][0]
    assert first["fiscal_year"] == 2026
    assert first["source_kind"] == "invoice"
    assert [(t["account"], t["amount"]) for t in first["transactions"]] == [
        ("1510", "1250.00"), ("3001", "-1000.00"), ("2611", "-250.00"),
    ]  # fmt: skip
    assert [(v["series"], v["text"]) for v in payments.json()["items"]] == [("C", "Inbetalning, Anna Berg")]
    assert second_page.json()["count"] == 3
    assert [(v["series"], v["number"]) for v in second_page.json()["items"]] == [("B", 2)]
    assert none_before.json() == {"count": 0, "limit": 50, "offset": 0, "items": []}


def test_the_sie_file_is_the_clis_byte_for_byte(books, capsysbinary):
    api = api_for(books, is_read_only=True)

    response = api.get("/sie", type="4E", **YEAR)
    body = streamed(response)
    call_command("sie", "--company", books.org_number, "--from", YEAR["from"], "--to", YEAR["to"], "--type", "4E")

    assert body == capsysbinary.readouterr()[0]
    assert response["Content-Type"] == "text/plain; charset=IBM437"
    digits = "".join(ch for ch in books.org_number if ch.isdigit())
    assert response["Content-Disposition"] == f'attachment; filename="{digits}_20260101-20261231.se"'
    sie = read_sie(body)
    assert len(sie.vouchers) == Voucher.objects.filter(company=books).count() == 3
    assert sie.balances


def test_the_journal_as_csv_and_xlsx(books):
    api = api_for(books)

    text = streamed(api.get("/journal", **YEAR)).decode()
    workbook = streamed(api.get("/journal", format="xlsx", series="C", **YEAR))

    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3 + 3 + 2
    assert sum(Decimal(r["debit"] or 0) for r in rows) == sum(Decimal(r["credit"] or 0) for r in rows)
    sheet = list(load_workbook(io.BytesIO(workbook), read_only=True).active.iter_rows(values_only=True))
    assert [row[:2] for row in sheet[1:]] == [("C", 1), ("C", 1)]


@pytest.mark.parametrize(
    ("path", "params", "field", "code"),
    [
        ("/sie", {"from": "2026-06-01", "to": "2026-05-31"}, "to", "refused"),
        ("/sie", {"from": "2025-06-01", "to": "2026-05-31"}, "to", "refused"),
        ("/sie", {**YEAR, "type": "4X"}, "type", "validation_failed"),
        ("/sie", {"from": "2026-01-01"}, "to", "validation_failed"),
        ("/journal", {**YEAR, "format": "pdf"}, "format", "validation_failed"),
        ("/vouchers", {"series": "A"}, "series", "validation_failed"),
    ],
)
def test_a_wrong_period_or_type_is_a_422_on_its_field(books, path, params, field, code):
    response = api_for(books).get(path, **params)

    assert response.status_code == 422, response.content
    error = error_of(response)
    assert (error["field"], error["code"]) == (field, code)


def test_another_company_and_a_revoked_key_see_nothing_of_these_books(books):
    other = api_for(CompanyFactory())
    revoked = new_key(books)
    api_key_revoke(key=revoked.key)

    assert other.get("/vouchers").json()["count"] == 0
    assert read_sie(streamed(other.get("/sie", **YEAR))).vouchers == ()
    for path in ("/vouchers", "/sie", "/journal"):
        response = ApiClient(revoked.token).get(path, **YEAR)
        assert response.status_code == 401
        assert error_of(response)["code"] == "key_revoked"
        assert ApiClient(None).get(path, **YEAR).status_code == 401
