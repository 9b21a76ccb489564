"""A fixed-window rate limit per client address, kept in Django's cache.

The cache is the default local-memory one unless settings say otherwise: each
server process then counts on its own (with two workers a client gets up to twice
the limit), which is enough to stop a script hammering the public form; a shared
cache (Redis, Memcached, the database cache) makes the count exact. Nothing is
written to the application's database.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def parse_limit(value: str) -> tuple[int, int]:
    """ "10/600" -> (10, 600); "0" or "" -> no limit (0, 0)."""
    value = (value or "").strip()
    if value in ("", "0"):
        return 0, 0
    count, _sep, seconds = value.partition("/")
    return int(count), int(seconds or 60)


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be unless a
    # trusted proxy sets it, and then the proxy should do the limiting.
    return request.META.get("REMOTE_ADDR", "")


def is_rate_limited(request: HttpRequest, *, scope: str) -> bool:
    """Count this request; True when the address is over the limit of the current window."""
    limit, seconds = parse_limit(settings.COURSE_REGISTRATION_RATE_LIMIT)
    if limit <= 0:
        return False
    window = int(time.time() // seconds)
    key = f"ratelimit:{scope}:{client_address(request)}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 1)
        count = 1
    return count > limit
