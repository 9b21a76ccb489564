"""What every resource module shares: the key's company, scoped lookups, the JSON
body parser, and writes that honour Idempotency-Key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.parser import Parser

from fakturera.api.idempotency import idempotent
from fakturera.api.v1.schemas import MAX_ID, ErrorOut
from fakturera.core.errors import PermissionDenied
from fakturera.core.rows import select_one
from fakturera.parties.models import ApiKey, Company

M = TypeVar("M", bound=Model)

# Documented on every operation that needs a key: every status it can answer (errors.py makes
# each of them; 503 when the database is briefly unavailable, with Retry-After).
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 500: ErrorOut, 503: ErrorOut}
# Writes may also be refused for the key's rights or the object's state, and for a body over the limit.
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 403: ErrorOut, 409: ErrorOut, 413: ErrorOut}
# The header every write accepts (read by api.idempotency, documented here).
IDEMPOTENT: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "description": "Sent again with the same body, the first response is returned and nothing new is made; "
            "with another body, 409.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
    ]
}


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined,return-value]


def company_of(request: HttpRequest) -> Company:
    return key_of(request).company


def actor_of(request: HttpRequest) -> Any:
    # History names the administrator who created the key the integration uses.
    return key_of(request).created_by


def check_id(pk: int) -> None:
    """An id outside the database's integers names nothing: the same 404 as a missing one."""
    if not 1 <= pk <= MAX_ID:
        raise Http404


def get_or_404(queryset: QuerySet[M], company: Company, pk: int, **lookup: Any) -> M:
    """The company's object with this id; another company's id is the same 404 as a missing one."""
    check_id(pk)
    try:
        return queryset.get(company=company, pk=pk, **lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def one_or_404(model: type[M], company: Company, pk: int, *, related: tuple[str, ...] = ()) -> M:
    """As get_or_404 for a whole model, read with one compiled statement (core.rows):
    for the reads every write of a busy resource starts with."""
    check_id(pk)
    found = select_one(model, where="t0.id = %s AND t0.company_id = %s", params=[pk, company.pk], related=related)
    if found is None:
        raise Http404
    return found


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        # PostgreSQL stores neither NUL nor unpaired surrogates; refuse them as unreadable.
        if "\x00" in value:
            raise ValueError("NUL character in a string")
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


class JsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        _check_text(data)
        return data


def render(payload: Schema | dict[str, Any]) -> bytes:
    data = payload.model_dump() if isinstance(payload, Schema) else payload
    return json.dumps(data, cls=DjangoJSONEncoder).encode()


def write(
    request: HttpRequest,
    *,
    status: int,
    action: Callable[[], Any],
    present: Callable[[Any], Schema | dict[str, Any]] | None = None,
    fingerprint: str | None = None,
) -> HttpResponse:
    """Run `action` (one service call, which is one transaction) once per Idempotency-Key,
    and answer with `status` and `present(result)` (or the result itself).

    Without a key, `present` reads after the commit, so the locks the action took
    (the number series when issuing) are not held while the answer is built.
    """
    key = key_of(request)
    if key.is_read_only:
        raise PermissionDenied(_("This API key is read-only."), code="read_only_key")

    def respond(result: Any) -> bytes:
        return render(present(result) if present is not None else result)

    status_code, body, is_replay = idempotent(
        request, company=key.company, status=status, action=action, respond=respond, fingerprint=fingerprint
    )
    response = HttpResponse(body, status=status_code, content_type="application/json")
    if is_replay:
        response["Idempotent-Replayed"] = "true"
    return response


def page(queryset: QuerySet[Any], *, limit: int, offset: int, item: Callable[[Any], Any]) -> dict[str, Any]:
    return {
        "count": queryset.count(),
        "limit": limit,
        "offset": offset,
        "items": [item(row) for row in queryset[offset : offset + limit]],
    }
