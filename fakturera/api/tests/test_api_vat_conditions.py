"""Issue 13 through the API: what would make an invalid Peppol document is refused as the
API refuses any value, a 422 naming the field, and nothing is written."""

from __future__ import annotations

import pytest

from fakturera.api.tests.api_clients import api_for, error_of
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Customer

pytestmark = pytest.mark.django_db


def _line(category: str, description: str) -> dict:
    return {
        "description": description,
        "quantity": "2",
        "unit_price": "1000",
        "vat_category": category,
        "vat_rate": "0",
    }


def test_the_api_refuses_reverse_charge_to_a_buyer_without_a_vat_number_with_a_422_naming_the_line(company):
    api = api_for(company)
    buyer = api.post("/organisations", {"name": "Byggfirman AB", "org_number": "5567037485"}).json()

    response = api.post("/invoices", {"customer_id": buyer["id"], "lines": [_line("AE", "Byggtjänst")], "issue": True})

    assert response.status_code == 422, response.content
    error = error_of(response)
    assert error["field"] == "lines.0.vat_category"
    assert "reverse charge" in error["message"].lower()
    assert Invoice.objects.count() == 0


def test_the_api_stores_a_vat_number_with_its_country_prefix_and_refuses_one_it_cannot_check(company):
    api = api_for(company)

    created = api.post("/organisations", {"name": "Bergen Helse AS", "country": "NO", "vat_number": "923609016MVA"})
    refused = api.post("/organisations", {"name": "Boston Inc", "country": "US", "vat_number": "123456789"})

    assert created.status_code == 201, created.content
    assert created.json()["vat_number"] == "NO923609016MVA"
    assert refused.status_code == 422
    assert error_of(refused)["field"] == "vat_number"
    assert Customer.objects.filter(name="Boston Inc").count() == 0
