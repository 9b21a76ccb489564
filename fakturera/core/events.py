"""Domain events: an app says what happened; the apps that care subscribe.

The publisher knows nothing of its subscribers. Invoicing publishes
`invoice.issued` and `invoice.credited`; documents renders, webhooks records its
deliveries, distribution stops a queued delivery of a credited invoice, direct
debit lowers its payment order, and apps yet to come (payments, collections,
bookkeeping) hook in the same way without touching invoicing.

- `publish(name, company_id=..., **data)` is called inside the transaction that
  makes the event true (outside one it is its own transaction).
- `subscribe(name, handler, when=...)` is called in the subscriber's
  AppConfig.ready(). `when` says when the handler runs:
  - `IN_TRANSACTION`: at once, inside the publisher's transaction. Its writes
    commit or roll back with the event, and its error rolls the event back too.
    For work that must not be lost nor happen for a rolled-back event: stopping
    a delivery, recording a webhook delivery, enqueuing a task on the database
    backend (core.tasks.enqueue_on_commit writes the task row in the transaction).
  - `ON_COMMIT` (the default): after the publisher's transaction commits; an
    error is logged and never undoes the event. For work that may be lost in a
    crash (a notification, a cache).
- Handlers of one event run in the order they subscribed (the order of
  INSTALLED_APPS), in-transaction ones first.

Events carry batches: issuing ten thousand invoices is one `invoice.issued` with
ten thousand ids, not ten thousand events. `Many` hands over rows that are costly to
build (invoice objects) lazily: they are built only when a subscriber iterates them,
and again for each that does.

Event names are `<noun>.<past verb>`; each publishing app lists its names, and
what their data holds, in its `events.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

IN_TRANSACTION = "in_transaction"
ON_COMMIT = "on_commit"
WHEN = (IN_TRANSACTION, ON_COMMIT)

T = TypeVar("T")


class Many(Generic[T]):
    """A re-iterable, lazily built sequence: `Many(lambda: (build(row) for row in rows))`."""

    def __init__(self, factory: Callable[[], Iterable[T]]) -> None:
        self._factory = factory

    def __iter__(self) -> Iterator[T]:
        return iter(self._factory())


@dataclass(frozen=True)
class Event:
    name: str
    company_id: int | None
    data: Mapping[str, Any]
    actor_id: int | None = None
    at: dt.datetime = field(default_factory=timezone.now)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


Handler = Callable[[Event], object]


@dataclass(frozen=True)
class Subscription:
    name: str
    handler: Handler
    when: str

    @property
    def label(self) -> str:
        return f"{getattr(self.handler, '__module__', '?')}.{getattr(self.handler, '__qualname__', self.handler)}"


_subscriptions: dict[str, list[Subscription]] = defaultdict(list)
_recorders: list[list[Event]] = []


def subscribe(name: str, handler: Handler, *, when: str = ON_COMMIT) -> None:
    """Call `handler(event)` for every `name` published. Subscribing the same handler to
    the same event twice (a ready() run again in tests) is a no-op."""
    if when not in WHEN:
        raise ValueError(f"when must be one of {WHEN}, not {when!r}")
    if "." not in name:
        raise ValueError(f"event names are <noun>.<verb>, not {name!r}")
    subscriptions = _subscriptions[name]
    if any(s.handler == handler for s in subscriptions):
        return
    subscriptions.append(Subscription(name, handler, when))


def unsubscribe(name: str, handler: Handler) -> None:
    _subscriptions[name] = [s for s in _subscriptions[name] if s.handler != handler]


def subscriptions(name: str | None = None) -> list[Subscription]:
    """Who listens (to `name`, or to anything): for the design pages' tests and debugging."""
    if name is not None:
        return list(_subscriptions.get(name, ()))
    return [s for subs in _subscriptions.values() for s in subs]


def publish(name: str, *, company_id: int | None, actor: Any = None, **data: Any) -> Event:
    """Announce `name` with `data`; returns the event. In-transaction handlers run now,
    the others when the current transaction commits (at once outside one)."""
    event = Event(name=name, company_id=company_id, data=data, actor_id=getattr(actor, "pk", actor))
    for recorder in _recorders:
        recorder.append(event)
    if transaction.get_connection().in_atomic_block:
        # No savepoint: an in-transaction handler's error rolls back the publisher's transaction.
        _dispatch(event)
    else:
        with transaction.atomic():
            _dispatch(event)
    return event


def _dispatch(event: Event) -> None:
    subs = _subscriptions.get(event.name, ())
    for sub in subs:
        if sub.when == IN_TRANSACTION:
            sub.handler(event)
    for sub in subs:
        if sub.when == ON_COMMIT:
            transaction.on_commit(_guarded(sub, event))


def _guarded(sub: Subscription, event: Event) -> Callable[[], None]:
    def run() -> None:
        try:
            sub.handler(event)
        except Exception:  # the event is committed; one failing listener stops no other
            logger.exception("event %s: subscriber %s failed", event.name, sub.label)

    return run


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """Every event published inside the block, in order (tests)."""
    events: list[Event] = []
    _recorders.append(events)
    try:
        yield events
    finally:
        _recorders.remove(events)
