"""Fixed-window rate limits shared by every server process, counted in the database.

A limit is "COUNT/SECONDS" (`Limit.parse`): at most COUNT hits of one bucket in each
window of SECONDS, windows aligned to the epoch. `hit(scope, key, limit)` counts one hit
and says whether it is within the limit. The count lives in `RateCount`, one row per
(bucket, window), and one statement both adds the hit and reads the new count:

    INSERT ... VALUES (bucket, window, 1, end) ON CONFLICT (bucket, window_start)
    DO UPDATE SET count = count + 1 RETURNING count

PostgreSQL and SQLite (3.35 and later) run it atomically: concurrent hits from any number
of processes wait for each other on the row and each gets its own number, so exactly
COUNT hits of a window are allowed, however they race. The key (an address, an e-mail)
is stored only as a hash, so the table is no list of addresses.

Called inside a transaction, the hit belongs to it (a rollback takes it back, and the
row stays locked until the commit on PostgreSQL); the callers that must count a refused
request too (the public form, the portal's login page) call it outside one, before the
work. `purge_expired` (scheduled every hour, see apps.py) removes past windows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import connections, router
from django.utils import timezone

from fakturera.core.models import RateCount


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    @classmethod
    def parse(cls, value: str | None) -> Limit | None:
        """ "10/600" -> Limit(10, 600); "5" -> five a minute; "0" or "" -> None (no limit)."""
        value = (value or "").strip()
        if value in ("", "0"):
            return None
        count, _sep, seconds = value.partition("/")
        limit = cls(int(count), int(seconds or 60))
        if limit.count <= 0:
            return None
        if limit.seconds <= 0:
            raise ValueError(f"a rate limit's window is at least one second: {value!r}")
        return limit


@dataclass(frozen=True)
class Hit:
    count: int  # this hit's number in its window, 1 for the first
    limit: Limit

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit.count


def bucket_of(scope: str, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"{scope[:70]}:{digest}"


def hit(scope: str, key: str, limit: Limit) -> Hit:
    """Count one hit of `key` under `scope` in the current window; `.allowed` says whether it
    is within `limit`."""
    now = timezone.now()
    window_start = int(now.timestamp()) // limit.seconds * limit.seconds
    expires_at = dt.datetime.fromtimestamp(window_start + limit.seconds, tz=dt.UTC)
    table = RateCount._meta.db_table
    connection = connections[router.db_for_write(RateCount)]
    quote = connection.ops.quote_name
    # The table name is ours; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(table)} (bucket, window_start, count, expires_at) VALUES (%s, %s, 1, %s) "  # noqa: S608
        f"ON CONFLICT (bucket, window_start) DO UPDATE SET count = {quote(table)}.count + 1 RETURNING count"
    )
    expires = connection.ops.adapt_datetimefield_value(expires_at)
    with connection.cursor() as cursor:
        cursor.execute(sql, [bucket_of(scope, key), window_start, expires])
        (count,) = cursor.fetchone()
    return Hit(count=int(count), limit=limit)


def current_count(scope: str, key: str, limit: Limit) -> int:
    """How many hits `key` has in the current window (without counting one)."""
    window_start = int(timezone.now().timestamp()) // limit.seconds * limit.seconds
    row = RateCount.objects.filter(bucket=bucket_of(scope, key), window_start=window_start).first()
    return row.count if row else 0


def purge_expired() -> str:
    """The scheduled clean-up: counters of windows that have ended."""
    deleted, _ = RateCount.objects.filter(expires_at__lte=timezone.now()).delete()
    return f"{deleted} expired rate counters removed"
