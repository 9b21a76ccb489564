"""A body the API does not understand is refused with the field named, and nothing is written:
a misspelt field is never silently left out (a credit body with "line" for "lines" used to
issue a full credit note)."""

from __future__ import annotations

import pytest

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.parties.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(company):
    return api_for(company)


@pytest.fixture
def issued(api):
    person = api.post("/persons", {"name": "Bo Ek"}).json()
    return api.post("/invoices", {"customer_id": person["id"], "lines": LINES, "issue": True}).json()


def _nothing_credited(company, issued) -> None:
    invoice = Invoice.objects.get(pk=issued["id"])
    assert invoice.status == "issued"
    assert not Invoice.objects.filter(credited_invoice=invoice).exists()
    assert NumberSeries.objects.get(company=company).next_number == issued["number"] + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"line": [{"line_id": 1, "quantity": "1"}]}', "line"),
        (b'{"resaon": "Fel kund"}', "resaon"),
        (b'{"lines": null, "full": true}', "full"),
    ],
)
def test_a_credit_body_with_an_unknown_field_is_refused_and_credits_nothing(api, company, issued, body, field):
    response = api.post(f"/invoices/{issued['id']}/credit", raw=body)

    assert response.status_code == 422
    error = error_of(response)
    assert error["field"] == field
    assert error["errors"][field] == ["This field is unknown; leave it out."]
    _nothing_credited(company, issued)


@pytest.mark.parametrize("body", [b"[1, 2]", b'"everything"', b"17"])
def test_a_credit_body_that_is_no_object_is_refused_and_credits_nothing(api, company, issued, body):
    response = api.post(f"/invoices/{issued['id']}/credit", raw=body)

    assert response.status_code == 422
    assert error_of(response)["message"] == "Give a JSON object with the fields the API documentation lists."
    _nothing_credited(company, issued)


def test_no_body_or_an_empty_object_still_credits_everything_left(api, issued):
    # The documented way to credit in full: no lines.
    note = api.post(f"/invoices/{issued['id']}/credit", raw=b"{}")
    assert note.status_code == 201, note.content
    assert note.json()["total_amount"] == issued["total_amount"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/persons", {"name": "Bo Ek", "nmae": "typo"}, "nmae"),
        ("/organisations", {"name": "Vård AB", "org_number": "5560360793", "vat": "SE556036079301"}, "vat"),
        ("/products", {"name": "Terapi", "unit_price": "950.00", "vat": "25"}, "vat"),
    ],
)
def test_an_unknown_field_on_any_write_is_refused_with_its_name(api, company, path, body, field):
    before = Customer.objects.filter(company=company).count()
    response = api.post(path, body)

    assert response.status_code == 422
    assert error_of(response)["field"] == field
    assert Customer.objects.filter(company=company).count() == before


def test_an_unknown_field_on_an_invoice_line_names_the_line(api, company):
    person = api.post("/persons", {"name": "Bo Ek"}).json()
    lines = [LINES[0], {**LINES[1], "discount": "10"}]

    response = api.post("/invoices", {"customer_id": person["id"], "lines": lines, "issue": True})

    assert response.status_code == 422
    assert error_of(response)["field"] == "lines.1.discount"
    assert not Invoice.objects.filter(company=company).exists()
    assert NumberSeries.objects.get(company=company).next_number == 1


def test_a_body_over_the_size_limit_is_413_with_a_json_error_and_writes_nothing(api, company, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, 2.5 MB
    response = api.post("/persons", raw=b'{"name": "' + b"x" * 3_000_000 + b'"}')

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    error = error_of(response)
    assert error["code"] == "too_large"
    assert error["message"] == "The request body is larger than 2.5 MB; send fewer items per request."
    assert not Customer.objects.filter(company=company).exists()
