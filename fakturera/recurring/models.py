"""Recurring invoices (seed 002): a customer's lines, each on its own schedule.

A recurring invoice holds lines; each line has its own frequency, factor and next
date, so one recurring invoice per customer usually covers everything billed to
them regularly. Generation turns the lines due on a date into one order: an
invoice draft that points back here with that date (invoicing.Invoice
.recurring_invoice / .recurring_on, unique together, so a date is generated once).
Deleting stops a recurring invoice (deleted_at); the orders it made stay.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.models import Product
from fakturera.catalog.vat import VatCategory, VatKey
from fakturera.core.money import CURRENCY_CHOICES
from fakturera.parties.models import Company, Customer
from fakturera.recurring import schedule


class Frequency(models.TextChoices):
    DAILY = schedule.DAILY, _("Daily")
    WEEKLY = schedule.WEEKLY, _("Weekly")
    MONTHLY = schedule.MONTHLY, _("Monthly")
    QUARTERLY = schedule.QUARTERLY, _("Quarterly")
    HALF_YEARLY = schedule.HALF_YEARLY, _("Half-yearly")
    YEARLY = schedule.YEARLY, _("Yearly")


class Pricing(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    DYNAMIC = "dynamic", _("Dynamic")


class NoticeKind(models.TextChoices):
    NONE = "none", _("No notice")
    ICON = "icon", _("An icon in the menu")
    POPUP = "popup", _("A pop-up at login, and the icon")


class RecurringInvoice(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="recurring_invoices")
    description = models.CharField(_("description"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="SEK")
    buyer_reference = models.CharField(_("your reference / project number"), max_length=100, blank=True)
    note = models.TextField(_("note on the invoice"), blank=True)
    # Off: its orders wait for staff to adjust and invoice them. On: generation issues them and
    # sends them by the customer's channel (services.recurring_orders_issue, a task), month-end
    # without anyone's click.
    is_issued_automatically = models.BooleanField(_("issue and send the orders when generated"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recurring invoice")
        verbose_name_plural = _("recurring invoices")
        ordering = ["customer__name", "pk"]
        indexes = [models.Index(fields=["company", "customer"])]

    def __str__(self) -> str:
        return self.description or str(_("Recurring invoice %(id)s") % {"id": self.pk})

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None


class RecurringLine(models.Model):
    # Looked up through the unique (recurring invoice, position) index.
    recurring_invoice = models.ForeignKey(
        RecurringInvoice, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    position = models.PositiveIntegerField()
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    unit = models.CharField(_("unit"), max_length=20, default="st")
    # Fixed pricing bills this price; dynamic pricing bills the product's price at generation.
    unit_price = models.DecimalField(_("price"), max_digits=14, decimal_places=4)
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory.choices)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    account_code = models.CharField(_("account"), max_length=10, blank=True)
    pricing = models.CharField(_("pricing"), max_length=10, choices=Pricing.choices, default=Pricing.FIXED)
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.MONTHLY)
    factor = models.PositiveSmallIntegerField(_("factor"), default=1, help_text=_("Every n-th period."))
    # The schedule counts from start_on (schedule.py: the day of the month is kept);
    # next_on is the date generation looks at, moved on from its own schedule, never from today.
    start_on = models.DateField(_("start date"))
    next_on = models.DateField(_("next date"))

    class Meta:
        ordering = ["recurring_invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["recurring_invoice", "position"], name="recurring_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="recurring_line_quantity_positive"),
            models.CheckConstraint(condition=Q(factor__gte=1), name="recurring_line_factor_positive"),
            models.CheckConstraint(condition=Q(next_on__gte=models.F("start_on")), name="recurring_line_next_on_start"),
            models.CheckConstraint(
                condition=Q(pricing="fixed") | Q(product__isnull=False), name="recurring_line_dynamic_has_product"
            ),
        ]
        indexes = [models.Index(fields=["next_on", "recurring_invoice"])]

    def __str__(self) -> str:
        return self.description

    @property
    def vat_key(self) -> VatKey:
        return VatKey(self.vat_category, self.vat_rate)

    @property
    def schedule(self) -> schedule.LineSchedule:
        return schedule.LineSchedule(self.start_on, self.frequency, self.factor, self.next_on)


class RecurringNotice(models.Model):
    """How one user is told that orders are ready for generation, in one company (seed 002)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("notice"), max_length=10, choices=NoticeKind.choices, default=NoticeKind.ICON)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="recurring_notice_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.company_id}: {self.kind}"
