"""Forms for products, treatment types and contact types.

Price and VAT stay text here: catalog_item_save reads "1 200,50" as a Swedish
price and explains a negative price or an unknown VAT category itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.models import ContactType, Priced, Product, TreatmentType
from fakturera.catalog.vat import split_vat_choice, vat_choices
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import Company


# The service reports VAT problems on these fields; the form shows both as one select.
def price_text(value: Decimal) -> str:
    """800.0000 -> "800.00"; 12.3450 -> "12.345"."""
    two = value.quantize(Decimal("0.01"))
    return f"{two:f}" if two == value else f"{value.normalize():f}"


def vat_value(category: str, rate: Decimal) -> str:
    return f"{category}:{rate.normalize():f}"


class CatalogItemForm(TextCheckedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    unit_price = forms.CharField(label=_("Price (excl. VAT)"), max_length=30)
    vat = forms.CharField(label=_("VAT"), widget=forms.Select)
    account_code = forms.CharField(
        label=_("Account"), max_length=10, required=False, help_text=_("Four digits of the BAS chart, such as 3001.")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, company: Company, instance: Priced | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        self.fields["vat"].widget.choices = vat_choices(company.country)  # type: ignore[attr-defined]
        if instance is None:
            self.fields["vat"].initial = vat_choices(company.country)[0][0]

    def initial_from(self, instance: Priced) -> dict[str, Any]:
        initial = {name: getattr(instance, name) for name in self.declared_fields if hasattr(instance, name)}
        initial["unit_price"] = price_text(instance.unit_price)
        initial["vat"] = vat_value(instance.vat_category, instance.vat_rate)
        return initial

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["vat_category"], data["vat_rate"] = split_vat_choice(data.pop("vat"))
        return data


class ProductForm(CatalogItemForm):
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="st")
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class TreatmentTypeForm(CatalogItemForm):
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=1440, initial=60)


class ContactTypeForm(CatalogItemForm):
    is_excluded_from_invoicing = forms.BooleanField(
        label=_("Excluded from invoicing"),
        required=False,
        help_text=_("Journal notes of this type never enter the invoice basis."),
    )


FORMS: dict[type[Priced], type[CatalogItemForm]] = {
    Product: ProductForm,
    TreatmentType: TreatmentTypeForm,
    ContactType: ContactTypeForm,
}
