"""The letter a reminder delivery carries, for distribution, which may not import collections
(collections sits above it): collections registers the answer in its AppConfig.ready(), as
payments registers core.payment_facts. Without a provider (collections not installed), or for a
delivery it has no letter for (a reminder queued by hand before collections kept a record of
it), a reminder carries the invoice's own PDF, as before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Letter:
    """One reminder letter: its PDF, the file's name, and what the e-mail says beside it."""

    pdf: bytes
    filename: str
    amount: Decimal  # what is to be paid now: what is open, the fee and the interest
    due_on: dt.date  # the new due date
    # The level's own e-mail words per language ({"sv": ("subject", "body")}), where the
    # company wrote them; else distribution's reminder text.
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)


Provider = Callable[[list[int]], dict[int, Letter]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def reminder_letters(delivery_ids: Iterable[int]) -> dict[int, Letter]:
    """The letters of those of `delivery_ids` (reminder deliveries) that have one, in bulk."""
    ids = sorted(set(delivery_ids))
    found: dict[int, Letter] = {}
    if not ids:
        return found
    for provider in _providers:
        found.update(provider(ids))
    return found
