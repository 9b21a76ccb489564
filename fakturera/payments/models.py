"""Payments, what they settle, and each invoice's receivable (see DESIGN.md, "The model").

Nothing here is deleted or changed in place to undo: an allocation is undone by a reversal
row (negative, pointing at what it reverses), a payment registered by mistake is reversed.
`Receivable` and `Payment.allocated_amount` are running figures kept by the services in the
same statements as the allocations that change them, so lists, the portal and the overviews
read one row per invoice instead of summing allocations.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.core.money import CURRENCY_CHOICES
from fakturera.invoicing.models import MONEY, Invoice
from fakturera.parties.models import Company, Customer
from fakturera.payments.states import (
    AllocationKind,
    MatchMethod,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
    ReceivableState,
)

# Payments, their keys and allocations are written fifty thousand at a time by a bank file
# (booking.py). A database foreign key costs a check per row at commit (PostgreSQL runs them
# all then, a lookup and a row lock each): for a 50,000-line camt.054 the company, customer and
# user columns alone took about a second of the import (bench camt_import, DESIGN.md "Speed").
# So those columns, which booking copies from rows it has just read or written (the import's
# company, the locked receivable's customer, the actor, a key's new payment), have no database
# constraint; an allocation's payment, invoice and reversed allocation, which say what money went
# where, and a payment's import keep theirs. Django still
# cascades and protects on delete for all of them. Who created or undid a payment needs no index:
# nothing lists payments by user (deleting a user sets these to NULL with one scan).
LEDGER_USER = {"on_delete": models.SET_NULL, "null": True, "db_index": False, "db_constraint": False}


class PaymentSettings(models.Model):
    """The company's choices for payments; a company without a row has the defaults."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="payment_settings")
    # An over-payment (a customer's credit balance) goes onto the customer's next open
    # invoices, oldest due first, as soon as it arrives; off: staff apply it by hand.
    is_applying_credit_automatically = models.BooleanField(_("apply credit balances automatically"), default=True)

    def __str__(self) -> str:
        return str(self.company_id)


class PaymentImport(models.Model):
    """One bank file read: who, when, which file (its SHA-256) and what became of its lines."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    via = models.CharField(max_length=10, choices=PaymentSource.choices, default=PaymentSource.FILE)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(_("format"), max_length=20)
    version = models.CharField(max_length=10, blank=True)
    message_id = models.CharField(max_length=140, blank=True)
    account = models.CharField(_("account"), max_length=40, blank=True)
    is_test = models.BooleanField(default=False)
    transaction_count = models.PositiveIntegerField(_("transactions"), default=0)
    booked_count = models.PositiveIntegerField(_("booked"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    unmatched_count = models.PositiveIntegerField(_("unmatched"), default=0)
    skipped_count = models.PositiveIntegerField(_("already booked"), default=0)
    ignored_count = models.PositiveIntegerField(_("not incoming payments"), default=0)
    # Per currency: {"SEK": "1234.00"}; what the booked payments add up to.
    totals = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # What the lines that booked no payment were: [{"position", "reason", "amount", "currency", "reference"}]
    # (already booked, a debit, a reversal, no amount, pending); the booked ones are Payments.
    skipped = models.JSONField(default=list, blank=True)
    # The file was imported before, byte for byte (the same SHA-256, into the same company): every
    # line of it is where that import left it, so none is read again (importing.py). Its lines
    # not booked are that import's lines (selectors.payment_import_skipped).
    same_file_as = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("same file as")
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["company", "created_at"]), models.Index(fields=["company", "sha256"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d})"


class Payment(models.Model):
    # The tenant column of a bulk-written table: no database constraint (see LEDGER_USER above).
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # The payer, when known: by a match, or set by hand. A payment with a customer and money not
    # on any invoice is that customer's credit balance; without one it waits in the queue.
    # Its index is the first column of ("customer", "status").
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False, db_constraint=False
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    booked_on = models.DateField(_("payment date"))
    value_on = models.DateField(_("value date"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=15, choices=PaymentMethod.choices)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=70, blank=True)
    payer_org_number = models.CharField(_("payer's organisation number"), max_length=35, blank=True)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    message = models.TextField(_("message"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=PaymentSource.choices)
    payment_import = models.ForeignKey(
        PaymentImport, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    position = models.CharField(_("place in the file"), max_length=200, blank=True)
    bank_reference = models.CharField(_("bank's reference"), max_length=140, blank=True)
    match = models.CharField(_("matched by"), max_length=15, choices=MatchMethod.choices, default=MatchMethod.NONE)
    # Why, as data worded when shown: {"reference": "...", "invoice": "1001", ...}; for an
    # unmatched payment also "suggestions": [{"invoice_id", "number", "why", ...}].
    match_details = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices)
    allocated_amount = models.DecimalField(_("allocated"), **MONEY)
    # Paid after the due date of an invoice it settles: the most days late (collections' interest).
    days_late = models.PositiveIntegerField(_("days late"), null=True, blank=True)
    # A second payment of an invoice already paid: flagged, booked once, its money a credit balance.
    is_double = models.BooleanField(_("double payment"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", **LEDGER_USER)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, blank=True, related_name="+", **LEDGER_USER)
    reversal_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-booked_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="reversed", reversed_at__isnull=False)
                | (~Q(status="reversed") & Q(reversed_at__isnull=True)),
                name="payment_reversed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "booked_on"]),
            models.Index(fields=["company", "booked_on"]),
            models.Index(fields=["customer", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.booked_on}"

    @property
    def unallocated_amount(self) -> Decimal:
        return self.amount - self.allocated_amount


class PaymentKey(models.Model):
    """The bank's identifiers of a booked transaction (`BankTransaction.dedup_keys`): unique per
    company, so a transaction seen again, in the same file or another, is booked once."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    key = models.CharField(max_length=200)
    # Written with the payment it names, in the same statement's transaction (booking.py).
    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="keys", db_index=False, db_constraint=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="payment_key_unique")]

    def __str__(self) -> str:
        return self.key


