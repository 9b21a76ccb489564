"""What webhooks keep: each company's endpoints (an address, a signing secret, the
events it wants), one delivery per event and endpoint, and every attempt at it.

The tables were the api app's (api_webhook*): webhooks' 0001 took them over and
api's 0002 let go of them, in the migrations' state only, and webhooks' 0002
renamed them; no row was copied.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.core.secrets import EncryptedField
from fakturera.parties.models import Company


class WebhookEvent(models.TextChoices):
    INVOICE_ISSUED = "invoice.issued", _("Invoice issued")
    INVOICE_CREDITED = "invoice.credited", _("Invoice credited")
    COURSE_BASIS_EXPORTED = "course_basis.exported", _("Course basis exported")
    INVOICE_EXPORTED = "invoice.exported", _("Invoice exported (distribution)")
    INVOICE_SENT = "invoice.sent", _("Invoice sent")
    INVOICE_REMINDED = "invoice.reminded", _("Reminder sent")
    INVOICE_DELIVERY_FAILED = "invoice.delivery_failed", _("Invoice or reminder delivery failed")
    PAYMENT_RECEIVED = "payment.received", _("Payment received")
    PAYMENT_UNMATCHED = "payment.unmatched", _("Payment not matched to an invoice")
    INVOICE_PAID = "invoice.paid", _("Invoice paid")
    INVOICE_OVERPAID = "invoice.overpaid", _("Invoice overpaid")
    TASK_OPENED = "task.opened", _("Task opened")
    TASK_CLOSED = "task.closed", _("Task closed")
    VOUCHER_CREATED = "voucher.created", _("Voucher booked")
    INVOICE_OVERDUE = "invoice.overdue", _("Invoice overdue")
    INVOICE_SENT_TO_COLLECTION = "invoice.sent_to_collection", _("Invoice handed over to debt collection")
    TEST = "test", _("Test event")


class WebhookEndpoint(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    # Signs the bodies (HMAC-SHA256); the receiver holds a copy, so it is kept in clear.
    secret = EncryptedField(_("signing secret"))  # encrypted at rest (core/secrets.py)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "pk"]
        verbose_name = _("webhook endpoint")

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint, tried until delivered or out of attempts."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", next_attempt_at__isnull=False) | ~Q(status="pending"),
                name="webhook_pending_has_next_attempt",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
