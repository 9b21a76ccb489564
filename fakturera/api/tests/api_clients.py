"""An API client as an integrator uses it: a key of one company, JSON in and out."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from fakturera.api.services import NewApiKey, api_key_create
from fakturera.parties.models import Company
from fakturera.parties.tests.factories import StaffFactory

BASE = "/api/v1"


def new_key(company: Company, *, name: str = "Accounting", is_read_only: bool = False) -> NewApiKey:
    admin = StaffFactory(company=company, role="admin").user
    return api_key_create(company=company, name=name, actor=admin, is_read_only=is_read_only)


class ApiClient:
    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def get(self, path: str, **params: Any):
        return self.client.get(BASE + path, params, headers=self._headers())

    def post(self, path: str, body: Any = None, *, idempotency_key: str | None = None, raw: bytes | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.post(
            BASE + path, data=data, content_type="application/json", headers=self._headers(idempotency_key)
        )

    def patch(self, path: str, body: Any, *, idempotency_key: str | None = None):
        return self.client.patch(
            BASE + path, data=json.dumps(body), content_type="application/json", headers=self._headers(idempotency_key)
        )

    def delete(self, path: str):
        return self.client.delete(BASE + path, headers=self._headers())


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
