"""schemathesis against the live app: every operation of the OpenAPI document, fed
generated requests with a valid key, never answers with a server error (5xx).

The company is seeded with customers, a draft and issued invoices, so small ids
reach real objects and not only the 404 path. Bounded to a couple of minutes:
EXAMPLES requests per operation (SCHEMATHESIS_EXAMPLES overrides it).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from fakturera.api.tests.api_clients import LINES, ApiClient, new_key
from fakturera.api.v1 import api
from fakturera.parties.tests.factories import CompanyFactory

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))


@pytest.fixture
def seeded(transactional_db):
    """A key and the ids of its company's objects, by path parameter name."""
    company = CompanyFactory()
    token = new_key(company).token
    api = ApiClient(token)
    person = api.post("/persons", {"name": "Anna Andersson"}).json()["id"]
    organisation = api.post("/organisations", {"name": "Vårdbolaget AB", "org_number": "556036-0793"}).json()["id"]
    product = api.post("/products", {"name": "Massage", "unit_price": "695"}).json()["id"]
    api.post(f"/customers/{person}/basis", {"description": "Samtal", "unit_price": "950"})
    invoices = [api.post("/invoices", {"customer_id": person, "lines": LINES}).json()["id"]]
    for _ in range(2):
        invoices.append(api.post("/invoices", {"customer_id": person, "lines": LINES, "issue": True}).json()["id"])
    ids = {
        "person_id": [person],
        "organisation_id": [organisation],
        "customer_id": [person, organisation],
        "product_id": [product],
        "invoice_id": invoices,
    }
    return token, ids


def _aim_at_real_objects(case, ids: dict[str, list[int]]) -> None:
    """Half of the generated ids become ids of seeded objects, so operations get past their 404."""
    for name, value in (case.path_parameters or {}).items():
        if name in ids and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = ids[name][value // 2 % len(ids[name])]
    body = case.body if isinstance(case.body, dict) else {}
    for name, kind in (("customer_id", "customer_id"), ("invoice_reference_id", "person_id")):
        value = body.get(name)
        if isinstance(value, int) and value % 2 == 0:
            body[name] = ids[kind][value // 2 % len(ids[kind])]


# The document the app serves at /api/v1/openapi.json (test_api_flow checks that it is served).
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_with_a_server_error(case, seeded, live_server):
    token, ids = seeded
    _aim_at_real_objects(case, ids)
    case.call_and_validate(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )
