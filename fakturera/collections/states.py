"""The collections app's states and codes (see DESIGN.md, "The model")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fakturera.collections.law import FeeKind, RateKind


class ReminderState(models.TextChoices):
    """A reminder of one level of one invoice. Failed and undone are not final: the run may
    queue the same row again (the unique key (invoice, level) never lets a second row in)."""

    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


# What may follow what: a failure or an undo gives the level back to the run, which queues
# the same row again (attempt + 1).
TRANSITIONS: dict[str, frozenset[str]] = {
    ReminderState.QUEUED: frozenset({ReminderState.SENT, ReminderState.FAILED, ReminderState.UNDONE}),
    ReminderState.FAILED: frozenset({ReminderState.QUEUED}),
    ReminderState.UNDONE: frozenset({ReminderState.QUEUED}),
    ReminderState.SENT: frozenset(),
}
# The states in which a reminder counts as given (for the next level's timing, the law's fee
# count and the catch-up): a failed or undone one does not.
COUNTING_STATES = (ReminderState.QUEUED, ReminderState.SENT)


class DaysFrom(models.TextChoices):
    DUE_DATE = "due_date", _("after the due date")
    PREVIOUS = "previous", _("after the previous reminder")


class LastLevelAction(models.TextChoices):
    STOP = "stop", _("Stop reminding")
    COLLECTION = "collection", _("Hand over to debt collection")


class TaskMode(models.TextChoices):
    NONE = "", _("No task")
    BESIDE = "beside", _("A staff task beside the reminder")
    INSTEAD = "instead", _("A staff task instead of the reminder")


class InterestInvoiceMode(models.TextChoices):
    PROPOSE = "propose", _("Propose an interest invoice")
    ISSUE = "issue", _("Issue the interest invoice automatically")
    NEVER = "never", _("Never")


class InterestChargeState(models.TextChoices):
    """What became of the interest and fees owed on an invoice paid late (one row per invoice)."""

    PROPOSED = "proposed", _("Proposed")
    BELOW_MINIMUM = "below_minimum", _("Below the smallest amount invoiced")
    NO_RATE = "no_rate", _("No rate in the table")
    ISSUED = "issued", _("Invoiced")
    DISMISSED = "dismissed", _("Dismissed")


# Only a proposal is decided: issued or dismissed, once (a compare-and-set from proposed).
INTEREST_CHARGE_TRANSITIONS: dict[str, frozenset[str]] = {
    InterestChargeState.PROPOSED: frozenset({InterestChargeState.ISSUED, InterestChargeState.DISMISSED}),
    InterestChargeState.BELOW_MINIMUM: frozenset(),
    InterestChargeState.NO_RATE: frozenset(),
    InterestChargeState.ISSUED: frozenset(),
    InterestChargeState.DISMISSED: frozenset(),
}


class PauseReason(models.TextChoices):
    DISPUTED = "disputed", _("Disputed")
    PAYMENT_PLAN = "payment_plan", _("Payment plan agreed")
    OTHER = "other", _("Other")


class RateKindChoice(models.TextChoices):
    REFERENCE = RateKind.REFERENCE, _("Reference rate (%)")
    LATE_INTEREST = RateKind.LATE_INTEREST, _("Statutory late-payment interest (%)")
    COLLECTION_RATE = RateKind.COLLECTION_RATE, _("Collection rate (inkassosats)")


class FeeKindChoice(models.TextChoices):
    NONE = FeeKind.NONE, _("No fee")
    REMINDER_FEE = FeeKind.REMINDER_FEE, _("Reminder fee")
    LATE_COMPENSATION = FeeKind.LATE_COMPENSATION, _("Late-payment compensation")


class CollectionClaimState(models.TextChoices):
    """An invoice handed over to debt collection (models.CollectionClaim)."""

    HANDED_OVER = "handed_over", _("Handed over, not yet exported")
    EXPORTED = "exported", _("Exported to the collection agency")
    UNDONE = "undone", _("Hand-over undone")


# An undone hand-over may be handed over again (by staff); an exported one is the agency's.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    CollectionClaimState.HANDED_OVER: frozenset({CollectionClaimState.EXPORTED, CollectionClaimState.UNDONE}),
    CollectionClaimState.UNDONE: frozenset({CollectionClaimState.HANDED_OVER}),
    CollectionClaimState.EXPORTED: frozenset({CollectionClaimState.EXPORTED}),
}
