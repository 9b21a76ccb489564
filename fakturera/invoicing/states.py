"""Invoice states and the one function that moves an invoice between them.

The document lifecycle: draft -> issued -> credited (fully). Beside it, the sending
status (distribution): unsent -> queued ("waiting to be sent") -> sent, reminded or
uncertain, and back to what it was when a delivery fails or is undone. Payment has
its own states in its own app. A move is a compare-and-set update (the row must
still be in the state we read) plus a history event, so two people acting at once
cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.core.errors import StateConflict

if TYPE_CHECKING:
    from fakturera.invoicing.models import Invoice


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    ISSUED = "issued", gettext_lazy("Issued")
    CREDITED = "credited", gettext_lazy("Credited")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", gettext_lazy("Invoice")
    CREDIT_NOTE = "credit_note", gettext_lazy("Credit note")


class EventKind(models.TextChoices):
    CREATED = "created", gettext_lazy("Created")
    EDITED = "edited", gettext_lazy("Edited")
    ISSUED = "issued", gettext_lazy("Issued")
    CREDITED = "credited", gettext_lazy("Credited")
    DELETED = "deleted", gettext_lazy("Draft deleted")
    # Distribution (seed 003): each line of the history says when, how and to whom.
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
    SendingStatus.UNCERTAIN: {SendingStatus.QUEUED, SendingStatus.SENT, SendingStatus.REMINDED},
    SendingStatus.QUEUED: {
        SendingStatus.UNSENT,
        SendingStatus.SENT,
        SendingStatus.REMINDED,
        SendingStatus.UNCERTAIN,
    },
}

TRANSITIONS: dict[str, set[str]] = {
    InvoiceStatus.DRAFT: {InvoiceStatus.ISSUED},
    InvoiceStatus.ISSUED: {InvoiceStatus.CREDITED},
    InvoiceStatus.CREDITED: set(),
}

# Once issued, a document is never changed or deleted (Bokföringslagen 5 kap.):
# corrections are credit notes.
LOCKED_STATUSES = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.CREDITED})


def move_invoice(
    invoice: Invoice,
    *,
    to: str,
    actor: Any,
    event: str,
    message: str = "",
    details: dict | None = None,
    **fields: Any,
) -> None:
    from fakturera.invoicing.models import Invoice, InvoiceEvent

    if to not in TRANSITIONS[invoice.status]:
        raise StateConflict(
            _("A %(from)s invoice cannot become %(to)s.")
            % {"from": InvoiceStatus(invoice.status).label, "to": InvoiceStatus(to).label}
        )
    updated = Invoice.objects.filter(pk=invoice.pk, status=invoice.status).update(status=to, **fields)
    if updated != 1:
        raise StateConflict(_("Someone else changed this invoice at the same time; reload and try again."))
    invoice.status = to
    for name, value in fields.items():
        setattr(invoice, name, value)
    InvoiceEvent.objects.create(
        invoice=invoice, kind=event, actor=actor, message=message, details=details or {}, at=timezone.now()
    )


@dataclass(frozen=True, slots=True)
class SendingMove:
    """One invoice's move of the sending status; `fields` are set with it (reminder count...)."""

    invoice_id: int
    to: str
    event: str
    message: str = ""
    details: dict | None = None
    fields: tuple[tuple[str, Any], ...] = ()


def move_sending(moves: Sequence[SendingMove], *, expected: str, actor: Any, at: Any = None) -> None:
    """Move many invoices' sending status at once, each from `expected`: one compare-and-set
    update per target and field set, and the history events in one insert. Raises
    StateConflict (and the caller's transaction rolls back) when any invoice was not in
    `expected` any more. Deliveries move thousands of invoices a second: no row-by-row."""
    from fakturera.core.bulk import bulk_insert, bulk_update
    from fakturera.invoicing.models import Invoice, InvoiceEvent

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
    for (to, names), group in groups.items():
        changed += bulk_update(
            Invoice,
            list(names),
            [(move.invoice_id, *(value for _name, value in move.fields)) for move in group]
            if names
            else [(move.invoice_id,) for move in group],
            same={"sending_status": to},
            only_if={"sending_status": expected},
        )
    if changed != len(moves):
        raise StateConflict(_("Someone else changed these invoices at the same time; reload and try again."))
    actor_id = getattr(actor, "pk", actor)
    bulk_insert(
        InvoiceEvent,
        ("invoice_id", "kind", "at", "actor_id", "message", "details"),
        ((move.invoice_id, move.event, at, actor_id, move.message[:500], move.details or {}) for move in moves),
    )