class Receivable(models.Model):
    """What an issued invoice is owed and has been paid: one row per invoice, written when it is
    issued (invoice.issued) and kept by every allocation and credit note that changes it."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, primary_key=True, related_name="receivable")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Its index is the first column of ("customer", "state", "due_on").
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    # Copied at issue for matching and lists without reading invoicing's tables.
    number = models.CharField(_("number"), max_length=40)
    payment_reference = models.CharField(_("payment reference (OCR)"), max_length=25, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    issued_on = models.DateField(_("invoice date"))
    due_on = models.DateField(_("due date"))
    total_amount = models.DecimalField(_("total"), **MONEY)
    credited_amount = models.DecimalField(_("credited"), **MONEY)
    settled_amount = models.DecimalField(_("paid"), **MONEY)
    # total - credited - settled: negative when over-paid.
    open_amount = models.DecimalField(_("open"), **MONEY)
    state = models.CharField(_("payment"), max_length=12, choices=ReceivableState.choices)
    # The latest payment that settled it, and how late that was.
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    days_late = models.PositiveIntegerField(_("days late"), null=True, blank=True)
    # The early-payment discount the invoice offers, as issued (none: 0 and no date).
    cash_discount_amount = models.DecimalField(_("cash discount"), **MONEY)
    cash_discount_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "invoice_id"]
        indexes = [
            models.Index(fields=["company", "state", "due_on"]),
            models.Index(fields=["company", "payment_reference"]),
            models.Index(fields=["company", "number"]),
            models.Index(fields=["customer", "state", "due_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.state}"

    @property
    def owed_amount(self) -> Decimal:
        return self.total_amount - self.credited_amount


class Allocation(models.Model):
    """Money put on an invoice (or, for a refund, paid back). `amount` is signed: an undo is a
    reversal row of the opposite amount pointing at what it reverses; moving a credit balance
    from an over-paid invoice to the next is a negative row on the one and a positive on the other."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations")
    # Its index is the first column of ("invoice", "created_at").
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # The invoice's or the payment's customer, copied for the credit balance's sums.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    kind = models.CharField(_("kind"), max_length=15, choices=AllocationKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    on = models.DateField(_("date"))
    # For a cash discount: its VAT share per group; for a refund: how it was paid back.
    params = models.JSONField(default=dict, blank=True)
    reversal_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", **LEDGER_USER)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="allocation_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(invoice__isnull=False) | Q(kind="refund", payment__isnull=False),
                name="allocation_has_invoice_unless_refund",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "created_at"]),
            models.Index(fields=["company", "on"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class StatementSent(models.Model):
    """A customer statement e-mailed: to whom, when, by whom, for which period and balance."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recipient = models.EmailField(_("recipient"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    closing_balance = models.DecimalField(_("closing balance"), max_digits=14, decimal_places=2)
    message_id = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.ends_on}"
