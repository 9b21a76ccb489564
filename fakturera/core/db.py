"""Transactions that PostgreSQL aborts, run again; a database that is briefly away, named.

PostgreSQL aborts a transaction it chose as the victim of a deadlock (SQLSTATE 40P01) or
that could not be serialised (40001); SQLite answers "database is locked" when its write
lock stays taken past the timeout. Each means: nothing was written, the same transaction
run again will most likely succeed. `retrying_atomic` does that at the outermost
transaction of a service: the whole function again, after a short jittered backoff, at
most `ATTEMPTS` times. Inside a transaction it is a plain `transaction.atomic` (a savepoint
cannot be retried: the outer transaction is aborted with it), and the outermost caller's
retry runs everything again.

What a transaction leaves for after its commit is not repeated by a retry: Django drops
the on_commit callbacks of a rolled-back transaction (core.events' ON_COMMIT handlers,
tasks queued on commit), and a task row written inside the transaction
(core.tasks.enqueue_on_commit) rolls back with it. Only in-memory changes to objects the
caller passed in survive an aborted attempt, so services lock and re-read their rows
by primary key rather than trusting what they were given.

`is_unavailable(exc)` says whether an error means the database is briefly unavailable
(connection refused or lost, an administrator's shutdown, too many connections, a
transaction still aborted after every retry): core.unavailable answers those with 503 and
Retry-After instead of 500.
"""

from __future__ import annotations

import functools
import logging
import random
import sqlite3
import time
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

ATTEMPTS = 5
BACKOFF = 0.02  # seconds before the second attempt; doubled each time, with jitter
BACKOFF_CAP = 0.5

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRYABLE = frozenset({DEADLOCK, SERIALIZATION_FAILURE})
# Connection exceptions (08...), operator intervention (57P01 admin shutdown, 57P02 crash
# shutdown, 57P03 cannot connect now), insufficient resources (53300 too many connections).
UNAVAILABLE_PREFIXES = ("08", "57P", "53")


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (psycopg 3 and 2), or None."""
    for error in (exc, exc.__cause__):
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if code:
            return str(code)
    return None


def _sqlite_locked(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, sqlite3.OperationalError) and "database is locked" in str(cause)


def is_retryable(exc: BaseException) -> bool:
    """A transaction the database aborted and that may succeed when run again."""
    if not isinstance(exc, OperationalError):
        return False
    return sqlstate(exc) in RETRYABLE or _sqlite_locked(exc)


class RetriesExhausted(OperationalError):
    """A transaction still aborted (deadlock, serialization) after every attempt."""


def is_unavailable(exc: BaseException) -> bool:
    """The database is briefly unavailable: the request may succeed when tried again later."""
    if isinstance(exc, RetriesExhausted | InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    code = sqlstate(exc)
    if code is None:
        # No SQLSTATE: the server never answered (connection refused, lost, timed out), or SQLite locked.
        return True
    return code in RETRYABLE or code.startswith(UNAVAILABLE_PREFIXES)


def backoff(attempt: int) -> float:
    """Seconds to wait after failed `attempt` (1, 2, ...): exponential, capped, full jitter."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF * 2 ** (attempt - 1)))  # noqa: S311 - not for secrets


def run_retrying(function: Callable[[], Any], *, using: str = DEFAULT_DB_ALIAS, attempts: int = ATTEMPTS) -> Any:
    """`function()` in a transaction; at the outermost level run again when the database aborts it."""
    if transaction.get_connection(using).in_atomic_block:
        with transaction.atomic(using=using):
            return function()
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic(using=using):
                return function()
        except OperationalError as exc:
            if not is_retryable(exc):
                raise
            if attempt == attempts:
                logger.warning("transaction aborted %s times, giving up: %s", attempts, exc)
                raise RetriesExhausted(*exc.args) from exc
            logger.info("transaction aborted (%s), attempt %s of %s: again", sqlstate(exc), attempt, attempts)
            time.sleep(backoff(attempt))
    raise AssertionError("unreachable")


def retrying_atomic(function: F | None = None, *, using: str = DEFAULT_DB_ALIAS, attempts: int = ATTEMPTS) -> Any:
    """`@retrying_atomic` instead of `@transaction.atomic` on a service that takes locks."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return run_retrying(lambda: func(*args, **kwargs), using=using, attempts=attempts)

        return wrapper  # type: ignore[return-value]

    return decorate(function) if function is not None else decorate


def one_at_a_time(name: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Hold `name` until the current transaction ends: a second transaction asking for the same
    name waits for the first to commit or roll back (PostgreSQL: a transaction-level advisory lock
    on the name's CRC-32). On SQLite every writing transaction already holds the one write lock
    from its start (settings: transaction_mode IMMEDIATE), so there is nothing to take."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("one_at_a_time holds its lock for a transaction: call it inside one")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
