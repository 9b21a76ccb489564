"""Every failure as `{"error": {"code", "message", "field", "errors"}}`, with the
status HTTP intends: 400 a body that cannot be read, 401 no or a bad key, 403 a
key that may not do this, 404 nothing of this company with that id, 409 a state
conflict (issued, credited, an Idempotency-Key reused), 422 a refused value."""

from __future__ import annotations

import datetime as dt
import logging
import re
from ast import literal_eval
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from fakturera.core import text
from fakturera.core.errors import DomainError, PermissionDenied, StateConflict, ValidationFailed
from fakturera.core.unavailable import RETRY_AFTER, is_briefly_unavailable, unavailable_json
from fakturera.parties.keys import KeyRefused

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
    elif parts and parts[0] in ("query", "path", "header", "file"):
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or "__all__"


# Error types of values in the documented form that a rule of ours refuses (schemas.py).
RULE_ERRORS = frozenset({"date_range"})

# pydantic lists a Literal's or an Enum's values as their repr(): "'S', 'Z' or 'E'".
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def message_for(error: Mapping[str, Any]) -> str:
    """Our words for one pydantic error, in the request's language: what is wrong and
    what to send instead. pydantic's own text (English, with regexes and internals) is
    never passed on; a type without words here is "This value is not valid."."""
    try:
        message = _wording(str(error.get("type", "")), error.get("ctx") or {})
    except (KeyError, TypeError, ValueError, SyntaxError):
        message = None
    return message or _("This value is not valid.")


def _wording(kind: str, ctx: Mapping[str, Any]) -> str | None:
    match kind:
        # Ours: the error types schemas.py gives its own types (ReportedAs, PydanticCustomError).
        case "decimal_string":
            return _(
                'Give a number with a point as decimal separator, as a string, such as "1250.00" '
                "(no sign, at most %(whole_digits)s digits before the point and %(decimal_places)s after)."
            ) % {"whole_digits": ctx["whole_digits"], "decimal_places": ctx["decimal_places"]}
        case "date_range":
            return _("Give a date from %(earliest)s to %(latest)s.") % {
                "earliest": ctx["earliest"],
                "latest": ctx["latest"],
            }
        case "country_code":
            return _("Give a two-letter country code in capitals, such as SE.")
        case "search_text":
            return _("Give at most %(n)s characters of search text, without NUL characters.") % {"n": ctx["max_length"]}
        case "email_address":
            return _("Give an e-mail address such as anna@example.se, or an empty string for none.")
        case text.CONTROL | text.LINE_BREAK | text.DIRECTION:
            # core.text's words, the same the staff forms show.
            return text.message(kind, ctx["character"])
        # pydantic's: those v1's schemas produce, and the likely next ones.
        case "missing":
            return _("This field is required.")
        case "extra_forbidden":
            return _("This field is unknown; leave it out.")
        case "string_type":
            return _("Give a text string, in double quotes.")
        case "string_too_short":
            n = ctx["min_length"]
            return ngettext("At least %(n)s character.", "At least %(n)s characters.", n) % {"n": n}
        case "string_too_long":
            n = ctx["max_length"]
            return ngettext("At most %(n)s character.", "At most %(n)s characters.", n) % {"n": n}
        case "string_pattern_mismatch":
            # Every pattern in schemas.py is ReportedAs its own type; this is one that is not (yet).
            return _("This text is not in the form the API documentation gives for this field.")
        case "int_type" | "int_parsing":
            return _("Give a whole number, such as 30.")
        case "int_from_float":
            return _("Give a whole number without decimals, such as 30.")
        case "int_parsing_size":
            return _("This number has too many digits.")
        case "greater_than_equal" | "less_than_equal" | "greater_than" | "less_than":
            return _limit(kind, ctx)
        case "bool_type" | "bool_parsing":
            return _("Give true or false.")
        case "date_type" | "date_parsing" | "date_from_datetime_parsing" | "date_from_datetime_inexact":
            return _("Give a date as YYYY-MM-DD, such as 2026-11-20.")
        case "literal_error" | "enum":
            return _choices(ctx)
        case "json_invalid" | "json_type":
            return _("The request body is not valid JSON.")
        case "model_type" | "model_attributes_type" | "dict_type":
            return _("Give a JSON object with the fields the API documentation lists.")
        case "list_type":
            return _("Give a list (a JSON array).")
        case "too_short":
            n = ctx["min_length"]
            return ngettext("Give at least %(n)s item.", "Give at least %(n)s items.", n) % {"n": n}
        case "too_long":
            n = ctx["max_length"]
            return ngettext("Give at most %(n)s item.", "Give at most %(n)s items.", n) % {"n": n}
        case "decimal_type" | "decimal_parsing":
            return _('Give a number with a point as decimal separator, as a string, such as "1250.00".')
        case "decimal_max_digits":
            n = ctx["max_digits"]
            return ngettext("At most %(n)s digit.", "At most %(n)s digits.", n) % {"n": n}
        case "decimal_max_places":
            n = ctx["decimal_places"]
            return ngettext(
                "At most %(n)s digit after the decimal point.", "At most %(n)s digits after the decimal point.", n
            ) % {"n": n}
        case "decimal_whole_digits":
            n = ctx["whole_digits"]
            return ngettext(
                "At most %(n)s digit before the decimal point.", "At most %(n)s digits before the decimal point.", n
            ) % {"n": n}
    return None


