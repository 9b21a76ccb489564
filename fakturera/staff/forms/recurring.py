"""Forms of the recurring invoice pages: the head, the lines with their schedules, the
orders to invoice, and the notice and period text settings. They parse input;
recurring.services decides and words the refusals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.models import Product
from fakturera.core.money import CURRENCY_CHOICES
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import AdvanceUnit, Company, Customer
from fakturera.recurring.models import Frequency, NoticeKind, Pricing, RecurringInvoice, RecurringLine
from fakturera.staff.forms.basis import DATE_WIDGET, IdListField, LineFields, vat_value
from fakturera.staff.pickers import PickerField

HEADER_NAMES = ("description", "currency", "buyer_reference", "note", "is_issued_automatically")


class RecurringForm(TextCheckedForm):
    """The head. The customer is chosen once, when the recurring invoice is created."""

    customer = PickerField(kind="customers", label=_("Customer"))
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("For you: the name in the lists, such as “Web hosting”."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, widget=forms.Select(choices=CURRENCY_CHOICES))
    buyer_reference = forms.CharField(label=_("Your reference / project number"), max_length=100, required=False)
    note = forms.CharField(label=_("Note on the invoice"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_issued_automatically = forms.BooleanField(
        label=_("Issue and send the invoices when generated"),
        required=False,
        help_text=_("Without it, the generated orders wait under Orders to invoice for you to issue them."),
    )

    def __init__(
        self, *args: Any, company: Company, recurring_invoice: RecurringInvoice | None = None, **kwargs: Any
    ) -> None:
        if recurring_invoice is not None:
            kwargs.setdefault("initial", {name: getattr(recurring_invoice, name) for name in HEADER_NAMES})
        super().__init__(*args, **kwargs)
        if recurring_invoice is None:
            self.fields["customer"].queryset = Customer.objects.filter(company=company).order_by("name")
            self.fields["currency"].initial = company.default_currency
        else:
            del self.fields["customer"]

    def header(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in HEADER_NAMES}
        data["currency"] = (data["currency"] or "").strip().upper()
        return data


class RecurringLineForm(LineFields):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    product = PickerField(kind="products", fill="tr", label=_("Product"), required=False)
    pricing = forms.ChoiceField(label=_("Pricing"), choices=Pricing.choices, initial=Pricing.FIXED)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices, initial=Frequency.MONTHLY)
    factor = forms.CharField(label=_("Factor"), max_length=4, initial="1")
    next_on = forms.DateField(label=_("Date"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(company=company, is_active=True).order_by("name")
        self.fields["next_on"].initial = timezone.localdate()
        self.fields["factor"].widget.attrs.update({"inputmode": "numeric", "size": 2})
        self.fields["quantity"].widget.attrs["size"] = 4
        self.fields["unit"].widget.attrs["size"] = 3
        self.fields["unit_price"].widget.attrs["size"] = 6

    def line(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = self.service_fields()
        fields.update(
            product=data.get("product"),
            pricing=data["pricing"],
            frequency=data["frequency"],
            factor=data["factor"],
            next_on=data.get("next_on"),
        )
        if data.get("id"):
            fields["id"] = data["id"]
        return fields

    @staticmethod
    def initial_for(line: RecurringLine) -> dict[str, Any]:
        return {
            "id": line.pk,
            "product": line.product,
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": f"{line.unit_price.normalize():f}",
            "vat": vat_value(line.vat_category, line.vat_rate),
            "pricing": line.pricing,
            "frequency": line.frequency,
            "factor": str(line.factor),
            "next_on": line.next_on,
        }


RecurringLineFormSet = forms.formset_factory(RecurringLineForm, extra=0, can_delete=True)
NewRecurringLineFormSet = forms.formset_factory(RecurringLineForm, extra=1, can_delete=True)


class OrdersInvoiceForm(TextCheckedForm):
    """Invoice orders: the ticked ones, all of them, or one."""

    order = IdListField(required=False)
    only = forms.IntegerField(required=False)
    scope = forms.ChoiceField(choices=[("selected", "selected"), ("all", "all")], required=False)
    issued_on = forms.DateField(label=_("Invoice date"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()


class NoticeForm(TextCheckedForm):
    kind = forms.ChoiceField(
        label=_("Tell me when orders are ready for generation"), choices=NoticeKind.choices, widget=forms.RadioSelect
    )


class PeriodTextForm(TextCheckedForm):
    has_period_text = forms.BooleanField(label=_("Add the period text to generated lines"), required=False)
    period_text_template = forms.CharField(
        label=_("Period text"),
        max_length=200,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("[START] becomes the line's date, [END] the day before its next date, both moved by the advance."),
    )
    period_advance_factor = forms.IntegerField(label=_("Advance"), min_value=0, max_value=365)
    period_advance_unit = forms.ChoiceField(label=_("Advance interval"), choices=AdvanceUnit.choices)

    FIELDS = ("has_period_text", "period_text_template", "period_advance_factor", "period_advance_unit")

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(company, name) for name in self.FIELDS})
        super().__init__(*args, **kwargs)
