"""The refusal pages in the staff design (fakturera/urls.py names them handler403/404/500).

A 403 shows the reason it was raised with (`PermissionDenied(message)`, as
`tenancy.staff_view` raises for a role that may not), a 404 never says why: another
company's object is a 404 like one that does not exist. The 500 page is rendered without
a request and so without the menu, since whatever failed may be what the menu needs.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from fakturera.core.unavailable import is_briefly_unavailable, unavailable_response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = exception.args[0] if exception is not None and exception.args else ""
    return render(request, "403.html", {"message": message if isinstance(message, str) else ""}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    del exception
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # A database briefly away, met before any view (a middleware reading the session), is a
    # 503 with Retry-After (core/unavailable.py); Django calls this while handling the error.
    exc = sys.exc_info()[1]
    if exc is not None and is_briefly_unavailable(exc):
        return unavailable_response(request, exc)
    return HttpResponseServerError(loader.get_template("500.html").render())
