"""An API client as an integrator uses it: a bearer token, JSON in and out, through
Django's test client. HTTP only: it imports nothing of the api app, so any app's tests
(the staff UI's, the scenarios) can call the REST API the way an integration does."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

BASE = "/api/v1"


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

    def put(self, path: str, body: Any, *, idempotency_key: str | None = None):
        return self.client.put(
            BASE + path, data=json.dumps(body), content_type="application/json", headers=self._headers(idempotency_key)
        )

    def delete(self, path: str):
        return self.client.delete(BASE + path, headers=self._headers())
