"""Operations' middleware: the probes and metrics, and the log context of a request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from fakturera.core import logs
from fakturera.ops.metrics import metrics_response
from fakturera.ops.probes import readiness

NO_STORE = "no-store"


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics before anything else runs: no host check (a load
    balancer asks by the machine's address), no HTTPS redirect, no session, no login, no
    database read but the readiness checks' own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path == "/healthz":
            response: HttpResponse = JsonResponse({"alive": True})
        elif path == "/readyz":
            result = readiness()
            response = JsonResponse(result.as_json(), status=200 if result.is_ready else 503)
        elif path == "/metrics":
            response = metrics_response(request)
        else:
            return self.get_response(request)
        response["Cache-Control"] = NO_STORE
        return response


class LogContextMiddleware:
    """Every line logged while a request is served carries its company (core/logs.py); after
    ActiveCompanyMiddleware, which chose it. API requests get theirs at key authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        logs.clear()
        company = getattr(request, "company", None)
        logs.bind(company_id=company.pk if company is not None else None)
        try:
            return self.get_response(request)
        finally:
            logs.clear()
