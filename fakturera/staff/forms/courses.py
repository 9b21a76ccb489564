"""Forms of the courses pages (seed 000): courses, occurrences, the public form's
settings, tailored customers, processing a registration and the basis report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.vat import VatCategory
from fakturera.core.text import TextCheckedForm
from fakturera.courses.models import BILLING_FIELDS, CourseKind, FieldUse, Occurrence, RegistrationForm
from fakturera.courses.selectors import REASON_LABELS, Suggestion
from fakturera.parties.models import Customer, Language
from fakturera.public.forms import NORMALISED
from fakturera.staff.pickers import PickerField, PickerMultipleField


class CourseForm(TextCheckedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CourseKind.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    vat_category = forms.ChoiceField(label=_("VAT category"), choices=VatCategory.choices, initial="S")
    vat_rate = forms.DecimalField(label=_("VAT rate (%)"), initial=25, max_digits=5, decimal_places=2)
    account_code = forms.CharField(label=_("Account"), max_length=10, required=False)


class OccurrenceForm(TextCheckedForm):
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    price = forms.DecimalField(
        label=_("Price per participant"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=4,
        help_text=_("Open courses; tailored courses are priced per customer."),
    )


class RegistrationFormSettings(TextCheckedForm):
    is_open = forms.BooleanField(label=_("Open for registrations"), required=False)
    needs_manager_approval = forms.BooleanField(
        label=_("The manager approves each registration"),
        required=False,
        help_text=_("The form asks for the manager's e-mail; the manager gets a link to approve or decline."),
    )

    def __init__(self, *args: Any, instance: RegistrationForm, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(instance, name) for name in ("is_open", "needs_manager_approval",
                                                                                  *BILLING_FIELDS)})  # fmt: skip
        super().__init__(*args, **kwargs)
        for name in BILLING_FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=RegistrationForm._meta.get_field(name).verbose_name.capitalize(), choices=FieldUse.choices
            )


class PriceCategoryForm(TextCheckedForm):
    name = forms.CharField(label=_("Price category"), max_length=100)
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=14, decimal_places=4)


class OccurrenceCustomerForm(TextCheckedForm):
    customer = PickerField(kind="organisations", label=_("Customer organisation"))
    price = forms.DecimalField(label=_("Agreed price"), min_value=0, max_digits=14, decimal_places=4)
    project_number = forms.CharField(label=_("Project number / invoice reference"), max_length=100, required=False)
    contacts = PickerMultipleField(kind="persons", label=_("Contact persons"), required=False)

    def __init__(self, *args: Any, organisations: Any, persons: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["contacts"].queryset = persons


PAYING_FIELDS = ("address_line1", "address_line2", "postal_code", "city", "org_number", "vat_number", "peppol_id")
PAYING_LABELS = {
    "address_line1": _("Address"),
    "address_line2": _("Address, line 2"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "org_number": _("Organisation number"),
    "vat_number": _("VAT number"),
    "peppol_id": _("Peppol ID"),
}


def _suggestion_label(suggestion: Suggestion) -> str:
    customer = suggestion.customer
    details = ", ".join(part for part in (customer.email, customer.org_number, customer.personnummer) if part)
    reasons = "; ".join(str(REASON_LABELS[reason]) for reason in suggestion.reasons)
    return f"{customer.name} ({customer.number}{', ' + details if details else ''})" + (
        f" — {reasons}" if reasons else ""
    )


class ProcessForm(TextCheckedForm):
    """Who the participant is, whom they represent, who pays, and the payer's corrected details."""

    participant = forms.ChoiceField(label=_("Participant"), widget=forms.RadioSelect)
    participant_other = PickerField(kind="persons", label=_("Or another person"), required=False)
    represented_organisation = forms.ChoiceField(label=_("Represented organisation"), required=False)
    represented_other = PickerField(
        kind="organisations", label=_("Or another organisation represented"), required=False
    )
    paying_organisation = forms.ChoiceField(label=_("Paying organisation"))
    paying_other = PickerField(kind="organisations", label=_("Or another organisation paying"), required=False)

    def __init__(
        self,
        *args: Any,
        people: list[Suggestion],
        organisation_suggestions: list[Suggestion],
        organisations: list[Customer],
        organisation_name: str,
        persons: Any,
        all_organisations: Any,
        **kwargs: Any,
    ) -> None:
        """`organisations`: the few offered besides the suggestions (those already chosen);
        any other is picked by searching (`represented_other`, `paying_other`)."""
        super().__init__(*args, **kwargs)
        self.fields["participant_other"].queryset = persons  # type: ignore[attr-defined]
        self.fields["represented_other"].queryset = all_organisations  # type: ignore[attr-defined]
        self.fields["paying_other"].queryset = all_organisations  # type: ignore[attr-defined]
        self.fields["participant"].choices = [
            *[(str(s.customer.pk), _suggestion_label(s)) for s in people],
            ("new", _("Create a new person from the registration")),
        ]
        suggested = [(str(s.customer.pk), "★ " + _suggestion_label(s)) for s in organisation_suggestions]
        suggested_ids = {s.customer.pk for s in organisation_suggestions}
        others = [(str(org.pk), f"{org.name} ({org.number})") for org in organisations if org.pk not in suggested_ids]
        new_label = _("Create a new organisation: %(name)s") % {"name": organisation_name or "?"}
        self.fields["represented_organisation"].choices = [
            ("", _("None")),
            *suggested,
            ("new", new_label),
            *others,
        ]
        self.fields["paying_organisation"].choices = [
            ("represented", _("The represented organisation")),
            *suggested,
            ("new", new_label),
            *others,
        ]
        for name in PAYING_FIELDS:
            # As long as the customer's column allows; identifiers are checked by the service.
            length = 200 if name in NORMALISED else Customer._meta.get_field(name).max_length
            self.fields[f"paying_{name}"] = forms.CharField(
                label=PAYING_LABELS[name], max_length=length, required=False
            )

    def paying_changes(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"paying_{name}", "") or "" for name in PAYING_FIELDS}

    @property
    def paying_fields(self) -> list[forms.BoundField]:
        return [self[f"paying_{name}"] for name in PAYING_FIELDS]


class ReportForm(TextCheckedForm):
    occurrence = forms.ModelChoiceField(label=_("Occurrence"), queryset=Occurrence.objects.none(), required=False)
    first = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, occurrences: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurrence"].queryset = occurrences
        self.fields["occurrence"].label_from_instance = lambda o: f"{o.course.name} {o.dates}"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("occurrence") and not (data.get("first") and data.get("last")):
            raise forms.ValidationError(_("Choose an occurrence, or a period (from and to)."))
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data
