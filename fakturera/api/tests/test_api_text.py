"""No request body carries a character UBL, a PDF or an e-mail cannot (core/text.py): every
string of every body the API documents refuses U+000B with a 422 naming it, in the API's
error format, and the refused request writes nothing (no invoice, no number taken)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.api.v1 import api as api_v1
from fakturera.billables.models import BasisItem
from fakturera.catalog.models import Product
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.parties.models import Customer

pytestmark = pytest.mark.django_db

PATH_PARAMETER = re.compile(r"\{[^}]+\}")
CONTROL_MESSAGE = "Remove the character U+000B: it is a control character that invoices, PDFs and e-mail cannot carry."


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _string_paths(schema: dict[str, Any], document: dict[str, Any], prefix: tuple[Any, ...] = ()):
    """(path, schema) of every string a body may hold, objects and lists of objects followed."""
    schema = _resolve(schema, document)
    variants = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if variants:
        for variant in variants:
            yield from _string_paths(variant, document, prefix)
        return
    kind = schema.get("type")
    if kind == "string":
        yield prefix
    elif kind == "object" or "properties" in schema:
        for name, item in schema.get("properties", {}).items():
            yield from _string_paths(item, document, (*prefix, name))
    elif kind == "array":
        yield from _string_paths(schema["items"], document, (*prefix, 0))


def _merge(into: dict[str, Any], path: tuple[Any, ...], value: str) -> None:
    """Put `value` at `path` (0: the first item of a list) into one body."""
    *steps, last = path
    target: Any = into
    for index, step in enumerate(steps):
        following = path[index + 1]
        target = target[0] if step == 0 else target.setdefault(step, [{}] if following == 0 else {})
    if last == 0:
        target.clear()
        target.append(value)
    else:
        target[last] = value


def _operations():
    """One body per documented write, U+000B in every string it may hold (every field at once:
    the API reports each failing field)."""
    document = api_v1.get_openapi_schema()
    found = []
    for url, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            fields = sorted(
                {".".join(map(str, field)): field for field in _string_paths(content["schema"], document)}.items()
            )
            if not fields:  # a body of numbers only (the reminder run's invoice ids): no text to refuse
                continue
            body: dict[str, Any] = {}
            for _name, field in fields:
                _merge(body, field, "a\x0bb")
            path = PATH_PARAMETER.sub("1", url.removeprefix("/api/v1"))
            found.append(pytest.param(method, path, body, [name for name, _field in fields], id=f"{method} {url}"))
    return found


OPERATIONS = _operations()


def test_the_walk_finds_the_string_fields_of_every_write():
    fields = {(param.values[1], name) for param in OPERATIONS for name in param.values[3]}
    assert {
        ("/persons", "name"),
        ("/persons", "notes"),
        ("/organisations", "peppol_id"),
        ("/products", "description"),
        ("/customers/1/basis", "description"),
        ("/invoices", "lines.0.description"),
        ("/invoices", "buyer_reference"),
        ("/invoices/1/credit", "reason"),
        ("/invoices/1/credit", "lines.0.quantity"),
    } <= fields
    assert len(OPERATIONS) >= 11
    assert len(fields) > 100


@pytest.mark.parametrize(("method", "path", "body", "fields"), OPERATIONS)
def test_every_string_of_every_body_refuses_a_control_character_naming_the_field(company, method, path, body, fields):
    assert method in ("post", "patch", "put"), f"a body on {method}: send it here too"
    api = api_for(company)
    response = {"patch": api.patch, "put": api.put}.get(method, api.post)(path, body)

    assert response.status_code == 422, response.content
    errors = error_of(response)["errors"]
    assert {name: errors.get(name) for name in fields} == {name: [CONTROL_MESSAGE] for name in fields}


def test_line_breaks_are_refused_on_one_line_and_kept_in_notes(company):
    api = api_for(company)
    response = api.post("/persons", {"name": "Bo\nEk", "notes": "rad 1\nrad 2"})
    assert response.status_code == 422
    assert error_of(response)["errors"] == {
        "name": ["This field takes a single line: remove the line break or tab (U+000A)."]
    }
    created = api.post("/persons", {"name": "Bo Ek", "notes": "rad 1\r\n\trad 2"})
    assert created.status_code == 201, created.content
    assert created.json()["notes"] == "rad 1\r\n\trad 2"


def test_the_message_follows_the_request_language(company):
    api = api_for(company)
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "sv"
    response = api.post("/persons", {"name": "Bo\x0bEk"})
    assert error_of(response)["message"] == (
        "Ta bort tecknet U+000B: det är ett styrtecken som fakturor, PDF-filer och e-post inte kan bära."
    )


def test_the_issue_reproduced_a_control_character_in_a_line_writes_nothing(company):
    """The issue: U+000B in a line's description was accepted, and that invoice's UBL could
    never be built. Now: refused, nothing written, no number taken."""
    api = api_for(company)
    person = api.post("/persons", {"name": "Bo Ek"}).json()
    series_before = NumberSeries.objects.get(company=company).next_number
    lines = [{**LINES[0], "description": "Konsul\x0btation"}, LINES[1]]

    issued = api.post("/invoices", {"customer_id": person["id"], "lines": lines, "issue": True})
    draft = api.post("/invoices", {"customer_id": person["id"], "lines": lines})
    basis = api.post(f"/customers/{person['id']}/basis", {**LINES[0], "description": "Konsul\x0btation"})
    product = api.post("/products", {"name": "Konsul\x0btation", "unit_price": "950.00"})
    organisation = api.post("/organisations", {"name": "Vård\x0bAB"})

    for response in (issued, draft, basis, product, organisation):
        assert response.status_code == 422, response.content
    assert error_of(issued)["field"] == "lines.0.description"
    assert error_of(basis)["field"] == "description"
    assert not Invoice.objects.filter(company=company).exists()
    assert NumberSeries.objects.get(company=company).next_number == series_before
    assert not BasisItem.objects.filter(company=company).exists()
    assert not Product.objects.filter(company=company).exists()
    assert list(Customer.objects.filter(company=company).values_list("name", flat=True)) == ["Bo Ek"]
