"""Claims: which process is doing something to a row right now, so that others leave it to it.

Several processes may set out to do the same piece of work at the same moment: a task worker
laying out the documents of a month-end's invoices, and a delivery worker that caught up with
it and lays out what it is about to send. Either may do it (what each stores is the same, and
stored once), but the second one's work is thrown away. A claim says "this process is doing
it": the others skip it, and come back for it once the claim is given up (`claim_wait`).

A claim is a PostgreSQL session-level advisory lock, keyed by the kind of work (`kind`, the
lock's first key) and the row's id (its second; ids above 2**31 share keys with smaller ones,
which only makes one process wait for another now and then). So:

- Taking a batch's claims is one statement that never waits (`pg_try_advisory_lock`): what
  another process holds is simply not taken.
- A claim is given up when the work is done (`claimed` gives its claims up on the way out,
  whatever happened), and by the server when the process dies: a kill -9 never leaves work
  claimed. So claims are taken for as little work as can be done at once (a Typst batch,
  not a task's 500 invoices): the rest is free for whichever process comes to it first.
- A process waits for others' claims only holding none of its own, so no two processes can
  wait for each other.

A claim is a way of not doing work twice, never a guarantee: the work itself must stay safe to
do twice (documents are stored once whoever stores them). So where claims cannot be kept they
are all granted at once: on SQLite (one writer at a time anyway), and inside a transaction (a
claim given up before the transaction commits would let another process start on work whose
result it cannot see yet, and a wait there could wait for this very transaction).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

KEY_MASK = 0x7FFFFFFF  # the second key is an int4
POLL_FIRST = 0.02  # seconds between looks while waiting; doubled up to POLL_CAP
POLL_CAP = 0.2

_TAKE = "SELECT id FROM unnest(%s::bigint[]) AS t(id) WHERE pg_try_advisory_lock(%s, (id & %s)::int)"
_RELEASE = "SELECT id, pg_advisory_unlock(%s, (id & %s)::int) FROM unnest(%s::bigint[]) AS t(id)"

# Free when it can be taken, and then given up at once (CASE: only what was taken).
_FREE = (
    "SELECT CASE WHEN pg_try_advisory_lock(%s, (%s::bigint & %s)::int)"
    " THEN pg_advisory_unlock(%s, (%s::bigint & %s)::int) ELSE false END"
)


def _keeps_claims(using: str) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def claims_take(kind: int, ids: Sequence[int], *, using: str = DEFAULT_DB_ALIAS) -> set[int]:
    """Claim what no other process has claimed, in one statement that never waits; the ids
    claimed. Every id where claims are not kept (the module's docstring)."""
    wanted = list(dict.fromkeys(ids))  # each once: a claim taken twice would be held twice
    if not wanted or not _keeps_claims(using):
        return set(wanted)
    with connections[using].cursor() as cursor:
        cursor.execute(_TAKE, [wanted, kind, KEY_MASK])
        return {row[0] for row in cursor.fetchall()}


def claims_release(kind: int, ids: Sequence[int], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Give up these claims (taken by `claims_take` in this process). A connection that is gone
    took its claims with it; one that fails here is closed, which gives them up too."""
    held = list(dict.fromkeys(ids))
    connection = connections[using]
    if not held or connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(_RELEASE, [kind, KEY_MASK, held])
            not_held = [pk for pk, released in cursor.fetchall() if not released]
    except DatabaseError as exc:
        log.warning("Claims of kind %s could not be given up; closing the connection gives them up: %s", kind, exc)
        if not connection.in_atomic_block:
            connection.close()
        return
    if not_held:
        log.warning("Claims of kind %s on %s were not held when given up", kind, not_held[:10])


@contextlib.contextmanager
def claimed(
    kind: int, ids: Sequence[int], *, enabled: bool = True, using: str = DEFAULT_DB_ALIAS
) -> Iterator[set[int]]:
    """Claim for the block what no other process claims; the ids claimed, given up when the
    block ends, however it ends. With `enabled` off, or where claims are not kept, every id is
    granted and nothing is held."""
    if not (enabled and _keeps_claims(using)):
        yield set(ids)
        return
    taken = claims_take(kind, ids, using=using)
    try:
        yield set(taken)
    finally:
        claims_release(kind, sorted(taken), using=using)


def claim_wait(kind: int, pk: int, *, seconds: float, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Wait until no process claims `pk` (its holder is done, or died), at most `seconds`;
    whether it was given up in time. Holds nothing while it waits: call it with no claims of
    this process taken. True at once where claims are not kept."""
    if not _keeps_claims(using):
        return True
    deadline = time.monotonic() + seconds
    pause = POLL_FIRST
    while True:
        with connections[using].cursor() as cursor:
            cursor.execute(_FREE, [kind, pk, KEY_MASK, kind, pk, KEY_MASK])
            if cursor.fetchone()[0]:
                return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, POLL_CAP)
