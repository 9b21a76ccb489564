"""Whether Python's garbage collector was on when an event was published (core.collector)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from fakturera.core.events import IN_TRANSACTION, Event, subscribe, unsubscribe


@contextmanager
def collector_seen_at(name: str) -> Iterator[list[bool]]:
    """The collector turned on, then a list of gc.isenabled() at each `name` published in the block
    (seen by an in-transaction subscriber, so in the middle of the work that publishes it)."""
    seen: list[bool] = []

    def look(event: Event) -> None:
        seen.append(gc.isenabled())

    gc.enable()
    subscribe(name, look, when=IN_TRANSACTION)
    try:
        yield seen
    finally:
        unsubscribe(name, look)
