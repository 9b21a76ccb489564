"""Distribution: each company's channel settings and e-mail templates, the sends staff
start and the deliveries they consist of.

A Delivery is one invoice (or reminder) on its way through one channel. It keeps its
own state, lease, attempts and next-attempt time, because the task queue's database
backend neither retries nor notices a dead worker; the unique idempotency key goes to
services that take one, and names the e-mail's Message-ID.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.core.secrets import EncryptedField
from fakturera.distribution.states import ACTIVE_STATES, DeliveryState, SendingStatus
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Channel, Company, Language, PdfTemplate

__all__ = [
    "ACTIVE_STATES", "ChannelSetting", "Delivery", "DeliveryState", "DistributionSettings", "EmailTemplate",
    "InvoiceSending", "Purpose", "SendBatch",
]  # fmt: skip

DEFAULT_UNDO_MINUTES = 5


class DistributionSettings(models.Model):
    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="distribution")
    default_channel = models.CharField(_("default channel"), max_length=20, choices=Channel.choices, blank=True)
    reserve_channel = models.CharField(_("reserve channel"), max_length=20, choices=Channel.choices, blank=True)
    reminder_channel = models.CharField(_("channel for reminders"), max_length=20, choices=Channel.choices, blank=True)
    undo_minutes = models.PositiveSmallIntegerField(_("undo window (minutes)"), default=DEFAULT_UNDO_MINUTES)

    def __str__(self) -> str:
        return f"distribution of {self.company_id}"


class ChannelSetting(models.Model):
    """One channel for one company. `options` holds what may be shown again (host, port,
    base URL, directory); `secret` the password or API key, which is never shown after
    saving: forms leave it empty, and an empty field keeps the stored one."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="channel_settings")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    is_active = models.BooleanField(_("active"), default=False)
    options = models.JSONField(default=dict, blank=True)
    secret = EncryptedField(blank=True)  # encrypted at rest (core/secrets.py)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "channel"], name="channel_setting_unique")]

    def __str__(self) -> str:
        return f"{self.channel} of {self.company_id}"

    def __repr__(self) -> str:
        # Never the secret, not even in a traceback.
        return f"<ChannelSetting {self.channel} company={self.company_id} active={self.is_active}>"


class Purpose(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    REMINDER = "reminder", _("Reminder")
    PORTAL_NOTICE = "portal_notice", _("Portal notice")


class EmailTemplate(models.Model):
    """Subject and body of an e-mail in one language; variables in braces ({invoice_number})."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="email_templates")
    purpose = models.CharField(_("used for"), max_length=20, choices=Purpose.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["purpose", "language"]
        constraints = [models.UniqueConstraint(fields=["company", "purpose", "language"], name="email_template_unique")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.language}"


class SendBatch(models.Model):
    """One press of Send: its deliveries show the progress of a large send."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="send_batches")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.INVOICE)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    template = models.CharField(_("layout"), max_length=20, choices=PdfTemplate.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undo_until = models.DateTimeField()
    queued_count = models.PositiveIntegerField(default=0)
    unsent_count = models.PositiveIntegerField(default=0)
    # The first UNSENT_SHOWN invoices that stayed unsent, each {"invoice_id", "number",
    # "reason": reasons.Reason data}: the Sending page says why without reading the history.
    unsent = models.JSONField(default=list, blank=True)

    UNSENT_SHOWN = 100

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"send {self.pk}"


class Delivery(models.Model):
    # A send or a reminder run writes a hundred thousand deliveries at once: no column has a
    # database constraint (PostgreSQL would check each row at commit, a lookup and a row lock
    # each: a third of a second per 100,000 and column). Deliveries are written only by
    # services.invoices_send, in the transaction that holds their invoices locked (FOR UPDATE),
    # and an invoice with deliveries is never deleted (PROTECT, which Django enforces); a company
    # or send deleted takes its deliveries with it (CASCADE). The company's index is the first
    # column of (company, state).
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    batch = models.ForeignKey(SendBatch, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deliveries", db_constraint=False)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.INVOICE)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    template = models.CharField(max_length=20, choices=PdfTemplate.choices)
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)
    # What the channel needs beyond the invoice: e-mail address, postal address, Peppol ID.
    address = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before the undo window has passed; after a transient error, the backoff.
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set just before the channel's service is called: a lease that runs out after it
    # means the service may have it (uncertain), before it that it certainly has not.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    # Set (committed) as soon as the service accepted this one message, with its reference,
    # before the next message is handed over: a worker that dies later leaves it sent, not
    # uncertain (the sweeper records it so). Only the one message in flight stays unknown.
    accepted_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True)
    # What the invoice was before queueing: a failure or an undo puts it back.
    previous_sending_status = models.CharField(max_length=10)
    previous_reminder_count = models.PositiveSmallIntegerField(default=0)
    previous_reminded_on = models.DateField(null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # At most one delivery of an invoice on its way at a time: sending twice
            # by two clicks (or two staff) meets this index.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(state__in=["queued", "sending", "uncertain"]),
                name="delivery_one_active_per_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(lease_until__isnull=False), name="delivery_sending_has_lease"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["state", "lease_until"]),
            models.Index(fields=["company", "state"]),
            # The queue by company, for the claim's round robin (worker._CANDIDATES_SQL): only
            # queued deliveries, so it stays the size of the queue, not of every delivery made.
            models.Index(
                fields=["company", "next_attempt_at", "id"],
                condition=Q(state="queued"),
                name="delivery_queued_by_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.invoice_id} {self.state}"

    @property
    def message_id(self) -> str:
        """The e-mail's Message-ID: the same on every attempt, so a receiver can spot a repeat."""
        return f"<{self.idempotency_key}@fakturera.invalid>"


class InvoiceSending(models.Model):
    """How far an invoice has travelled: one row per invoice that was ever queued (an
    invoice without one was never sent). Moved only by states.move_sending, beside the
    document status that invoicing keeps."""

    # No database constraint on the invoice, as on Delivery's columns: a reminder run inserts the
    # rows of a hundred thousand never-sent invoices at once, and PostgreSQL checked each at
    # commit (half a second of the run). Rows are inserted only by states.move_sending, for
    # invoices that services.invoices_send holds locked (FOR UPDATE) in the same transaction; an
    # invoice deleted takes its row with it (CASCADE, which Django enforces).
    invoice = models.OneToOneField(
        Invoice, on_delete=models.CASCADE, primary_key=True, related_name="sending", db_constraint=False
    )
    status = models.CharField(
        _("sending status"), max_length=10, choices=SendingStatus.choices, default=SendingStatus.UNSENT
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Reminders: these two move to the collections app when it exists (its reminder policy
    # decides and counts them); until then distribution counts what it sent. Only the
    # reminder paths of services.py and rollback_moves write them, so they move out whole.
    reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=0)
    reminded_on = models.DateField(_("reminder date"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status"], name="invoice_sending_status")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.status}"
