"""Invoices and credit notes, their lines, VAT breakdown and history.

Amounts are stored as issued (two decimals) and never recomputed: the PDF, the
UBL and every export read these figures. A credit note is an invoice row of kind
credit_note with positive amounts (as in UBL's CreditNote) that points at the
invoice it credits; lists show it with a minus sign.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.billables.models import BasisItem
from fakturera.catalog.vat import VatCategory, VatKey
from fakturera.core.errors import StateConflict
from fakturera.core.money import CURRENCY_CHOICES
from fakturera.invoicing.states import LOCKED_STATUSES, InvoiceKind, InvoiceStatus
from fakturera.parties.models import Company, Customer, Language

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}


class NumberSeries(models.Model):
    """A gap-free number series. Read with select_for_update when numbers are taken."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="number_series")
    name = models.CharField(_("name"), max_length=50, default="Fakturor")
    prefix = models.CharField(_("prefix"), max_length=10, blank=True)
    next_number = models.PositiveBigIntegerField(_("next number"), default=1)
    # The latest invoice date issued in the series (numbering.numbers_take keeps it): the
    # next document may not be dated before it, so the numbers stay in date order.
    last_issued_on = models.DateField(_("latest invoice date"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="number_series_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}{self.next_number})"


# Foreign keys with db_index=False are the first column of a composite index or unique
# constraint below, which serves their lookups; a second index would only be written
# on every insert (an invoice issued through the API writes ten rows).


class Invoice(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invoices", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    series = models.ForeignKey(
        NumberSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    number = models.PositiveBigIntegerField(_("number"), null=True, blank=True)
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="SEK")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH)
    issued_on = models.DateField(_("invoice date"), null=True, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    # The early-payment cash discount of the terms (seed 004), set on the draft like the terms;
    # issuing fixes its last day. 0 % is none; a credit note has none (rules.cash_discount).
    cash_discount_percent = models.DecimalField(
        _("cash discount (%)"), max_digits=4, decimal_places=2, default=Decimal("0.00")
    )
    cash_discount_days = models.PositiveSmallIntegerField(_("cash discount period (days)"), default=0)
    cash_discount_until = models.DateField(_("cash discount until"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference (OCR)"), max_length=25, blank=True)
    buyer_reference = models.CharField(_("your reference / project number"), max_length=100, blank=True)
    order_reference = models.CharField(_("order number"), max_length=100, blank=True)
    seller_reference = models.CharField(_("our reference"), max_length=100, blank=True)
    note = models.TextField(_("note on the invoice"), blank=True)
    credit_reason = models.CharField(_("reason for credit"), max_length=300, blank=True)
    email = models.EmailField(_("invoice e-mail"), blank=True, help_text=_("Overrides the customer's address."))
    net_amount = models.DecimalField(_("net"), **MONEY)
    vat_amount = models.DecimalField(_("VAT"), **MONEY)
    rounding_amount = models.DecimalField(_("rounding"), **MONEY)
    total_amount = models.DecimalField(_("total"), **MONEY)
    # Both parties as they were at issue (Mervärdesskattelagen 17 kap. 24 §: the
    # invoice shows the names and addresses that applied when it was issued).
    seller = models.JSONField(default=dict, blank=True)
    buyer = models.JSONField(default=dict, blank=True)
    # The exchange rate fixed at issue for a Swedish seller's invoice in another currency with
    # VAT (SEK per one unit, and the date it was published), and the VAT in SEK it gives
    # (Mervärdesskattelagen 17 kap. 29 §; rules.vat_in_sek). A credit note takes its invoice's
    # rate. None when the VAT needs no kronor (SEK, no VAT, a seller outside Sweden).
    exchange_rate = models.DecimalField(
        _("exchange rate (SEK)"), max_digits=16, decimal_places=8, null=True, blank=True
    )
    exchange_rate_on = models.DateField(_("exchange rate date"), null=True, blank=True)
    sek_vat_amount = models.DecimalField(_("VAT in SEK"), max_digits=14, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    # An order generated from a recurring invoice for one date (seed 002): a draft until
    # invoiced. Unique together, so generating twice (or two runs at once) makes one order;
    # that constraint's index also serves lookups by recurring invoice.
    recurring_invoice = models.ForeignKey(
        "recurring.RecurringInvoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
    )
    recurring_on = models.DateField(_("recurring date"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-number", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="invoice_number_unique"),
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True)
                | (~Q(status="draft") & Q(number__isnull=False, issued_on__isnull=False, series__isnull=False)),
                name="invoice_number_iff_issued",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credited_invoice__isnull=True)
                | Q(kind="credit_note", credited_invoice__isnull=False),
                name="credit_note_references_invoice",
            ),
            models.UniqueConstraint(fields=["recurring_invoice", "recurring_on"], name="invoice_recurring_once"),
            models.CheckConstraint(
                condition=Q(recurring_invoice__isnull=True, recurring_on__isnull=True)
                | Q(recurring_invoice__isnull=False, recurring_on__isnull=False),
                name="invoice_recurring_has_date",
            ),
            models.CheckConstraint(
                condition=Q(exchange_rate__isnull=True, exchange_rate_on__isnull=True, sek_vat_amount__isnull=True)
                | Q(exchange_rate__gt=0, exchange_rate_on__isnull=False, sek_vat_amount__isnull=False),
                name="invoice_exchange_rate_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "issued_on"]),
            models.Index(fields=["company", "customer"]),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        if self.number is None:
            return str(_("Draft %(id)s") % {"id": self.pk})
        prefix = self.seller.get("series_prefix", "") if self.seller else ""
        return f"{prefix}{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def sign(self) -> int:
        return -1 if self.is_credit_note else 1

    @property
    def signed_total_amount(self) -> Decimal:
        return self.total_amount * self.sign

    def delete(self, *args, **kwargs):
        # A backstop for code that bypasses the services: issued documents stay.
        if self.status in LOCKED_STATUSES:
            raise StateConflict(_("An issued invoice cannot be deleted; credit it instead."))
        return super().delete(*args, **kwargs)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", db_index=False)
    position = models.PositiveIntegerField()
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, default="st")
    unit_price = models.DecimalField(_("price"), max_digits=14, decimal_places=4)
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory.choices)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("amount"), **MONEY)
    account_code = models.CharField(_("account"), max_length=10, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    # The basis item this line invoices. Unique: a basis item is invoiced once.
    basis_item = models.OneToOneField(
        BasisItem, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_line"
    )
    credited_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_lines"
    )

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def vat_key(self) -> VatKey:
        return VatKey(self.vat_category, self.vat_rate)


class InvoiceVat(models.Model):
    """The stored VAT breakdown of an issued invoice, one row per category and rate."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="vat_breakdown", db_index=False)
    vat_category = models.CharField(max_length=2, choices=VatCategory.choices)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    taxable_amount = models.DecimalField(**MONEY)
    vat_amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice", "-vat_rate", "vat_category"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "vat_category", "vat_rate"], name="invoice_vat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.vat_category} {self.vat_rate} %"

    @property
    def vat_key(self) -> VatKey:
        return VatKey(self.vat_category, self.vat_rate)


class InvoiceEvent(models.Model):
    """Append-only history of an invoice: rows are added, never changed or removed. Data,
    not sentences: a kind (a code registered in history.py by invoicing or by another
    app, so the column has no choices of its own), its parameters and the actor;
    history.describe words it in the reader's language."""

    # Written a hundred thousand at a time (sends, reminder runs, bank files), always by a service
    # that has just read or locked the invoice: no database constraint (PostgreSQL checked each
    # row's invoice at commit, a lookup and a row lock each: 0.35 s of a 100,000-reminder run).
    # Django still deletes a deleted draft's history with it (CASCADE); the index is (invoice, at).
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="events", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=30)
    at = models.DateTimeField()
    # No database constraint and no index on the actor either (nothing lists history by user;
    # deleting a user sets it to NULL by one scan).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["invoice", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise StateConflict("History events are never changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise StateConflict("History events are never removed.")


class ExchangeRate(models.Model):
    """What one unit of a foreign currency cost in SEK on a date, as the company uses it when
    it issues (rules.exchange_rate_refusal picks the latest one on or before the invoice date).

    One table per company, not one for the installation: the law lets the seller choose the
    source (the Riksbank's published rate, the ECB's, or its bank's: 8 kap. 21-22 §§
    Mervärdesskattelagen), and what one company's administrator types must never change
    another company's invoices. An issued invoice keeps the rate it used, so a corrected
    rate changes nothing already issued."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("entered by hand")
        RIKSBANK = "riksbank", _("the Riksbank's file")
        API = "api", _("the API")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="exchange_rates", db_index=False)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    rate_on = models.DateField(_("date"))
    # SEK per one unit of `currency` (a rate published per 100 units is divided when read).
    rate = models.DecimalField(_("rate (SEK)"), max_digits=16, decimal_places=8)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency", "-rate_on"]
        constraints = [
            # Its index serves the lookup of the latest rate on or before a date.
            models.UniqueConstraint(fields=["company", "currency", "rate_on"], name="exchange_rate_once_a_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(currency="SEK"), name="exchange_rate_not_sek"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate_on}: {self.rate}"
