"""A key sees only its company: every resource answers another company's id with
the same 404 as an id that does not exist, and changes nothing."""

from __future__ import annotations

import pytest

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.invoicing.models import Invoice
from fakturera.parties.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

# (method, path template, body) for every operation on one object.
OPERATIONS = [
    ("get", "/persons/{person}", None),
    ("patch", "/persons/{person}", {"name": "Taken"}),
    ("get", "/organisations/{organisation}", None),
    ("patch", "/organisations/{organisation}", {"name": "Taken AB"}),
    ("get", "/products/{product}", None),
    ("patch", "/products/{product}", {"name": "Taken"}),
    ("get", "/customers/{person}/basis", None),
    ("post", "/customers/{person}/basis", {"description": "Taken", "unit_price": "1"}),
    ("get", "/invoices/{draft}", None),
    ("patch", "/invoices/{draft}", {"note": "Taken"}),
    ("delete", "/invoices/{draft}", None),
    ("post", "/invoices/{draft}/issue", {}),
    ("post", "/invoices/{issued}/credit", {}),
    ("get", "/invoices/{issued}/pdf", None),
    ("get", "/invoices/{issued}/ubl", None),
]


@pytest.fixture
def company_b_objects():
    company_b = CompanyFactory()
    api_b = api_for(company_b)
    person = api_b.post("/persons", {"name": "B Person"}).json()
    organisation = api_b.post("/organisations", {"name": "B AB"}).json()
    product = api_b.post("/products", {"name": "B product", "unit_price": "10"}).json()
    draft = api_b.post("/invoices", {"customer_id": person["id"], "lines": LINES}).json()
    issued = api_b.post("/invoices", {"customer_id": person["id"], "lines": LINES, "issue": True}).json()
    ids = {
        "person": person["id"],
        "organisation": organisation["id"],
        "product": product["id"],
        "draft": draft["id"],
        "issued": issued["id"],
    }
    return company_b, api_b, ids


def _call(api, method, path, body):
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    return getattr(api, method)(path, body)


@pytest.mark.parametrize(("method", "template", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _b in OPERATIONS])
def test_company_a_gets_404_for_company_b_objects(company, company_b_objects, method, template, body):
    # given a key of company A and the objects of company B
    _company_b, api_b, ids = company_b_objects
    api_a = api_for(company)
    before = list(Invoice.objects.order_by("pk").values())

    # when A names B's object
    response = _call(api_a, method, template.format(**ids), body)
    missing = _call(api_a, method, template.format(**dict.fromkeys(ids, 987654321)), body)

    # then it is a 404, the same as for an id that does not exist, and nothing changed
    assert response.status_code == 404, response.content
    assert error_of(response) == error_of(missing)
    assert list(Invoice.objects.order_by("pk").values()) == before
    assert (
        _call(api_b, "get", template.format(**ids).removesuffix("/issue").removesuffix("/credit"), None).status_code
        == 200
    )


def test_lists_show_only_the_own_company(company, company_b_objects):
    api_a = api_for(company)
    api_a.post("/persons", {"name": "A Person"})

    persons = api_a.get("/persons").json()
    invoices = api_a.get("/invoices").json()

    assert [p["name"] for p in persons["items"]] == ["A Person"]
    assert invoices["count"] == 0
    assert api_a.get("/organisations").json()["count"] == 0
    assert api_a.get("/products").json()["count"] == 0


def test_another_companys_customer_cannot_be_invoiced(company, company_b_objects):
    _company_b, _api_b, ids = company_b_objects

    response = api_for(company).post("/invoices", {"customer_id": ids["person"], "lines": LINES})

    assert response.status_code == 422
    assert error_of(response)["code"] == "not_found"
    assert Invoice.objects.filter(company=company).count() == 0


def test_another_companys_person_cannot_be_an_invoice_reference(company, company_b_objects):
    _company_b, _api_b, ids = company_b_objects

    response = api_for(company).post("/organisations", {"name": "A AB", "invoice_reference_id": ids["person"]})

    assert response.status_code == 422
    assert error_of(response)["field"] == "invoice_reference_id"
