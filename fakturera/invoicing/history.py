"""An invoice's history: append-only events that any app may add to, stored as data and
worded for their reader.

An event is a kind (a code), its parameters (JSON) and its actor; never a sentence.
`describe(event)` words it in the active language when it is shown, so a Swedish and
an English reader of the same invoice each read the whole history in their own
language; `detail_rows(event)` gives the parameters worth listing beside it, labelled.

Invoicing owns the table (InvoiceEvent) and registers its own kinds below. Other apps
register theirs from their AppConfig.ready() (`register_kind`) and add rows through
`history_add_many`, never by writing the table themselves, so invoicing knows nothing
of what they are (how an invoice travels, how it is paid).

Events stored before they were data keep their old sentence as the parameter "text"
(migration 0006 and the apps' own): it is shown as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.core.bulk import bulk_insert
from fakturera.invoicing.models import Invoice, InvoiceEvent
from fakturera.invoicing.states import EventKind

# The columns `history_add_many` writes, in the order of an Entry's values.
HISTORY_COLUMNS = ("invoice_id", "kind", "at", "actor_id", "params")
# The parameter of an event stored as a sentence, before events were data.
TEXT = "text"

Params = Mapping[str, Any]


class Event(Protocol):
    kind: str
    params: Params


@dataclass(frozen=True, slots=True)
class Entry:
    """One event to add: `kind` is a registered code, `params` what its words need (JSON)."""

    invoice_id: int
    kind: str
    at: dt.datetime
    actor_id: int | None = None
    params: Params | None = None


def history_add_many(entries: Iterable[Entry]) -> int:
    """Add the events in one bulk insert (COPY on PostgreSQL), in the caller's transaction:
    other apps record thousands at once, never row by row. Returns how many were added.
    A params dict goes in as it is, not copied: entries that share one (a customer's invoices
    sent alike) are then serialised once (core.bulk)."""
    return bulk_insert(
        InvoiceEvent,
        HISTORY_COLUMNS,
        ((entry.invoice_id, entry.kind, entry.at, entry.actor_id, _as_dict(entry.params)) for entry in entries),
    )


def _as_dict(params: Params | None) -> dict[str, Any]:
    if type(params) is dict:
        return params
    return dict(params or {})


def actor_id_of(actor: Any) -> int | None:
    """A user, a user's id or None (the system), as the column holds it."""
    return getattr(actor, "pk", actor)


# --- wording ----------------------------------------------------------------------------------------


def plain(value: Any) -> str:
    """A parameter's value as text: yes/no, lists joined, the rest as it is."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)
    return str(value)


@dataclass(frozen=True)
class Detail:
    """A parameter listed beside the sentence: its label and how its value reads."""

    label: str | Promise
    format: Callable[[Any], str] = plain


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    # The sentence in the active language, from the event's parameters.
    sentence: Callable[[Params], str]
    # The parameters listed beside the sentence, in this order (the others are in the sentence or internal).
    details: Mapping[str, Detail] = field(default_factory=dict)


_KINDS: dict[str, Kind] = {}


def register_kind(
    code: str,
    *,
    label: str | Promise,
    sentence: Callable[[Params], str],
    details: Mapping[str, Detail] | None = None,
) -> None:
    """Make a kind known: `label` (lazy) names it, `sentence(params)` words one event in
    the language active when it is called."""
    if len(code) > InvoiceEvent._meta.get_field("kind").max_length:
        raise ValueError(f"The event kind {code!r} is longer than the column.")
    _KINDS[code] = Kind(code, label, sentence, details or {})


def registered_kinds() -> list[str]:
    return list(_KINDS)


def kind_label(code: str) -> str:
    """The kind's name in the active language; an unknown code (its app removed) as it is."""
    kind = _KINDS.get(code)
    return str(kind.label) if kind is not None else code.replace("_", " ")


def describe(event: Event) -> str:
    """The event as one sentence in the active language."""
    params = event.params or {}
    if params.get(TEXT):
        return str(params[TEXT])
    kind = _KINDS.get(event.kind)
    if kind is None:
        return kind_label(event.kind)
    return kind.sentence(params)


def detail_rows(event: Event) -> list[tuple[str, str]]:
    """The event's parameters worth listing, as (label, value) in the active language."""
    kind = _KINDS.get(event.kind)
    if kind is None:
        return []
    params = event.params or {}
    return [
        (str(detail.label), detail.format(params[name]))
        for name, detail in kind.details.items()
        if params.get(name) not in (None, "", [], {})
    ]


# --- invoicing's own kinds ----------------------------------------------------------------------------

# Changes that are not a column of the invoice.
CHANGE_LABELS = {"lines": gettext_lazy("lines")}


def _changed(names: Iterable[str]) -> str:
    labels = []
    for name in names:
        try:
            labels.append(str(CHANGE_LABELS.get(name) or Invoice._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            labels.append(name.replace("_", " "))
    return ", ".join(labels)


def _edited(params: Params) -> str:
    changed = params.get("changed") or []
    if not changed:
        return _("The draft was changed.")
    return _("Changed: %(changes)s") % {"changes": _changed(changed)}


def _issued(params: Params) -> str:
    if params.get("credited_number"):
        return _("Credit note for invoice %(n)s") % {"n": params["credited_number"]}
    if params.get("basis_items"):
        return _("Registered from the basis")
    return _("The invoice was issued.")


def _credited(params: Params) -> str:
    if params.get("credit_note_number"):
        return _("Credited by credit note %(n)s") % {"n": params["credit_note_number"]}
    return _("Credited by a credit note.")


def _created(params: Params) -> str:
    if params.get("recurring_on"):
        return _("Generated from recurring invoice %(name)s for %(date)s") % {
            "name": params.get("recurring_name", ""),
            "date": params["recurring_on"],
        }
    return _("The invoice was created.")


register_kind(EventKind.CREATED, label=EventKind.CREATED.label, sentence=_created)
register_kind(EventKind.EDITED, label=EventKind.EDITED.label, sentence=_edited)
register_kind(
    EventKind.ISSUED,
    label=EventKind.ISSUED.label,
    sentence=_issued,
    details={"basis_items": Detail(gettext_lazy("Basis items"))},
)
register_kind(
    EventKind.CREDITED,
    label=EventKind.CREDITED.label,
    sentence=_credited,
    details={
        "is_full": Detail(gettext_lazy("Fully credited")),
        "returned_to_basis": Detail(gettext_lazy("Items returned to the basis")),
    },
)
register_kind(EventKind.DELETED, label=EventKind.DELETED.label, sentence=lambda params: _("The draft was deleted."))
