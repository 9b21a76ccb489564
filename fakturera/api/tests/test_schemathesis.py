"""schemathesis against the live app: every operation of the OpenAPI document, fed
generated requests (valid and invalid ones) with a valid key, passes every check
schemathesis has: no server error, every status, content type, header and body as
the document states it, invalid data refused, authentication not ignored.

One built-in check is replaced by a stricter one of ours: schemathesis expects any
request the document allows to succeed, but a value can have the documented form
and still be refused by a rule no schema can state (an org number's checksum, a
VAT rule, a credited invoice). Those answers are 422 "refused". What must never
happen is the API refusing a request for its form ("validation_failed") when the
document allowed it: that is the document lying, and `documented_form_is_accepted`
fails on it.

The company is seeded with customers, a draft and issued invoices, so small ids
reach real objects and not only the 404 path. Bounded to a couple of minutes:
EXAMPLES requests per operation (SCHEMATHESIS_EXAMPLES overrides it).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario

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


class DocumentedFormRefused(AssertionError):
    pass


def documented_form_is_accepted(ctx, response, case) -> bool | None:
    """A request generated from the document (positive) is never refused for its form."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code == 400:
        raise DocumentedFormRefused(f"{case.operation.label}: a documented request was answered 400")
    if response.status_code == 422 and response.json()["error"]["code"] == "validation_failed":
        raise DocumentedFormRefused(
            f"{case.operation.label}: the document allows what the API refuses: {response.json()['error']}"
        )
    return None


def invalid_data_is_refused(ctx, response, case) -> bool | None:
    """schemathesis's negative_data_rejection, without one scenario of its coverage phase that is
    not invalid data: a header the document does not name (OpenAPI describes the headers an
    operation reads; any other, as a proxy adds them, is not the client's mistake)."""
    data = case.meta.phase.data if case.meta is not None else None
    if (
        isinstance(data, CoveragePhaseData)
        and data.scenario == CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES
        and data.parameter_location is not None
        and data.parameter_location.value == "header"
    ):
        return None
    return negative_data_rejection(ctx, response, case)


# The document the app serves at /api/v1/openapi.json (test_api_flow checks that it is served).
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_to_its_document(case, seeded, live_server):
    token, ids = seeded
    _aim_at_real_objects(case, ids)
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {token}"},
        additional_checks=[documented_form_is_accepted, invalid_data_is_refused],
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
