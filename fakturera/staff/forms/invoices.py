"""Forms of the invoice pages: list filters, drafts with their lines, issuing and
crediting. They parse input; invoicing.services decides and words the refusals."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.core.money import CURRENCY_CHOICES
from fakturera.core.text import TextCheckedForm
from fakturera.distribution.selectors import invoices_in_sending_status
from fakturera.distribution.states import SendingStatus
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.selectors import InvoiceFilter, invoice_list
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.parties.models import Company, Customer
from fakturera.parties.terms import percent_text
from fakturera.payments.selectors import invoices_with_payment_state
from fakturera.payments.states import ReceivableState
from fakturera.staff.forms.basis import DATE_WIDGET, LineFields, vat_value
from fakturera.staff.forms_errors import VAT_ALIASES, add_domain_error
from fakturera.staff.pickers import PickerField


class InvoiceFilterForm(TextCheckedForm):
    status = forms.ChoiceField(label=_("Status"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    sending_status = forms.ChoiceField(label=_("Sending status"), required=False)
    payment = forms.ChoiceField(label=_("Payment"), required=False)
    customer = PickerField(kind="customers", label=_("Customer"), required=False, help_text=_("Empty: all customers."))
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    issued_from = forms.DateField(label=_("Invoice date from"), required=False, widget=DATE_WIDGET)
    issued_to = forms.DateField(label=_("Invoice date to"), required=False, widget=DATE_WIDGET)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    number_from = forms.IntegerField(label=_("Number from"), required=False, min_value=1)
    number_to = forms.IntegerField(label=_("Number to"), required=False, min_value=1)

    def __init__(self, *args: Any, company: Company, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *InvoiceStatus.choices]
        self.fields["kind"].choices = [("", _("Invoices and credit notes")), *InvoiceKind.choices]
        self.fields["sending_status"].choices = [("", _("Any sending status")), *SendingStatus.choices]
        self.fields["payment"].choices = [
            ("", _("Paid or not")),
            ("open", _("Not paid (unpaid or partly paid)")),
            ("settled", _("Paid (in full or over)")),
            *ReceivableState.choices,
        ]
        self.fields["customer"].queryset = Customer.objects.filter(company=company).order_by("name")
        self.fields["q"].widget.attrs["placeholder"] = _("Number, customer, OCR, reference")

    def to_filter(self) -> InvoiceFilter:
        data = self.cleaned_data
        customer = data.get("customer")
        return InvoiceFilter(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            customer_id=customer.pk if customer else None,
            query=data.get("q") or "",
            issued_from=data.get("issued_from"),
            issued_to=data.get("issued_to"),
            is_overdue=bool(data.get("overdue")),
            number_from=data.get("number_from"),
            number_to=data.get("number_to"),
        )

    def matching(self, *, company: Company) -> QuerySet[Invoice]:
        """The invoices this (valid) filter selects: invoicing's list narrowed by
        distribution to the chosen sending status and by payments to the payment state.
        "Overdue" is past its due date and not paid (invoicing knows only the date)."""
        state = self.cleaned_data.get("payment") or ""
        if self.cleaned_data.get("overdue") and not state:
            state = "open"
        return invoices_with_payment_state(
            invoices_in_sending_status(
                invoice_list(company=company, filters=self.to_filter()),
                status=self.cleaned_data.get("sending_status") or "",
            ),
            state=state,
        )


class DraftForm(TextCheckedForm):
    """The head of a draft. The customer is chosen once, when the draft is created."""

    customer = PickerField(kind="customers", label=_("Customer"))
    currency = forms.CharField(label=_("Currency"), max_length=3, widget=forms.Select(choices=CURRENCY_CHOICES))
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), required=False, help_text=_("Empty: the customer's or company's terms.")
    )
    cash_discount_percent = forms.CharField(
        label=_("Cash discount (percent)"),
        max_length=10,
        required=False,
        help_text=_("Empty: the customer's or company's cash discount; 0: none."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    cash_discount_days = forms.IntegerField(
        label=_("Cash discount period (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("Empty: the customer's or company's period; it ends before the due date."),
    )
    buyer_reference = forms.CharField(label=_("Your reference / project number"), max_length=100, required=False)
    order_reference = forms.CharField(label=_("Order number"), max_length=100, required=False)
    seller_reference = forms.CharField(label=_("Our reference"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("Invoice e-mail"), required=False, help_text=_("Overrides the customer's address.")
    )
    note = forms.CharField(label=_("Note on the invoice"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, company: Company, invoice: Invoice | None = None, **kwargs: Any):
        if invoice is not None:
            initial = {name: getattr(invoice, name) for name in self.header_names()}
            initial["cash_discount_percent"] = percent_text(invoice.cash_discount_percent)
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if invoice is None:
            self.fields["customer"].queryset = Customer.objects.filter(company=company).order_by("name")
            self.fields["currency"].initial = company.default_currency
        else:
            del self.fields["customer"]

    @staticmethod
    def header_names() -> list[str]:
        return [
            "currency", "payment_terms_days", "cash_discount_percent", "cash_discount_days", "buyer_reference",
            "order_reference", "seller_reference", "email", "note",
        ]  # fmt: skip

    def header(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.header_names()}
        data["currency"] = (data["currency"] or "").strip().upper()
        # Empty: the customer's or company's (invoicing.services), as the terms.
        for name in ("payment_terms_days", "cash_discount_percent", "cash_discount_days"):
            if data[name] in (None, ""):
                del data[name]
        return data


class DraftLineForm(LineFields):
    # Kept as they were when a draft is edited: the period a recurring order's line bills, its account.
    period_start = forms.DateField(required=False, widget=forms.HiddenInput)
    period_end = forms.DateField(required=False, widget=forms.HiddenInput)
    account_code = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)

    def line(self) -> dict[str, Any]:
        fields = self.service_fields()
        for name in ("period_start", "period_end", "account_code"):
            if self.cleaned_data.get(name):
                fields[name] = self.cleaned_data[name]
        return fields

    @staticmethod
    def initial_for(line: InvoiceLine) -> dict[str, Any]:
        return {
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": f"{line.unit_price.normalize():f}",
            "vat": vat_value(line.vat_category, line.vat_rate),
            "period_start": line.period_start,
            "period_end": line.period_end,
            "account_code": line.account_code,
        }


DraftLineFormSet = forms.formset_factory(DraftLineForm, extra=0, can_delete=True)
NewDraftLineFormSet = forms.formset_factory(DraftLineForm, extra=1, can_delete=True)


def draft_lines(formset: forms.BaseFormSet) -> tuple[list[DraftLineForm], list[dict[str, Any]]]:
    """The rows that become lines (filled in, not marked for deletion), in order."""
    rows = [
        form
        for form in formset.forms
        if form.has_changed() or form.initial
        if not (formset.can_delete and form.cleaned_data.get("DELETE"))
    ]
    return rows, [form.line() for form in rows]


def add_draft_error(form: DraftForm, rows: list[DraftLineForm], exc: DomainError) -> None:
    """Line errors ("lines.2.unit_price") go on their row, the rest on the head."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "__all__": [exc.message]}
    for field, messages in errors.items():
        parts = field.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(rows):
            row, name = rows[int(parts[1])], VAT_ALIASES.get(parts[2], parts[2])
            for message in messages:
                row.add_error(name if name in row.fields else None, message)
        else:
            add_domain_error(form, ValidationFailed({field: messages}), aliases=VAT_ALIASES)


