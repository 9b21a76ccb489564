"""The API refuses an invoice date out of the series' order or too far ahead, with the
allowed range and the field, and consumes no number (invoicing/tests/test_issue_dates.py
has the rule through every way of issuing)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 5, 11, tzinfo=dt.UTC), tick=False):
        yield


def _numbers(company) -> list[int]:
    return sorted(Invoice.objects.filter(company=company).exclude(number=None).values_list("number", flat=True))


def test_the_api_refuses_create_and_issue_with_the_range(company):
    api = api_for(company)
    issued = api.post("/invoices", {"customer_id": api.post("/persons", {"name": "Bo Ek"}).json()["id"],
                                    "lines": LINES[:1], "issue": True, "issued_on": "2026-12-01"})  # fmt: skip
    assert issued.status_code == 201, issued.content
    customer_id = issued.json()["customer_id"]

    refused = api.post(
        "/invoices", {"customer_id": customer_id, "lines": LINES[:1], "issue": True, "issued_on": "2026-11-30"}
    )
    draft = api.post("/invoices", {"customer_id": customer_id, "lines": LINES[:1]}).json()
    refused_issue = api.post(f"/invoices/{draft['id']}/issue", {"issued_on": "2027-02-01"})

    for response in (refused, refused_issue):
        assert response.status_code == 422, response.content
        assert error_of(response)["code"] == "issue_date_refused"
        assert error_of(response)["field"] == "issued_on"
    assert error_of(refused)["message"] == "The invoice date must be between 2026-12-01 and 2027-01-04."
    assert _numbers(company) == [1]
