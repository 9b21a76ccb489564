"""Distribution's states, their transition tables and the functions that move them.

An invoice's sending status (InvoiceSending): unsent -> queued ("waiting to be sent")
-> sent, reminded or uncertain, and back to what it was when a delivery fails or is
undone. A delivery's state: queued -> sending -> sent | failed | uncertain, back to
queued for another attempt, or undone / stopped (credited) before it went.

Every move is a compare-and-set from the state the caller read, in bulk: deliveries
move thousands of invoices a second, so never row by row. An invoice's move also
writes its history events, in one insert through invoicing's history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.core.bulk import any_of, bulk_insert, bulk_insert_new, bulk_update
from fakturera.core.errors import StateConflict
from fakturera.core.events import publish, subscriptions
from fakturera.distribution.events import (
    INVOICE_DELIVERY_FAILED,
    INVOICE_DELIVERY_UNDONE,
    INVOICE_QUEUED,
    INVOICE_REMINDED,
    INVOICE_SENT,
)
from fakturera.invoicing.history import Entry, actor_id_of, history_add_many


class SendingStatus(models.TextChoices):
    UNSENT = "unsent", gettext_lazy("Not sent")
    QUEUED = "queued", gettext_lazy("Waiting to be sent")
    SENT = "sent", gettext_lazy("Sent")
    REMINDED = "reminded", gettext_lazy("Reminder sent")
    UNCERTAIN = "uncertain", gettext_lazy("Uncertain whether sent")


# Queued goes back to whatever it was before (a failure or an undo), so it may reach every state.
SENDING_TRANSITIONS: dict[str, set[str]] = {
    SendingStatus.UNSENT: {SendingStatus.QUEUED},
    SendingStatus.SENT: {SendingStatus.QUEUED},
    SendingStatus.REMINDED: {SendingStatus.QUEUED},
    # Staff confirm it, send it again, or confirm it did not arrive (back to what it was).
    SendingStatus.UNCERTAIN: {SendingStatus.QUEUED, SendingStatus.SENT, SendingStatus.REMINDED, SendingStatus.UNSENT},
    SendingStatus.QUEUED: {
        SendingStatus.UNSENT,
        SendingStatus.SENT,
        SendingStatus.REMINDED,
        SendingStatus.UNCERTAIN,
    },
}


class SendingEvent(models.TextChoices):
    """The history kinds distribution writes (registered with invoicing's history in apps.py):
    each says when, how and to whom, or why not."""

    QUEUED = "queued", gettext_lazy("Queued for sending")
    SENT = "sent", gettext_lazy("Sent")
    SEND_FAILED = "send_failed", gettext_lazy("Sending failed")
    SEND_UNDONE = "send_undone", gettext_lazy("Sending undone")
    SEND_STOPPED = "send_stopped", gettext_lazy("Sending stopped")
    NOT_SENT = "not_sent", gettext_lazy("Not sent")
    SEND_UNCERTAIN = "send_uncertain", gettext_lazy("Sending uncertain")
    REMINDER_QUEUED = "reminder_queued", gettext_lazy("Reminder queued")
    REMINDED = "reminded", gettext_lazy("Reminder sent")
    REMINDER_FAILED = "reminder_failed", gettext_lazy("Reminder failed")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", gettext_lazy("Waiting to be sent")
    SENDING = "sending", gettext_lazy("Being sent")
    SENT = "sent", gettext_lazy("Sent")
    FAILED = "failed", gettext_lazy("Failed")
    UNDONE = "undone", gettext_lazy("Undone")
    STOPPED = "stopped", gettext_lazy("Stopped (credited)")
    UNCERTAIN = "uncertain", gettext_lazy("Uncertain")


ACTIVE_STATES = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.UNCERTAIN)

DELIVERY_TRANSITIONS: dict[str, set[str]] = {
    # Claimed by a worker; undone inside the undo window; stopped when the invoice is credited.
    DeliveryState.QUEUED: {DeliveryState.SENDING, DeliveryState.UNDONE, DeliveryState.STOPPED},
    # The outcome; back to the queue for a retry (or a lease that ran out before hand-over);
    # uncertain when the lease ran out after it; stopped when the worker finds a credit note.
    DeliveryState.SENDING: {
        DeliveryState.SENT,
        DeliveryState.FAILED,
        DeliveryState.QUEUED,
        DeliveryState.UNCERTAIN,
        DeliveryState.STOPPED,
    },
    # Staff confirm it, send it again or confirm it did not arrive; a late outcome makes it sent.
    DeliveryState.UNCERTAIN: {DeliveryState.SENT, DeliveryState.QUEUED, DeliveryState.FAILED},
    DeliveryState.SENT: set(),
    DeliveryState.FAILED: set(),
    DeliveryState.UNDONE: set(),
    DeliveryState.STOPPED: set(),
}


def move_deliveries(
    *,
    expected: str,
    to: str,
    ids: Sequence[int] = (),
    columns: Sequence[str] = (),
    rows: Sequence[Sequence[Any]] = (),
    **fields: Any,
) -> int:
    """Move deliveries from `expected` to `to`, setting `fields` on all of them: those in
    `ids` with one UPDATE, or each of `rows` (its id, then its own values of `columns`)
    with one bulk update. A compare-and-set: a delivery no longer in `expected` stays as
    it is. Returns how many moved; the caller decides whether fewer is a conflict."""
    from fakturera.distribution.models import Delivery

    if to not in DELIVERY_TRANSITIONS[expected]:
        raise StateConflict(
            _("A delivery cannot go from %(from)s to %(to)s.")
            % {"from": DeliveryState(expected).label, "to": DeliveryState(to).label}
        )
    if rows:
        return bulk_update(Delivery, columns, rows, same={"state": to, **fields}, only_if={"state": expected})
    if not ids:
        return 0
    return Delivery.objects.filter(any_of(Delivery, list(ids)), state=expected).update(state=to, **fields)


class SendingMove(NamedTuple):
    """One invoice's move of the sending status: its history event (a SendingEvent and its
    parameters, see history.py) and `fields` set with it (reminder count...). A named tuple:
    a reminder run moves a hundred thousand at once, and a frozen dataclass's constructor
    took half a second of it."""

    invoice_id: int
    to: str
    event: str
    params: dict[str, Any] | None = None
    fields: tuple[tuple[str, Any], ...] = ()


def move_sending(
    moves: Sequence[SendingMove],
    *,
    expected: str,
    actor: Any,
    at: dt.datetime | None = None,
    company_id: int | None = None,
    absent: Collection[int] = (),
) -> None:
    """Move many invoices' sending status at once, each from `expected`: one compare-and-set
    update per target and field set, and the history events in one insert. Raises
    StateConflict (and the caller's transaction rolls back) when any invoice was not in
    `expected` any more. Deliveries move thousands of invoices a second: no row-by-row.
    `company_id`: the company of every invoice moved, when the caller knows it (else read).
    `absent`: invoices the caller read, holding them locked, as having no sending row yet: theirs
    are copied in as they are (another transaction inserting one would need the same lock; if
    one were there, the unique key would refuse the whole move)."""
    from fakturera.distribution.models import InvoiceSending

    if not moves:
        return
    at = at or timezone.now()
    groups: dict[tuple[str, tuple[str, ...]], list[SendingMove]] = {}
    for move in moves:
        if move.to not in SENDING_TRANSITIONS[expected]:
            raise StateConflict(
                _("Sending cannot go from %(from)s to %(to)s.")
                % {"from": SendingStatus(expected).label, "to": SendingStatus(move.to).label}
            )
        groups.setdefault((move.to, tuple(name for name, _value in move.fields)), []).append(move)
    changed = 0
    if expected == SendingStatus.UNSENT:
        # An invoice that was never sent has no row yet (it reads as unsent): its row is inserted
        # as it ends up (conflicts skipped). The compare-and-set below then moves the rows that
        # were there, still unsent; one just inserted is in its new status already, not touched.
        for (to, names), group in groups.items():
            copied: list[tuple[Any, ...]] = []  # rows known absent: a plain insert
            maybe: list[tuple[Any, ...]] = []  # rows that may be there: conflicts skipped
            for move in group:
                row = (move.invoice_id, to, *(value for _name, value in move.fields))
                (copied if move.invoice_id in absent else maybe).append(row)
            columns = ("invoice_id", "status", *names)
            if copied:
                changed += bulk_insert(InvoiceSending, columns, copied)
            if maybe:
                changed += bulk_insert_new(InvoiceSending, columns, maybe)
    if changed < len(moves):
        for (to, names), group in groups.items():
            changed += bulk_update(
                InvoiceSending,
                list(names),
                [(move.invoice_id, *(value for _name, value in move.fields)) for move in group],
                same={"status": to},
                only_if={"status": expected},
            )
    if changed != len(moves):
        raise StateConflict(_("Someone else changed these invoices at the same time; reload and try again."))
    actor_id = actor_id_of(actor)
    history_add_many(Entry(move.invoice_id, move.event, at, actor_id, move.params) for move in moves)
    _announce(moves, actor_id=actor_id, company_id=company_id)


# What each history event of a move announces (distribution/events.py), and for what purpose.
ANNOUNCED: dict[str, tuple[str, str]] = {
    SendingEvent.QUEUED: (INVOICE_QUEUED, "invoice"),
    SendingEvent.REMINDER_QUEUED: (INVOICE_QUEUED, "reminder"),
    SendingEvent.SENT: (INVOICE_SENT, "invoice"),
    SendingEvent.REMINDED: (INVOICE_REMINDED, "reminder"),
    SendingEvent.SEND_FAILED: (INVOICE_DELIVERY_FAILED, "invoice"),
    SendingEvent.REMINDER_FAILED: (INVOICE_DELIVERY_FAILED, "reminder"),
    # Undone in the undo window, or stopped (the invoice was credited): the purpose is the
    # delivery's, in the move's params.
    SendingEvent.SEND_UNDONE: (INVOICE_DELIVERY_UNDONE, ""),
    SendingEvent.SEND_STOPPED: (INVOICE_DELIVERY_UNDONE, ""),
}


def _announce(moves: Sequence[SendingMove], *, actor_id: int | None, company_id: int | None = None) -> None:
    """One event per company and kind of move. The invoices' companies (unless `company_id` is
    every one's) are read only when someone listens, so a move nobody subscribes to costs nothing."""
    from fakturera.invoicing.models import Invoice

    wanted = [move for move in moves if move.event in ANNOUNCED and subscriptions(ANNOUNCED[move.event][0])]
    if not wanted:
        return
    if company_id is not None:
        companies: Any = defaultdict(lambda: company_id)
    else:
        companies = dict(
            Invoice.objects.filter(any_of(Invoice, sorted({m.invoice_id for m in wanted}))).values_list(
                "pk", "company_id"
            )
        )
    grouped: dict[tuple[int, str, str], list[SendingMove]] = {}
    for move in wanted:
        name, purpose = ANNOUNCED[move.event]
        purpose = purpose or (move.params or {}).get("purpose") or "invoice"
        grouped.setdefault((companies[move.invoice_id], name, purpose), []).append(move)
    for (company_id, name, purpose), group in grouped.items():
        publish(
            name,
            company_id=company_id,
            actor=actor_id,
            invoice_ids=[move.invoice_id for move in group],
            purpose=purpose,
            channels={m.invoice_id: (m.params or {}).get("channel") for m in group if (m.params or {}).get("channel")},
            history={move.invoice_id: move.params or {} for move in group},
        )
