"""Invoice states and the one function that moves an invoice between them.

The document lifecycle: draft -> issued -> credited (fully). How an invoice travels
and how it is paid have their own states in their own apps. A move is a
compare-and-set update (the row must still be in the state we read) plus a history
event, so two people acting at once cannot both succeed.
"""

from __future__ import annotations

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
    """Invoicing's own history kinds; other apps register theirs (history.register_kind)."""

    CREATED = "created", gettext_lazy("Created")
    EDITED = "edited", gettext_lazy("Edited")
    ISSUED = "issued", gettext_lazy("Issued")
    CREDITED = "credited", gettext_lazy("Credited")
    DELETED = "deleted", gettext_lazy("Draft deleted")


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
    params: dict | None = None,
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
    InvoiceEvent.objects.create(invoice=invoice, kind=event, actor=actor, params=params or {}, at=timezone.now())
