"""A form too large to read is said on the page, not answered with a bare 400.

Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig) or
with more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields (TooManyFieldsSent); the CSRF check
reads the form first and the person sees "Bad Request". This middleware reads the form
before any view (and before the CSRF check, which runs after every middleware's request
part), and on either error sends the person back to the page they sent it from (a GET:
nothing was saved) with a message saying what to do. The API answers its own JSON 413
(api/v1/errors.py) and is left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


class FormTooLargeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and not request.path.startswith(API_PREFIX):
            try:
                request.POST  # noqa: B018 - read now, where a refusal can still be said on the page
            except RequestDataTooBig:
                return self._back(request, too_large_message())
            except TooManyFieldsSent:
                return self._back(
                    request,
                    _(
                        "The form sent more than %(n)s fields, more than one request may carry; nothing was saved. "
                        "Select fewer rows at a time, or use the choice that applies to every row of the filter."
                    )
                    % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
                )
        return self.get_response(request)

    def _back(self, request: HttpRequest, message: str) -> HttpResponse:
        messages.error(request, message)
        referer = request.headers.get("referer", "")
        target = (
            referer
            if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
            else request.path
        )
        if request.headers.get("HX-Request") == "true":
            # htmx swaps what an XMLHttpRequest follows into the page; a full page load shows the message.
            response = HttpResponse(status=200)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target, status=303)


def too_large_message() -> str:
    # In MB of 1,048,576 bytes, as Django counts the limit (2.5 by default).
    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_048_576
    return _(
        "What you sent is larger than %(mb)s MB, more than one form may carry; nothing was saved. "
        "Shorten the longest texts, or send the rows in smaller parts."
    ) % {"mb": f"{megabytes:.2g}"}
