"""The worklist's states, kinds and codes (see DESIGN.md, "States")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskKind(models.TextChoices):
    # Opened by issuing (invoice.issued): follow the invoice until it is paid.
    BILLING = "billing", _("Billing")
    # Opened by a reminder level of collections: call the customer.
    REMINDER_CALL = "reminder_call", _("Call the customer")
    CUSTOM = "custom", pgettext_lazy("task kind", "Other")


class TaskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("task state", "Open")
    CLOSED = "closed", pgettext_lazy("task state", "Done")


class TaskPriority(models.IntegerChoices):
    LOW = 10, pgettext_lazy("priority", "Low")
    NORMAL = 20, pgettext_lazy("priority", "Normal")
    HIGH = 30, pgettext_lazy("priority", "High")


class CloseReason(models.TextChoices):
    """Why a task was closed: by a person, or by what made it pointless."""

    DONE = "done", _("Marked done")
    PAID = "paid", _("Invoice paid")
    CREDITED = "credited", _("Invoice credited in full")


# The moves of a task (states.py's table): from -> allowed targets.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    TaskState.OPEN: (TaskState.CLOSED,),
    TaskState.CLOSED: (TaskState.OPEN,),
}


class BillingTasks(models.TextChoices):
    """The company's setting: does issuing open a billing task."""

    ON = "on", _("For every invoice")
    ABOVE = "above", _("Only above an amount")
    OFF = "off", _("Never")


class EmailMode(models.TextChoices):
    """How a user wants their notifications by e-mail (the app shows them all in any case)."""

    DIGEST = "digest", _("A daily digest")
    IMMEDIATELY = "immediately", _("At once, one e-mail each")
    NEVER = "never", _("Never")


class NotificationKind(models.TextChoices):
    INVOICE_SENT = "invoice_sent", _("Invoice sent")
    REMINDER_SENT = "reminder_sent", _("Reminder sent")
    DELIVERY_FAILED = "delivery_failed", _("Sending failed")
    # Collections (to come) publishes that a customer reached a reminder level.
    REMINDER_LEVEL = "reminder_level", _("Reminder level reached")
    TASK_ASSIGNED = "task_assigned", _("Task assigned to you")


# History of a task: the codes of its events (data, worded when shown).
OPENED = "opened"
CLOSED = "closed"
REOPENED = "reopened"
PRIORITY_RAISED = "priority_raised"
