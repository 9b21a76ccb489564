"""An invoice's history: append-only events that any app may add to.

Invoicing owns the table (InvoiceEvent) and the kinds of its own (states.EventKind).
Other apps register their kinds from their AppConfig.ready() and add rows through
`history_add_many`, never by writing the table themselves, so invoicing does not know
what they are (how an invoice travels, how it is paid).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from fakturera.core.bulk import bulk_insert
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.states import EventKind

# The columns `history_add_many` writes, in the order of an Entry's values.
HISTORY_COLUMNS = ("invoice_id", "kind", "at", "actor_id", "message", "details")


@dataclass(frozen=True, slots=True)
class Entry:
    """One event to add: `kind` is a registered code."""

    invoice_id: int
    kind: str
    at: dt.datetime
    actor_id: int | None = None
    message: str = ""
    details: dict[str, Any] | None = None


def history_add_many(entries: Iterable[Entry]) -> int:
    """Add the events in one bulk insert (COPY on PostgreSQL), in the caller's transaction:
    other apps record thousands at once, never row by row. Returns how many were added."""
    return bulk_insert(
        InvoiceEvent,
        HISTORY_COLUMNS,
        (
            (entry.invoice_id, entry.kind, entry.at, entry.actor_id, entry.message[:500], entry.details or {})
            for entry in entries
        ),
    )


def actor_id_of(actor: Any) -> int | None:
    """A user, a user's id or None (the system), as the column holds it."""
    return getattr(actor, "pk", actor)


# --- kinds ------------------------------------------------------------------------------------------

_LABELS: dict[str, str | Promise] = {}


def register_kind(code: str, *, label: str | Promise) -> None:
    """Make a kind known: `label` (lazy) names it in the reader's language."""
    if len(code) > InvoiceEvent._meta.get_field("kind").max_length:
        raise ValueError(f"The event kind {code!r} is longer than the column.")
    _LABELS[code] = label


def kind_label(code: str) -> str:
    """The kind's name in the active language; an unknown code (its app removed) as it is."""
    label = _LABELS.get(code)
    return str(label) if label is not None else code.replace("_", " ")


def registered_kinds() -> list[str]:
    return list(_LABELS)


for _kind in EventKind:
    register_kind(_kind.value, label=_kind.label)
