"""Company settings (legal data, invoicing) and staff roles. Identifiers are
checked by company_update; this form checks only what is about the upload."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from fakturera.core.identifiers import COUNTRY_CHOICES
from fakturera.core.money import CURRENCY_CHOICES
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import BasisSource, Company, PdfTemplate, Role
from fakturera.parties.terms import percent_text

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG"}
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class StoredLogo(str):
    """The current logo for the upload widget: its name, and `url`, the staff view that answers
    its bytes (the file storage has no URL of its own: core/storage.py)."""

    __slots__ = ()

    @property
    def url(self) -> str:
        return f"{reverse('staff:company_logo')}?{urlencode({'v': str(self)})}"


LEGAL_FIELDS = (
    "name", "country", "org_number", "vat_number", "is_f_tax_approved", "bankgiro", "iban", "bic",
    "peppol_id", "email", "phone", "website", "address_line1", "address_line2", "postal_code", "city",
    "logo", "brand_colour",
)  # fmt: skip
INVOICING_FIELDS = (
    "basis_source", "payment_terms_days", "cash_discount_percent", "cash_discount_days", "issue_days_ahead",
    "default_currency", "is_rounding_to_whole_units",
    "has_ocr_length_digit", "is_invoicing_organisation_of_person", "pdf_template", "is_embedding_pdf_in_ubl",
)  # fmt: skip
SECURITY_FIELDS = ("requires_two_factor",)


class CompanySettingsForm(TextCheckedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES)
    org_number = forms.CharField(label=_("Organisation number"), max_length=20)
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    is_f_tax_approved = forms.BooleanField(label=_("Approved for F-tax"), required=False)
    bankgiro = forms.CharField(label=_("Bankgiro"), max_length=12, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)
    peppol_id = forms.CharField(
        label=_("Peppol ID"), max_length=80, required=False, help_text=_("Such as 0007:5567321707.")
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address, line 2"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    logo = forms.ImageField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, at most 2 MB."),
        error_messages={"invalid_image": _("The logo must be a PNG or JPEG image; this file is not an image.")},
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    brand_colour = forms.CharField(
        label=_("Brand colour"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    basis_source = forms.ChoiceField(label=_("Invoice basis from"), choices=BasisSource.choices)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"))
    cash_discount_percent = forms.CharField(
        label=_("Cash discount (percent)"),
        max_length=10,
        required=False,
        help_text=_("Off the total when paid within the discount period; 0 or empty: no discount."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    cash_discount_days = forms.IntegerField(
        label=_("Cash discount period (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("Such as 10 for 2 percent within 10 days, 30 days net; shorter than the payment terms."),
    )
    issue_days_ahead = forms.IntegerField(
        label=_("Invoice date at most days ahead"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_(
            "An invoice may be dated from the latest invoice date of the series up to this many days after today."
        ),
    )
    default_currency = forms.ChoiceField(label=_("Default currency"), choices=CURRENCY_CHOICES)
    is_rounding_to_whole_units = forms.BooleanField(
        label=_("Round totals to whole units"),
        required=False,
        # The currencies of core.money.WHOLE_UNIT_CURRENCIES.
        help_text=_("Only invoices in SEK and NOK, which are settled in whole units; never EUR or DKK."),
    )
    has_ocr_length_digit = forms.BooleanField(label=_("OCR reference with length digit"), required=False)
    is_invoicing_organisation_of_person = forms.BooleanField(
        label=_("Invoice a person's organisation"),
        required=False,
        help_text=_("A member's invoice goes to the organisation's invoice reference."),
    )
    pdf_template = forms.ChoiceField(label=_("Invoice layout"), choices=PdfTemplate.choices)
    is_embedding_pdf_in_ubl = forms.BooleanField(
        label=_("Attach the PDF to e-invoices"),
        required=False,
        help_text=_("The Peppol e-invoice then carries the PDF as an attachment."),
    )
    requires_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication"),
        required=False,
        help_text=_(
            "Everyone working for the company then logs in with a code from an authenticator app; "
            "whoever has not set one up is asked to first."
        ),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        initial = {name: getattr(company, name) for name in LEGAL_FIELDS + INVOICING_FIELDS + SECURITY_FIELDS}
        initial["cash_discount_percent"] = percent_text(company.cash_discount_percent)
        initial["logo"] = StoredLogo(company.logo.name) if company.logo else None
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def clean_logo(self) -> UploadedFile | bool | None:
        logo = self.cleaned_data.get("logo")
        if not isinstance(logo, UploadedFile):
            return logo  # unchanged (None) or cleared (False)
        if logo.size is not None and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                _("The logo is %(size).1f MB; it may be at most 2 MB."), params={"size": logo.size / 1024 / 1024}
            )
        image_format = getattr(getattr(logo, "image", None), "format", None)
        if image_format not in LOGO_FORMATS:
            raise forms.ValidationError(
                _("The logo must be a PNG or JPEG image; this one is %(format)s."),
                params={"format": image_format or _("another format")},
            )
        return logo

    def clean_brand_colour(self) -> str:
        colour = self.cleaned_data["brand_colour"].strip()
        if not COLOUR.match(colour):
            raise forms.ValidationError(_("A colour is written #RRGGBB, such as #1f4e79."))
        return colour.lower()

    def sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            ("legal", _("Legal data"), [self[name] for name in LEGAL_FIELDS]),
            ("invoicing", _("Invoicing"), [self[name] for name in INVOICING_FIELDS]),
            ("security", _("Security"), [self[name] for name in SECURITY_FIELDS]),
        ]

    def service_fields(self) -> dict[str, Any]:
        """Everything company_update takes; the logo only when it was replaced or cleared."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "basis_source"}
        if data.get("issue_days_ahead") is None:
            data.pop("issue_days_ahead", None)  # left empty: unchanged
        logo = data.pop("logo")
        if logo is False:
            data["logo"] = ""
        elif isinstance(logo, UploadedFile):
            data["logo"] = logo
        return data


class InviteForm(TextCheckedForm):
    email = forms.CharField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.ACCOUNTANT)


class StaffRoleForm(TextCheckedForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
