"""Exchange rates through the API (issue 16): an integration posts the day's rates, lists them,
and an invoice in EUR with VAT issued through the API states its rate and VAT in SEK; without a
rate it is refused with the service's words and no number is taken."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.invoicing.models import ExchangeRate, Invoice, NumberSeries
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(company):
    return api_for(company)


def test_rates_are_posted_listed_and_replaced_by_their_day(api, company):
    created = api.post(
        "/exchange-rates",
        {"rates": [{"currency": "EUR", "rate_on": "2026-11-30", "rate": "11.4321"},
                   {"currency": "NOK", "rate_on": "2026-11-30", "rate": "0.9612"}]},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert [(r["currency"], r["rate"], r["source"]) for r in created.json()] == [
        ("EUR", "11.4321", "api"),
        ("NOK", "0.9612", "api"),
    ]

    again = api.post("/exchange-rates", {"rates": [{"currency": "EUR", "rate_on": "2026-11-30", "rate": "11.5"}]})
    listed = api.get("/exchange-rates", currency="EUR")

    assert again.json()[0]["id"] == created.json()[0]["id"]
    assert listed.json()["count"] == 1
    assert listed.json()["items"][0]["rate"] == "11.5"
    assert ExchangeRate.objects.filter(company=company).count() == 2


@pytest.mark.parametrize(
    ("rate", "field"),
    [
        ({"currency": "SEK", "rate_on": "2026-11-30", "rate": "1"}, "rates.0.currency"),
        ({"currency": "EUR", "rate_on": "2026-11-30", "rate": 11.43}, "rates.0.rate"),  # a JSON number
        ({"currency": "EUR", "rate_on": "2026-11-30", "rate": "0"}, "rates.0.rate"),
        ({"currency": "EUR", "rate_on": "30/11/2026", "rate": "11"}, "rates.0.rate_on"),
    ],
)
def test_a_wrong_rate_is_a_422_on_its_field_and_nothing_is_stored(api, rate, field):
    response = api.post("/exchange-rates", {"rates": [rate]})
    assert response.status_code == 422, response.content
    assert error_of(response)["field"] == field
    assert not ExchangeRate.objects.exists()


def test_a_read_only_key_cannot_post_rates(company):
    response = api_for(company, is_read_only=True).post(
        "/exchange-rates", {"rates": [{"currency": "EUR", "rate_on": "2026-11-30", "rate": "11"}]}
    )
    assert response.status_code == 403
    assert not ExchangeRate.objects.exists()


def test_another_company_s_rates_are_not_listed(api):
    other = CompanyFactory()
    api_for(other).post("/exchange-rates", {"rates": [{"currency": "EUR", "rate_on": "2026-11-30", "rate": "11"}]})
    assert api.get("/exchange-rates").json()["count"] == 0


def test_a_eur_invoice_issued_through_the_api_states_its_rate_and_vat_in_sek(api, company):
    today = timezone.localdate()
    customer = PersonFactory(company=company)
    body = {"customer_id": customer.pk, "lines": LINES, "issue": True, "currency": "EUR"}

    refused = api.post("/invoices", body)
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "exchange_rate_missing"
    assert "no EUR exchange rate on or before" in error_of(refused)["message"]
    assert not Invoice.objects.filter(company=company).exists()
    assert NumberSeries.objects.get(company=company).next_number == 1

    api.post("/exchange-rates", {"rates": [{"currency": "EUR", "rate_on": today.isoformat(), "rate": "11.4321"}]})
    issued = api.post("/invoices", body)

    assert issued.status_code == 201, issued.content
    data = issued.json()
    assert data["vat_amount"] == "173.75"  # 25 % of 695.00; the therapy is exempt
    assert (data["exchange_rate"], data["exchange_rate_on"], data["sek_vat_amount"]) == (
        "11.4321", today.isoformat(), "1986.33",
    )  # fmt: skip
    assert Decimal("173.75") * Decimal("11.4321") == Decimal("1986.327375")
    assert dt.date.fromisoformat(data["issued_on"]) == today
