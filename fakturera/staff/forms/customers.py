"""Forms for persons and organisations. They only parse; customer_create and
customer_update check identifiers, the manager and the reference person."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.core.identifiers import COUNTRY_CHOICES
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import Channel, Company, Customer, CustomerKind, Language
from fakturera.parties.terms import percent_text
from fakturera.staff.pickers import PickerField, company_users

ADDRESS_FIELDS = ("address_line1", "address_line2", "postal_code", "city", "country")
PERSON_FIELDS = (
    "name", "personnummer", "email", "invoice_email", "phone", "organisation", *ADDRESS_FIELDS, "language",
    "relationship_manager", "preferred_channel", "payment_terms_days", "cash_discount_percent",
    "cash_discount_days", "notes",
)  # fmt: skip
ORGANISATION_FIELDS = (
    "name", "org_number", "vat_number", "peppol_id", "gln", *ADDRESS_FIELDS, "email", "phone",
    "invoice_reference", "language", "relationship_manager", "preferred_channel",
    "payment_terms_days", "cash_discount_percent", "cash_discount_days", "notes",
)  # fmt: skip


class CustomerForm(TextCheckedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    personnummer = forms.CharField(
        label=_("Personnummer"), max_length=20, required=False, help_text=_("Optional, such as 19811218-9876.")
    )
    org_number = forms.CharField(label=_("Organisation number"), max_length=20, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    peppol_id = forms.CharField(
        label=_("Peppol ID"),
        max_length=80,
        required=False,
        help_text=_("Scheme and identifier, such as 0007:5567321707."),
    )
    gln = forms.CharField(label=_("GLN"), max_length=20, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    invoice_email = forms.EmailField(
        label=_("Invoice e-mail"), required=False, help_text=_("Empty: invoices by e-mail go to the e-mail above.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address, line 2"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    invoice_reference = forms.ModelChoiceField(
        label=_("Invoice reference person"),
        queryset=Customer.objects.none(),
        required=False,
        help_text=_("One of the organisation's members."),
    )
    relationship_manager = PickerField(kind="users", label=_("Relationship manager"), required=False)
    organisation = PickerField(
        kind="organisations",
        label=_("Add to organisation"),
        required=False,
        help_text=_("Optional: makes the person a member of the organisation."),
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred delivery channel"),
        choices=[("", _("The company's default")), *Channel.choices],
        required=False,
    )
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), required=False, help_text=_("Empty: the company's terms.")
    )
    cash_discount_percent = forms.CharField(
        label=_("Cash discount (percent)"),
        max_length=10,
        required=False,
        help_text=_("Empty: the company's cash discount; 0: none for this customer."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    cash_discount_days = forms.IntegerField(
        label=_("Cash discount period (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("Empty: the company's period."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, *args: Any, company: Company, kind: str, instance: Customer | None = None, **kwargs: Any
    ) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from(instance)
        kwargs.setdefault("initial", {}).setdefault("country", company.country)
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = PERSON_FIELDS if kind == CustomerKind.PERSON else ORGANISATION_FIELDS
        if kind == CustomerKind.ORGANISATION:
            self.fields["email"].label = _("Invoice e-mail")
            self.fields["email"].help_text = _("Where invoices by e-mail go.")
            if instance is None:
                # A new organisation has no members yet to pick the reference from.
                keep = tuple(name for name in keep if name != "invoice_reference")
            else:
                members = Q(organisations__organisation=instance)
                if instance.invoice_reference_id:
                    members |= Q(pk=instance.invoice_reference_id)
                self.fields["invoice_reference"].queryset = (  # type: ignore[attr-defined]
                    Customer.objects.filter(members, company=company, kind=CustomerKind.PERSON)
                    .distinct()
                    .order_by("name")
                )
        self.fields["relationship_manager"].queryset = company_users(company)  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = Customer.objects.filter(  # type: ignore[attr-defined]
            company=company, kind=CustomerKind.ORGANISATION
        )
        self.order_fields(keep)
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        groups = [
            (_("Customer"), ("name", "personnummer", "org_number", "vat_number", "peppol_id", "gln", "email",
                              "invoice_email", "phone", "organisation")),
            (_("Postal address"), ADDRESS_FIELDS),
            (_("Invoicing"), ("invoice_reference", "language", "relationship_manager", "preferred_channel",
                               "payment_terms_days", "cash_discount_percent", "cash_discount_days", "notes")),
        ]  # fmt: skip
        return [(title, [self[name] for name in names if name in self.fields]) for title, names in groups]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("organisation", None)
        for name in ("name", "personnummer", "org_number", "vat_number", "peppol_id", "gln"):
            if name in data:
                data[name] = data[name].strip()
        return data


def initial_from(customer: Customer) -> dict[str, Any]:
    names = set(PERSON_FIELDS) | set(ORGANISATION_FIELDS)
    initial = {name: getattr(customer, name) for name in names if name != "organisation"}
    initial["relationship_manager"] = customer.relationship_manager_id
    initial["invoice_reference"] = customer.invoice_reference_id
    if customer.cash_discount_percent is not None:
        initial["cash_discount_percent"] = percent_text(customer.cash_discount_percent)
    return initial


class MemberAddForm(TextCheckedForm):
    person = PickerField(kind="persons", label=_("Person"))
    title = forms.CharField(label=_("Title"), max_length=100, required=False)

    def __init__(self, *args: Any, organisation: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = (  # type: ignore[attr-defined]
            Customer.objects.filter(company_id=organisation.company_id, kind=CustomerKind.PERSON)
            .exclude(organisations__organisation=organisation)
            .order_by("name")
        )
