"""Interest invoices through the REST API: the proposals of invoices paid late listed with their
interest period by period, issued (the interest invoice then read as any invoice, 409 when
issued again), dismissed with a reason (422 without one, nothing changed), another company's
proposal a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fakturera.api.tests.api_clients import api_for, error_of
from fakturera.collections.models import InterestCharge, StatutoryRate
from fakturera.collections.services import collection_settings_save
from fakturera.collections.states import InterestChargeState
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.payments.services import payment_register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates(db):
    for year in (2025, 2026, 2027):
        for month in (1, 7):
            StatutoryRate.objects.get_or_create(
                country="SE",
                kind="reference",
                valid_from=dt.date(year, month, 1),
                defaults={"value": Decimal("2.00"), "source": "test"},
            )


def paid_late(company, user):
    collection_settings_save(
        company=company,
        is_reminder_fee_agreed=False,
        is_claiming_late_compensation=False,
        bank_import_stale_days=2,
        interest_invoice_mode="propose",
        interest_invoice_minimum_amount="10",
    )
    invoice = overdue_invoice(company, user, "40000.00", days_overdue=10)  # 50,000 with VAT
    payment_register(
        company=company,
        actor=user,
        amount="50000.00",
        currency="SEK",
        booked_on=timezone.localdate(),
        invoice_id=invoice.pk,
    )
    return invoice


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
