"""What a company sells: products and services, and the priced types of bookings
(treatment types) and journal notes (contact types) that seed 001 bills."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.vat import VatCategory, VatKey
from fakturera.parties.models import Company


class Priced(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    unit_price = models.DecimalField(_("price"), max_digits=14, decimal_places=4)
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory.choices, default="S")
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("25"))
    account_code = models.CharField(_("account"), max_length=10, blank=True, default="3001")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def vat_key(self) -> VatKey:
        return VatKey(self.vat_category, self.vat_rate)


class Product(Priced):
    unit = models.CharField(_("unit"), max_length=20, default="st")
    description = models.TextField(_("description"), blank=True)

    class Meta(Priced.Meta):
        verbose_name = _("product")


class TreatmentType(Priced):
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)

    class Meta(Priced.Meta):
        verbose_name = _("treatment type")


class ContactType(Priced):
    is_excluded_from_invoicing = models.BooleanField(_("excluded from invoicing"), default=False)

    class Meta(Priced.Meta):
        verbose_name = _("contact type")
