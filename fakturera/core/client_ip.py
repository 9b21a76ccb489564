"""The client's address of a request, for counting failed logins (django-axes).

Without a proxy it is REMOTE_ADDR: an X-Forwarded-For header is whatever the client wants it
to be. Behind FAKTURERA_TRUSTED_PROXY_COUNT reverse proxies, each of which appends the address
it received the request from, the client is the entry that many places from the right; the
entries to its left are the client's own invention and are not believed.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