def _limit(kind: str, ctx: Mapping[str, Any]) -> str:
    key = {"greater_than_equal": "ge", "less_than_equal": "le", "greater_than": "gt", "less_than": "lt"}[kind]
    limit = ctx[key]
    # A date's limit arrives as an ISO string; a number's as the number.
    if isinstance(limit, dt.date) or (isinstance(limit, str) and ISO_DATE.fullmatch(limit)):
        messages = {
            "ge": _("Give a date on or after %(limit)s."),
            "le": _("Give a date on or before %(limit)s."),
            "gt": _("Give a date after %(limit)s."),
            "lt": _("Give a date before %(limit)s."),
        }
    else:
        messages = {
            "ge": _("Give a number of at least %(limit)s."),
            "le": _("Give a number of at most %(limit)s."),
            "gt": _("Give a number greater than %(limit)s."),
            "lt": _("Give a number less than %(limit)s."),
        }
    return messages[key] % {"limit": limit}


def _choices(ctx: Mapping[str, Any]) -> str:
    choices = [literal_eval(token) for token in QUOTED.findall(str(ctx["expected"]))]
    if not choices:
        raise ValueError("no values in the expected list")
    # An empty string may be a choice (no preferred channel): shown as JSON writes it.
    return _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(choice) or '""' for choice in choices)}


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
            errors.setdefault(_location(error.get("loc", ())), []).append(message_for(error))
        field, messages = next(iter(errors.items()), ("__all__", [_("The request is not valid.")]))
        # Every value in the documented form, refused by a rule: as a service's refusal.
        code = "refused" if all(error.get("type") in RULE_ERRORS for error in exc.errors) else "validation_failed"
        return error_response(api, request, status=422, code=code, message=messages[0], field=field, errors=errors)

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

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE: say so, as JSON.
        # In MB of 1,048,576 bytes, as Django counts the limit (2.5 by default).
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_048_576
        return error_response(
            api,
            request,
            status=413,
            code="too_large",
            message=_("The request body is larger than %(mb)s MB; send fewer items per request.")
            % {"mb": f"{megabytes:.2g}"},
        )

    @api.exception_handler(MultiPartParserError)
    def malformed_upload(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        # A multipart body Django cannot take apart (no boundary, cut short): unreadable, as bad JSON is.
        return error_response(
            api,
            request,
            status=400,
            code="malformed",
            message=_("The request body is not a readable multipart form; send the file in the field “file”."),
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_briefly_unavailable(exc):
            # The database or the file store is briefly away (or the database kept aborting the
            # transaction): try again, not a bug.
            logger.warning("API request met an unavailable service: %s %s", request.method, request.path, exc_info=exc)
            response = api.create_response(request, unavailable_json(), status=503)
            response["Retry-After"] = str(RETRY_AFTER)
            return response
        logger.exception("API request failed: %s %s", request.method, request.path, exc_info=exc)
        return error_response(
            api, request, status=500, code="server_error", message=_("Something went wrong on our side.")
        )
