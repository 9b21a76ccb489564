"""The public registration form (no login). It only collects text: every check is the
service's (registration_submit), so a refused registration shows the service's
messages and stores nothing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fakturera.core.text import TextCheckedForm
from fakturera.courses.models import FieldUse, Registration, RegistrationForm

HONEYPOT = "website"

LABELS = {
    "name": _("Your name"),
    "email": _("Your e-mail"),
    "phone": _("Phone"),
    "personnummer": _("Personnummer (Swedish personal identity number)"),
    "organisation_name": _("Your organisation (employer)"),
    "org_number": _("Organisation number"),
    "vat_number": _("VAT number"),
    "peppol_id": _("Peppol ID (e-invoice address)"),
    "project_number": _("Invoice reference / project number"),
    "invoice_address_line1": _("Invoice address"),
    "invoice_postal_code": _("Postal code"),
    "invoice_city": _("City"),
    "manager_name": _("Your manager's name"),
    "manager_email": _("Your manager's e-mail"),
    "message": _("Message (diet, accessibility ...)"),
}
HELP = {
    "peppol_id": _("Scheme and identifier, such as 0007:5567321707."),
    "vat_number": _("Such as SE556732170701."),
    "manager_email": _("Your manager gets a link to approve the registration."),
}
ALWAYS = ("name", "email", "phone", "personnummer", "organisation_name")
BILLING = {
    "org_number": ("org_number",),
    "vat_number": ("vat_number",),
    "peppol_id": ("peppol_id",),
    "project_number": ("project_number",),
    "invoice_address": ("invoice_address_line1", "invoice_postal_code", "invoice_city"),
}


# Identifiers are normalised and checked by the service (spaces and dashes may make the
# typed text longer than the stored one); every other field is refused here when it is
# longer than its column, rather than failing in the database.
NORMALISED = {"personnummer", "org_number", "vat_number", "peppol_id"}


def _max_length(name: str) -> int:
    return 200 if name in NORMALISED else Registration._meta.get_field(name).max_length


class PublicRegistrationForm(TextCheckedForm):
    def __init__(self, *args: Any, config: RegistrationForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        required = {"name", "email"}
        names = list(ALWAYS)
        for setting, fields in BILLING.items():
            use = config.use(setting)
            if use == FieldUse.HIDDEN:
                continue
            names.extend(fields)
            if use == FieldUse.REQUIRED:
                required.update(fields)
        categories = list(config.occurrence.price_categories.all())
        if config.needs_manager_approval:
            names.extend(("manager_name", "manager_email"))
            required.add("manager_email")
        for name in names:
            widget = forms.EmailInput if name.endswith("email") else forms.TextInput
            self.fields[name] = forms.CharField(
                label=LABELS[name],
                required=False,
                max_length=_max_length(name),
                help_text=HELP.get(name, ""),
                widget=widget(attrs={"aria-required": "true"} if name in required else {}),
            )
            self.fields[name].is_asked_required = name in required
        if categories:
            self.fields["price_category"] = forms.ChoiceField(
                label=_("Price"),
                required=False,
                choices=[
                    (str(c.pk), f"{c.name}: {c.price.normalize():f} {config.company.default_currency}")
                    for c in categories
                ],
                widget=forms.RadioSelect,
            )
            self.fields["price_category"].is_asked_required = True
        self.fields["message"] = forms.CharField(
            label=LABELS["message"], required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
        )
        # The honeypot: hidden from people by CSS and aria-hidden; bots fill in every field.
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    @property
    def visible(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != HONEYPOT]

    def submitted(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != HONEYPOT}
