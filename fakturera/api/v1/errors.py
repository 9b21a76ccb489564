"""Every failure as `{"error": {"code", "message", "field", "errors"}}`, with the
status HTTP intends: 400 a body that cannot be read, 401 no or a bad key, 403 a
key that may not do this, 404 nothing of this company with that id, 409 a state
conflict (issued, credited, an Idempotency-Key reused), 422 a refused value."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from fakturera.api.services import KeyRefused
from fakturera.core.errors import DomainError, PermissionDenied, StateConflict, ValidationFailed

logger = logging.getLogger(__name__)


class NotFoundField(DomainError):
    """An id in the body that names nothing of this company (the same whether it exists elsewhere or not)."""

    code = "not_found"


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    if errors is None:
        errors = {field: [message]} if field else {}
    body = {"error": {"code": code, "message": message, "field": field, "errors": errors}}
    return api.create_response(request, body, status=status)


def domain_status(exc: DomainError) -> int:
    if isinstance(exc, StateConflict):
        return 409
    if isinstance(exc, PermissionDenied):
        return 403
    return 422


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    # ninja prefixes ("body", "<parameter name>", ...) or ("query", ...); clients know fields only.
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in ("query", "path", "header"):
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or "__all__"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = exc.errors if isinstance(exc, ValidationFailed) else None
        return error_response(
            api, request, status=domain_status(exc), code=exc.code, message=exc.message, field=exc.field, errors=errors
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(_location(error.get("loc", ())), []).append(str(error.get("msg", "")))
        field, messages = next(iter(errors.items()), ("__all__", [_("The request is not valid.")]))
        return error_response(
            api, request, status=422, code="validation_failed", message=messages[0], field=field, errors=errors
        )

    @api.exception_handler(KeyRefused)
    def key_refused(request: HttpRequest, exc: KeyRefused) -> HttpResponse:
        response = error_response(api, request, status=401, code=exc.code, message=exc.message)
        response["WWW-Authenticate"] = 'Bearer realm="fakturera"'
        return response

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(
            api,
            request,
            status=401,
            code="unauthenticated",
            message=_("Send an API key: Authorization: Bearer fk_<prefix>_<secret>."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="fakturera"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return error_response(
                api, request, status=400, code="malformed", message=_("The request body is not valid JSON.")
            )
        return error_response(api, request, status=exc.status_code, code="http_error", message=str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path, exc_info=exc)
        return error_response(
            api, request, status=500, code="server_error", message=_("Something went wrong on our side.")
        )
