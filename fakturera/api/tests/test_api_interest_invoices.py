"""Interest invoices through the REST API: the proposals of invoices paid late listed with their
interest period by period, issued (the interest invoice then read as any invoice, 409 when
issued again), dismissed with a reason (422 without one, nothing changed), another company's
proposal a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.api.tests.api_clients import api_for, error_of
from fakturera.collections.models import InterestCharge
from fakturera.collections.states import InterestChargeState
from fakturera.collections.tests import factories
from fakturera.collections.tests.factories import reference_rates, settings_saved
from fakturera.parties.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates(db):
    reference_rates()


def paid_late(company, user):
    settings_saved(company, interest_invoice_minimum_amount="10")
    return factories.paid_late(company, user, days_late=10, net="40000.00")  # 50,000 with VAT, paid today


def test_list_issue_and_read_the_interest_invoice(company, admin_user):
    invoice = paid_late(company, admin_user)
    api = api_for(company)

    listed = api.get("/interest-invoices?state=proposed").json()

    assert listed["count"] == 1
    [item] = listed["items"]
    assert (item["invoice_id"], item["days_late"], item["state"]) == (invoice.pk, 10, "proposed")
    # 50,000 for ten days at 2 + 8 = 10 %.
    assert item["interest_amount"] == "136.99"
    assert [(p["from_on"], p["days"], p["rate"]) for p in item["interest_periods"]] == [
        ((timezone.localdate() - dt.timedelta(days=9)).isoformat(), 10, "10.00")
    ]

    issued = api.post("/interest-invoices/issue", {"ids": [item["id"]]})

    assert issued.status_code == 200, issued.content
    [made] = issued.json()["issued"]
    as_invoice = api.get(f"/invoices/{made['invoice_id']}").json()
    assert str(as_invoice["number"]) == made["number"]
    assert as_invoice["status"] == "issued"
    assert (as_invoice["total_amount"], as_invoice["vat_amount"]) == ("136.99", "0.00")
    assert api.get(f"/interest-invoices/{item['id']}").json()["charge_invoice_id"] == made["invoice_id"]

    again = api.post("/interest-invoices/issue", {"ids": [item["id"]]})
    assert again.status_code == 409
    assert "None of the chosen interest invoices is left to issue" in error_of(again)["message"]


def test_dismiss_needs_a_reason_and_another_company_sees_nothing(company, admin_user):
    invoice = paid_late(company, admin_user)
    charge = InterestCharge.objects.get(invoice=invoice)
    api = api_for(company)

    refused = api.post(f"/interest-invoices/{charge.pk}/dismiss", {"reason": ""})
    assert refused.status_code == 422
    assert InterestCharge.objects.get(pk=charge.pk).state == InterestChargeState.PROPOSED
    other = api_for(CompanyFactory(org_number="5566778899", bankgiro="5050-1055"))
    assert other.post(f"/interest-invoices/{charge.pk}/dismiss", {"reason": "x"}).status_code == 404
    assert other.get("/interest-invoices").json()["count"] == 0

    dismissed = api.post(f"/interest-invoices/{charge.pk}/dismiss", {"reason": "Long-standing customer"})

    assert dismissed.status_code == 200, dismissed.content
    assert (dismissed.json()["state"], dismissed.json()["dismiss_reason"]) == ("dismissed", "Long-standing customer")
    assert api.post(f"/interest-invoices/{charge.pk}/dismiss", {"reason": "again"}).status_code == 409
