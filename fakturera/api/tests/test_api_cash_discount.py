"""The cash discount through the API (seed 004): customers' overrides, the invoice's terms on
create and change, and what the invoice says of them once issued."""

from __future__ import annotations

import pytest

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.invoicing.models import Invoice
from fakturera.parties.services import company_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(company):
    company_update(company=company, cash_discount_percent="2", cash_discount_days=10)
    return api_for(company)


def test_a_customer_takes_its_own_discount_and_empty_means_the_companys(api):
    own = api.post("/persons", {"name": "Anna", "cash_discount_percent": "3", "cash_discount_days": 5})
    plain = api.post("/organisations", {"name": "Vårdbolaget AB", "org_number": "5560360793"})

    assert own.status_code == 201, own.content
    assert (own.json()["cash_discount_percent"], own.json()["cash_discount_days"]) == ("3.00", 5)
    assert (plain.json()["cash_discount_percent"], plain.json()["cash_discount_days"]) == (None, None)

    changed = api.patch(f"/persons/{own.json()['id']}", {"cash_discount_percent": None})
    assert changed.json()["cash_discount_percent"] is None


def test_a_customers_discount_is_a_decimal_string_below_a_hundred(api):
    number = api.post("/persons", {"name": "Anna", "cash_discount_percent": 2})
    hundred = api.post("/persons", {"name": "Anna", "cash_discount_percent": "100"})

    assert number.status_code == 422
    assert error_of(number)["field"] == "cash_discount_percent"
    assert hundred.status_code == 422
    assert error_of(hundred)["field"] == "cash_discount_percent"


def test_an_invoice_gets_the_companys_discount_states_it_and_dates_it_when_issued(api):
    customer = api.post("/persons", {"name": "Anna"}).json()

    draft = api.post("/invoices", {"customer_id": customer["id"], "lines": LINES})

    assert draft.status_code == 201, draft.content
    body = draft.json()
    # 2 % of 2768.75 = 55.375, rounded half-up.
    assert (body["cash_discount_percent"], body["cash_discount_days"]) == ("2.00", 10)
    assert (body["cash_discount_until"], body["cash_discount_amount"]) == (None, "55.38")

    issued = api.post(f"/invoices/{body['id']}/issue", {"issued_on": "2026-11-20"}).json()

    assert (issued["cash_discount_until"], issued["due_on"]) == ("2026-11-30", "2026-12-20")
    assert issued["cash_discount_amount"] == "55.38"
    assert api.get(f"/invoices/{body['id']}").json()["cash_discount_until"] == "2026-11-30"


def test_an_invoice_may_set_or_drop_its_discount_and_change_it_while_a_draft(api):
    customer = api.post("/persons", {"name": "Anna"}).json()

    none = api.post("/invoices", {"customer_id": customer["id"], "lines": LINES, "cash_discount_percent": "0"})
    own = api.post(
        "/invoices",
        {"customer_id": customer["id"], "lines": LINES, "cash_discount_percent": "1.5", "cash_discount_days": 14,
         "issue": True, "issued_on": "2026-11-20"},
    )  # fmt: skip
    changed = api.patch(f"/invoices/{none.json()['id']}", {"cash_discount_percent": "3", "cash_discount_days": 7})

    assert (none.json()["cash_discount_percent"], none.json()["cash_discount_amount"]) == ("0.00", None)
    assert own.status_code == 201, own.content
    assert (own.json()["cash_discount_until"], own.json()["cash_discount_amount"]) == ("2026-12-04", "41.53")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["cash_discount_percent"], changed.json()["cash_discount_days"]) == ("3.00", 7)


def test_a_discount_period_reaching_the_due_date_is_refused_and_nothing_written(api):
    customer = api.post("/persons", {"name": "Anna"}).json()
    before = Invoice.objects.count()

    refused = api.post(
        "/invoices", {"customer_id": customer["id"], "lines": LINES, "cash_discount_percent": "2",
                      "cash_discount_days": 30, "issue": True},
    )  # fmt: skip

    assert refused.status_code in (400, 409, 422), refused.content
    error = error_of(refused)
    assert error["field"] == "cash_discount_days"
    assert error["message"] == "The discount period (30 days) must end before the due date (30 days net)."
    assert Invoice.objects.count() == before


def test_a_credit_note_says_it_has_no_discount(api):
    customer = api.post("/persons", {"name": "Anna"}).json()
    invoice = api.post(
        "/invoices", {"customer_id": customer["id"], "lines": LINES, "issue": True, "issued_on": "2026-11-20"}
    ).json()

    note = api.post(f"/invoices/{invoice['id']}/credit", {"issued_on": "2026-11-20"}).json()

    assert (note["cash_discount_percent"], note["cash_discount_until"], note["cash_discount_amount"]) == (
        "0.00",
        None,
        None,
    )
