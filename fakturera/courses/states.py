"""Registration states and the one function that moves a registration.

awaiting_approval -> received (the manager approved) | declined
received -> processed (staff linked person and organisations; billable)
processed -> processed (processed again: links changed)
awaiting_approval | received | processed -> cancelled
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.core.errors import StateConflict


class RegistrationStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", gettext_lazy("Awaiting the manager's approval")
    DECLINED = "declined", gettext_lazy("Declined by the manager")
    RECEIVED = "received", gettext_lazy("Received, to be processed")
    PROCESSED = "processed", gettext_lazy("Processed")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


TRANSITIONS: dict[str, frozenset[str]] = {
    RegistrationStatus.AWAITING_APPROVAL: frozenset({RegistrationStatus.RECEIVED, RegistrationStatus.DECLINED,
                                                     RegistrationStatus.CANCELLED}),
    RegistrationStatus.RECEIVED: frozenset({RegistrationStatus.PROCESSED, RegistrationStatus.CANCELLED}),
    RegistrationStatus.PROCESSED: frozenset({RegistrationStatus.PROCESSED, RegistrationStatus.CANCELLED}),
    RegistrationStatus.DECLINED: frozenset(),
    RegistrationStatus.CANCELLED: frozenset(),
}  # fmt: skip


def move_registration(registration: Any, *, to: str, **fields: Any) -> None:
    """Compare-and-set: moves only from the status the caller saw, else StateConflict."""
    current = registration.status
    if to not in TRANSITIONS[current]:
        raise StateConflict(
            _("This registration is %(status)s; that cannot be done now.")
            % {"status": str(RegistrationStatus(current).label).lower()}
        )
    updated = type(registration).objects.filter(pk=registration.pk, status=current).update(status=to, **fields)
    if updated != 1:
        raise StateConflict(_("Someone else changed this registration at the same moment; reload and try again."))
    registration.status = to
    for name, value in fields.items():
        setattr(registration, name, value)
