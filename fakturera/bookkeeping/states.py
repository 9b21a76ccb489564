"""The bookkeeping app's codes (see DESIGN.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Series(models.TextChoices):
    """Voucher series (verifikationsserier), each numbered gap-free per fiscal year. The letters
    follow common Swedish practice (Fortnox, Visma): B customer invoices, C customer payments."""

    INVOICES = "B", _("Customer invoices")
    PAYMENTS = "C", _("Customer payments")


class SourceKind(models.TextChoices):
    """What business event a voucher records; with `source_id` it names the row it came from."""

    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    PAYMENT = "payment", _("Payment received")
    ALLOCATION = "allocation", _("Payment allocated")
    CREDIT_TRANSFER = "credit_transfer", _("Credit balance moved")
    REFUND = "refund", _("Refund")
    PAYMENT_REVERSED = "payment_reversed", _("Payment undone")
    REVERSAL = "reversal", _("Correction of a voucher")
