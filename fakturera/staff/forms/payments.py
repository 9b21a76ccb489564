"""Forms of the payment pages: a payment registered on an invoice, the payments list's filter,
undo, allocation by hand (several rows, one request), a payment given to a customer, the credit
balance's refund and the company's payment settings. They parse; payments.services decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import Company, Customer
from fakturera.payments.selectors import PaymentFilter, open_receivables
from fakturera.payments.states import PaymentMethod, PaymentStatus
from fakturera.staff.forms.basis import DATE_WIDGET
from fakturera.staff.pickers import PickerField


class RegisterPaymentForm(TextCheckedForm):
    """A payment of an invoice, its open amount and today prefilled."""

    amount = forms.CharField(label=_("Amount"), max_length=30)
    booked_on = forms.DateField(label=_("Payment date"), widget=DATE_WIDGET)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER)
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False)
    message = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, open_amount: Any = None, **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("booked_on", timezone.localdate())
        if open_amount is not None and open_amount > 0:
            kwargs["initial"].setdefault("amount", f"{open_amount:.2f}")
        super().__init__(*args, **kwargs)


class PaymentFilterForm(TextCheckedForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    method = forms.ChoiceField(label=_("Method"), required=False)
    booked_from = forms.DateField(label=_("Payment date from"), required=False, widget=DATE_WIDGET)
    booked_to = forms.DateField(label=_("Payment date to"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *PaymentStatus.choices]
        self.fields["method"].choices = [("", _("All methods")), *PaymentMethod.choices]
        self.fields["q"].widget.attrs["placeholder"] = _("Payer, reference or amount")

    def to_filter(self) -> PaymentFilter:
        data = self.cleaned_data
        return PaymentFilter(
            status=data.get("status") or "",
            method=data.get("method") or "",
            booked_from=data.get("booked_from"),
            booked_to=data.get("booked_to"),
            query=data.get("q") or "",
        )


class UndoForm(TextCheckedForm):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class AllocationRowForm(TextCheckedForm):
    invoice = PickerField(kind="invoices", label=_("Invoice"), required=False)
    amount = forms.CharField(label=_("Amount"), max_length=30, required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = open_receivables(company=company).select_related("customer")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("invoice") is not None and not (data.get("amount") or "").strip():
            self.add_error("amount", _("Enter the amount to put on this invoice."))
        if data.get("invoice") is None and (data.get("amount") or "").strip() and "invoice" not in self.errors:
            self.add_error("invoice", _("Choose the invoice for this amount."))
        return data


class BaseAllocationFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.pairs():
            raise forms.ValidationError(_("Choose at least one invoice to put the payment on."))

    def pairs(self) -> list[tuple[int, str]]:
        """(invoice id, amount as typed) of the filled rows."""
        return [
            (form.cleaned_data["invoice"].pk, form.cleaned_data["amount"].strip())
            for form in self.forms
            if form.cleaned_data.get("invoice") is not None
        ]

    def add_domain_error(self, exc: DomainError) -> None:
        """The service's refusal on the row of the invoice it names (`amount_<invoice id>`),
        else above the rows."""
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "__all__": [exc.message]}
        rows = {form.cleaned_data["invoice"].pk: form for form in self.forms if form.cleaned_data.get("invoice")}
        for name, messages in errors.items():
            row = rows.get(int(name.removeprefix("amount_"))) if name.removeprefix("amount_").isdigit() else None
            for message in messages:
                if row is not None:
                    row.add_error("amount", message)
                else:
                    self._non_form_errors = self.error_class([*self.non_form_errors(), message])


# At most 50 invoices in one allocation: a posted row count beyond it is refused, not read.
AllocationFormSet = forms.formset_factory(
    AllocationRowForm,
    formset=BaseAllocationFormSet,
    extra=0,
    min_num=1,
    max_num=50,
    validate_max=True,
    absolute_max=50,
)


def allocation_formset(data: Any = None, *, company: Company) -> BaseAllocationFormSet:
    return AllocationFormSet(data, prefix="rows", form_kwargs={"company": company})


class AssignCustomerForm(TextCheckedForm):
    customer = PickerField(kind="customers", label=_("Customer"))

    def __init__(self, *args: Any, company: Company, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(company=company).order_by("name")


class RefundForm(TextCheckedForm):
    amount = forms.CharField(label=_("Amount"), max_length=30)
    currency = forms.ChoiceField(label=_("Currency"))
    refunded_on = forms.DateField(label=_("Refund date"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("refunded_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c, c) for c in currencies or ["SEK"]]


class PaymentSettingsForm(TextCheckedForm):
    is_applying_credit_automatically = forms.BooleanField(
        label=_("Apply credit balances automatically"),
        required=False,
        help_text=_(
            "On: a customer's over-payment goes onto their next open invoices, oldest due first, as soon as it "
            "arrives. Off: apply it by hand on the customer's card."
        ),
    )
