"""The public form's limit per client address: core.ratelimit's counters in the database,
shared by every server process and exact under concurrency."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from fakturera.core.ratelimit import Limit, hit


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be unless a
    # trusted proxy sets it, and then the proxy should do the limiting.
    return request.META.get("REMOTE_ADDR", "")


def is_rate_limited(request: HttpRequest, *, scope: str) -> bool:
    """Count this request; True when the address is over the limit of the current window.
    Called outside a transaction, so a request refused later still counts."""
    limit = Limit.parse(settings.COURSE_REGISTRATION_RATE_LIMIT)
    if limit is None:
        return False
    return not hit(f"public.{scope}", client_address(request), limit).allowed
