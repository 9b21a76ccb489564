"""Forms of the basis tab: they parse what was typed; billables.services decides
whether it is a valid line, so the messages a person sees are the service's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.models import Product
from fakturera.catalog.vat import split_vat_choice, vat_choices
from fakturera.core.money import CURRENCY_CHOICES
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import Channel, Company
from fakturera.staff.pickers import PickerField

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def vat_value(category: str, rate: Any) -> str:
    """The combined "S:25" choice of a stored category and rate."""
    return f"{category}:{rate.normalize():f}" if category == "S" else f"{category}:0"


class LineFields(TextCheckedForm):
    """Quantity, price, VAT and currency are plain text here: the service parses them
    (accepting "1 250,50") and says what is wrong with them in its own words."""

    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=30, initial="1")
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="st", required=False)
    unit_price = forms.CharField(label=_("Price"), max_length=30, required=False)
    vat = forms.CharField(label=_("VAT"), max_length=10, widget=forms.Select)

    def __init__(self, *args: Any, company: Company, form_id: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.company = company
        choices = vat_choices(company.country)
        self.fields["vat"].widget.choices = choices
        # An untouched extra row of a formset must compare equal to its initial data.
        self.fields["vat"].initial = choices[0][0]
        if form_id:
            # Inputs of a table row belong to a <form> in the row's last cell.
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id
        for name in ("quantity", "unit_price"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "size": 7})
        self.fields["unit"].widget.attrs["size"] = 4

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        category, rate = split_vat_choice(data["vat"])
        fields = {
            "description": data["description"],
            "quantity": data["quantity"],
            "unit": (data.get("unit") or "st").strip(),
            "unit_price": data["unit_price"],
            "vat_category": category,
            "vat_rate": rate,
        }
        return fields


class BasisItemAddForm(LineFields):
    product = PickerField(kind="products", fill="form", label=_("Product"), required=False)
    occurred_on = forms.DateField(label=_("Date"), required=False, widget=DATE_WIDGET)
    period_start = forms.DateField(label=_("Period from"), required=False, widget=DATE_WIDGET)
    period_end = forms.DateField(label=_("Period to"), required=False, widget=DATE_WIDGET)
    currency = forms.CharField(label=_("Currency"), max_length=3, widget=forms.Select(choices=CURRENCY_CHOICES))

    field_order = [
        "product", "description", "occurred_on", "quantity", "unit", "unit_price", "vat",
        "period_start", "period_end", "currency",
    ]  # fmt: skip

    def __init__(self, *args: Any, company: Company, **kwargs: Any):
        super().__init__(*args, company=company, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(company=company, is_active=True).order_by("name")
        self.fields["occurred_on"].initial = timezone.localdate()

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        product: Product | None = self.cleaned_data.get("product")
        if product is not None:
            # Without JavaScript the picker cannot fill the inputs; what was left
            # empty comes from the product, what was typed wins.
            if not fields["description"].strip():
                fields["description"] = product.name
            if not (self.cleaned_data["unit_price"] or "").strip():
                fields["unit_price"] = product.unit_price
                fields["vat_category"], fields["vat_rate"] = product.vat_category, product.vat_rate
            if not (self.data.get(self.add_prefix("unit")) or "").strip():
                fields["unit"] = product.unit
            fields["account_code"] = product.account_code
        for name in ("occurred_on", "period_start", "period_end"):
            if self.cleaned_data.get(name):
                fields[name] = self.cleaned_data[name]
        fields["currency"] = self.cleaned_data["currency"].strip().upper()
        return fields


class BasisItemEditForm(LineFields):
    occurred_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)

    field_order = ["description", "occurred_on", "quantity", "unit", "unit_price", "vat"]

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        fields["occurred_on"] = self.cleaned_data["occurred_on"]
        return fields

    @classmethod
    def initial_for(cls, item: Any) -> dict[str, Any]:
        return {
            "description": item.description,
            "occurred_on": item.occurred_on,
            "quantity": f"{item.quantity.normalize():f}",
            "unit": item.unit,
            "unit_price": f"{item.unit_price.normalize():f}",
            "vat": vat_value(item.vat_category, item.vat_rate),
        }


class IdListField(forms.Field):
    """Several ids from ticked checkboxes; which of them exist is for the selector to say."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            return [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Choose customers from the list."), code="invalid") from None


# Register, or Register & send (seed 001): by each customer's own channel (distribution's
# routing), or by one channel for all of them. Every channel is offered for one customer
# and for many alike (the seed offers only e-mail for many; the issue asks for all).
PREFERRED = "preferred"
SEND_CHOICES = [
    ("", _("Register")),
    (PREFERRED, _("Register & send by each customer's channel")),
    (Channel.EMAIL.value, _("Register & e-mail")),
    (Channel.LETTER.value, _("Register & send by letter")),
    (Channel.PORTAL.value, _("Register & send to the portal (persons only)")),
    (Channel.PEPPOL.value, _("Register & send as e-invoice")),
    (Channel.PRINT.value, _("Register & print")),
    (Channel.EXPORT.value, _("Register & export")),
    (Channel.DIRECT_DEBIT.value, _("Register & collect by direct debit")),
]


class RegisterForm(TextCheckedForm):
    """Register (seed 001): the chosen customers, all of them, or one; then, if asked, send."""

    customer = IdListField(required=False)
    only = forms.IntegerField(required=False)
    scope = forms.ChoiceField(choices=[("selected", "selected"), ("all", "all")], required=False)
    issued_on = forms.DateField(label=_("Invoice date"), widget=DATE_WIDGET)
    send = forms.ChoiceField(label=_("How"), choices=SEND_CHOICES, required=False)
    # The split preview was shown and accepted (staff/views/basis.register).
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, active: frozenset[str] | None = None, **kwargs: Any):
        """`active`: the company's active channels, the only ones offered (a channel posted
        anyway is still taken, and the send says why it could not go)."""
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()
        if active is not None:
            self.fields["send"].widget.choices = [
                (code, label)
                for code, label in SEND_CHOICES
                if code in active or (code == PREFERRED and active) or not code
            ]

    def customer_ids(self) -> list[int] | None:
        """None means every customer with open items."""
        if self.cleaned_data.get("only"):
            return [self.cleaned_data["only"]]
        if self.cleaned_data.get("scope") == "all":
            return None
        return self.cleaned_data["customer"]

    def channel(self) -> str | None:
        """None: register only; "": each customer's routed channel; else the channel chosen."""
        send = self.cleaned_data.get("send") or ""
        if not send:
            return None
        return "" if send == PREFERRED else send


class RegisteredForm(TextCheckedForm):
    """The page after Register & send: the numbers registered and the send that queued them."""

    number_from = forms.IntegerField(min_value=1)
    number_to = forms.IntegerField(min_value=1)
    send = forms.IntegerField(required=False, min_value=1)
