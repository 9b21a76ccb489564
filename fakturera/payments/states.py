"""The payments app's states and codes (see DESIGN.md, "The model")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    BANKGIRO = "bankgiro", _("Bankgiro")
    PLUSGIRO = "plusgiro", _("Plusgiro")
    SWISH = "swish", _("Swish")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    OTHER = "other", pgettext_lazy("payment method", "Other")


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Registered by hand")
    FILE = "file", _("Bank file")
    API = "api", _("API")
    AUTOGIRO = "autogiro", _("Autogiro report")


class MatchMethod(models.TextChoices):
    """How a payment found its invoice; shown on the payment's page, never a guess shown as certain."""

    OCR = "ocr", _("OCR reference")
    RF = "rf", _("RF creditor reference")
    INVOICE_NUMBER = "invoice_number", _("Invoice number in the message")
    AMOUNT_PAYER = "amount_payer", _("Amount and payer")
    AUTOGIRO = "autogiro", _("Autogiro payment order")
    MANUAL = "manual", _("Allocated by hand")
    NONE = "none", _("Not matched")


class PaymentStatus(models.TextChoices):
    """Where a payment stands: `unmatched` (nothing of it allocated and no customer known: the
    queue), `credit` (a customer's money not yet on an invoice: the credit balance),
    `allocated` (all of it on invoices), `reversed` (undone: a mistaken registration)."""

    UNMATCHED = "unmatched", _("Unmatched")
    CREDIT = "credit", _("Credit balance")
    ALLOCATED = "allocated", _("Allocated")
    REVERSED = "reversed", _("Reversed")


class AllocationKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    CREDIT_BALANCE = "credit_balance", _("Credit balance applied")
    CASH_DISCOUNT = "cash_discount", _("Cash discount")
    REFUND = "refund", _("Refund")


class ReceivableState(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    OVERPAID = "overpaid", _("Overpaid")


OPEN_STATES = (ReceivableState.UNPAID, ReceivableState.PARTLY_PAID)
