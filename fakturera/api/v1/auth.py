"""Bearer API keys: `Authorization: Bearer fk_<prefix>_<secret>`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from fakturera.parties.keys import api_key_authenticate
from fakturera.parties.models import ApiKey


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        # KeyRefused (a 401 with its reason) propagates to the API's handler.
        return api_key_authenticate(token)
