"""A database that is briefly away answers 503 with Retry-After, never 500.

When PostgreSQL restarts, refuses connections (too many, shutting down) or keeps aborting
a transaction after every retry (core.db), the request did nothing and may succeed in a
moment. `DatabaseUnavailableMiddleware` (settings.MIDDLEWARE) answers an error of a view
that means so (core.db.is_unavailable) with 503 and `Retry-After`; `server_error`
(the staff design's handler500 asks it first) does the same for one raised before the view (a session read by a
middleware). The API answers in its error format (`{"error": {"code": "unavailable", ...}}`,
api/v1/errors.py uses `unavailable_json`); the HTML pages (staff, portal, public) get a
page of their own, rendered without the request's context, which would read the
database again. Every such answer is logged with its exception.

The S3-compatible file store briefly away (core.storage.StorageUnavailable: a document or a
logo could not be read) is answered the same way (`is_briefly_unavailable`).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

from fakturera.core.db import is_unavailable
from fakturera.core.storage import StorageUnavailable

logger = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: a restart or a burst of connections is usually over by then


def is_briefly_unavailable(exc: BaseException) -> bool:
    """The database or the file store is away for now: 503 and try again, not a bug."""
    return isinstance(exc, StorageUnavailable) or is_unavailable(exc)


def message() -> str:
    return _("The service is briefly unavailable. Try again in a moment.")


def unavailable_json() -> dict:
    """The API's error body for a database briefly away."""
    return {"error": {"code": "unavailable", "message": message(), "field": None, "errors": {}}}


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    what = "file store" if isinstance(exc, StorageUnavailable) else "database"
    logger.warning("%s unavailable: %s %s: %s", what, request.method, request.path, exc, exc_info=exc)
    if request.path.startswith("/api/"):
        response = HttpResponse(json.dumps(unavailable_json()), status=503, content_type="application/json")
    else:
        html = render_to_string("core/unavailable.html", {"message": message(), "retry_after": RETRY_AFTER})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_briefly_unavailable(exception):
            return unavailable_response(request, exception)
        return None


def server_error(request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() names it."""
    exc = sys.exc_info()[1]
    if exc is not None and is_briefly_unavailable(exc):
        return unavailable_response(request, exc)
    return defaults.server_error(request, template_name)
