"""Staff work: tasks (billing tasks opened by issuing, calls asked by a reminder level, tasks
typed by hand), their history, notifications to staff and how each user wants them by e-mail
(see DESIGN.md, "The model").

A task is never deleted: it is closed (done by a person, or by the payment or full credit of
its invoice) and may be opened again. Its history rows are data, worded when shown.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Company, Customer
from fakturera.worklist.states import (
    BillingTasks,
    CloseReason,
    EmailMode,
    NotificationKind,
    TaskKind,
    TaskPriority,
    TaskState,
)


class WorklistSettings(models.Model):
    """The company's choices for tasks; written for every new company (company.created), and a
    company without a row has the defaults."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="worklist_settings")
    billing_tasks = models.CharField(
        _("billing tasks when an invoice is issued"),
        max_length=10,
        choices=BillingTasks.choices,
        default=BillingTasks.ON,
    )
    # For `above`: only an invoice whose total is above this, in the company's default currency.
    billing_task_min_amount = models.DecimalField(
        _("only for invoices above"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )

    def __str__(self) -> str:
        return str(self.company_id)


class Task(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=15, choices=TaskKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    # What to do, as typed (a custom task, a note on an automatic one); automatic tasks are
    # worded from their kind and `params` when shown.
    text = models.CharField(_("text"), max_length=500, blank=True)
    # Indexed as the first column of ("invoice", "state"), as the assignee of ("assignee", ...):
    # a bank file closes fifty thousand tasks at once, and every index is written again.
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # None: not assigned; the company's team sees it under "Team".
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    # Unique per company when given: the same automatic task is opened once however often it is
    # asked for ("billing:<invoice>", "reminder_call:<invoice>:<level>").
    key = models.CharField(max_length=100, blank=True)
    # Copied when opened, so a list reads one row per task: invoice number, amount, currency,
    # customer name; collections adds the reminder level.
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who opened and closed it: no database constraint and no index (as the invoice history's
    # actor: nothing lists tasks by who closed them; deleting a user sets these to NULL by one
    # scan), so closing fifty thousand at once checks no user fifty thousand times.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    close_reason = models.CharField(_("closed because"), max_length=10, choices=CloseReason.choices, blank=True)
    # The day the daily job raised its priority for a passed due date (once per task).
    priority_raised_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "-priority", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], condition=~Q(key=""), name="task_key_unique"),
            models.CheckConstraint(
                condition=Q(state="closed", closed_at__isnull=False, close_reason__gt="")
                | (Q(state="open") & Q(closed_at__isnull=True) & Q(close_reason="")),
                name="task_closed_has_time_and_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "state", "due_on"]),
            models.Index(fields=["assignee", "state", "due_on"]),
            models.Index(fields=["invoice", "state"]),
            models.Index(fields=["state", "due_on"], name="task_open_due", condition=Q(priority_raised_on=None)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class TaskEvent(models.Model):
    """One line of a task's history: a code (states.OPENED, CLOSED, ...), its parameters and
    the actor; never a sentence stored in one language."""

    # Append-only, written fifty thousand at a time (a bank file closes as many tasks), always by
    # a service that has just locked the task: no database constraints, as the invoice history's
    # (Django still cascades and sets NULL on delete); the index is (task, at).
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events", db_index=False, db_constraint=False)
    kind = models.CharField(max_length=30)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["task", "at"])]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind}"


class Notification(models.Model):
    """Something a staff user is told (in the app, and by e-mail as they choose)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # Data worded when shown: invoice number, customer name, channel, recipient, reason.
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # Sent by e-mail (at once or in a digest); None: not (yet), or the user wants none.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "company", "read_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["created_at"], name="notification_not_emailed", condition=Q(emailed_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.user_id}"


class NotificationPreference(models.Model):
    """How one user wants notifications by e-mail; a user without a row gets the daily digest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email_mode = models.CharField(
        _("notifications by e-mail"), max_length=12, choices=EmailMode.choices, default=EmailMode.DIGEST
    )

    def __str__(self) -> str:
        return f"{self.user_id} {self.email_mode}"


class DigestSent(models.Model):
    """One daily digest e-mailed to a user: the unique (user, day) is what makes a second run
    of the day, or two at once, send nothing twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    on = models.DateField()
    # The run that claimed the day (a random token), so a run finds the rows it inserted.
    run = models.CharField(max_length=32)
    sent_at = models.DateTimeField(null=True, blank=True)
    notification_count = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "on"], name="digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.on}"