class IssueForm(TextCheckedForm):
    issued_on = forms.DateField(
        label=_("Invoice date"), required=False, widget=DATE_WIDGET, help_text=_("Empty: today.")
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()


class CreditForm(TextCheckedForm):
    """One quantity per line, at most what is left to credit; the service checks it."""

    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    # Seed 001: a credited booking or journal note can be billed again.
    return_to_basis = forms.BooleanField(
        label=_("Return the billed items to the basis"),
        required=False,
        help_text=_(
            "The bookings, journal notes and lines of the lines credited in full go back to the basis, "
            "to be invoiced again."
        ),
    )

    def __init__(self, *args: Any, invoice: Invoice, remaining: dict[int, Decimal], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rows = []
        lines = list(invoice.lines.all())
        if not any(line.basis_item_id for line in lines):
            # Nothing on it came from the basis: nothing to return.
            del self.fields["return_to_basis"]
        for line in lines:
            left = remaining.get(line.pk, Decimal(0))
            name = self.field_name(line.pk)
            if left > 0:
                self.fields[name] = forms.CharField(
                    label=line.description,
                    required=False,
                    max_length=30,
                    initial=f"{left.normalize():f}",
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
                )
            self.rows.append({"line": line, "left": left, "name": name})

    @staticmethod
    def field_name(line_id: int) -> str:
        return f"line_{line_id}"

    def bound_rows(self) -> list[dict[str, Any]]:
        return [{**row, "field": self[row["name"]] if row["name"] in self.fields else None} for row in self.rows]

    def quantities(self) -> dict[int, str]:
        """Line id -> typed quantity, leaving out lines the person set to nothing or zero."""
        wanted = {}
        for row in self.rows:
            value = (self.cleaned_data.get(row["name"]) or "").strip()
            if not value:
                continue
            try:
                if Decimal(value.replace(",", ".").replace(" ", "")) == 0:
                    continue
            except InvalidOperation:
                pass
            wanted[row["line"].pk] = value
        return wanted

    def aliases(self) -> dict[str, str]:
        return {**VAT_ALIASES, **{f"lines.{row['line'].pk}": row["name"] for row in self.rows}}
