"""The API tests' integrator: a key of one company (made as an administrator makes it)
and the client that uses it (core/tests/api_client.py), JSON in and out."""

from __future__ import annotations

from typing import Any

from fakturera.core.tests.api_client import ApiClient
from fakturera.parties.keys import NewApiKey, api_key_create
from fakturera.parties.models import Company
from fakturera.parties.tests.factories import StaffFactory

__all__ = ["LINES", "ApiClient", "api_for", "error_of", "new_key"]


def new_key(company: Company, *, name: str = "Accounting", is_read_only: bool = False) -> NewApiKey:
    admin = StaffFactory(company=company, role="admin").user
    return api_key_create(company=company, name=name, actor=admin, is_read_only=is_read_only)


def api_for(company: Company, **key_options: Any) -> ApiClient:
    return ApiClient(new_key(company, **key_options).token)


def error_of(response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field", "errors"}, body
    return body["error"]


LINES = [
    {"description": "Samtalsterapi", "quantity": "2", "unit_price": "950.00", "vat_category": "E", "vat_rate": "0"},
    {"description": "Massage", "quantity": "1", "unit_price": "695.00", "vat_category": "S", "vat_rate": "25"},
]
