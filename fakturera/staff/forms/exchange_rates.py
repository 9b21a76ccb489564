"""The company's exchange rates: one typed by hand, or the Riksbank's file. The services
(invoicing.services.exchange_rates_save, exchange_rates_import_riksbank) judge what is in them."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from fakturera.core.text import TextCheckedForm
from fakturera.invoicing.riksbank import MAX_FILE_BYTES
from fakturera.invoicing.services import FOREIGN_CURRENCIES
from fakturera.staff.forms.basis import DATE_WIDGET


class ExchangeRateForm(TextCheckedForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=[(code, code) for code in sorted(FOREIGN_CURRENCIES)])
    rate_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    # Text, not a number field: "11,4321" as Swedish writes it is read by the service.
    rate = forms.CharField(
        label=_("SEK per unit"),
        max_length=20,
        help_text=_("What one unit of the currency cost in SEK that day, such as 11,4321 for EUR."),
    )


class RiksbankFileForm(TextCheckedForm):
    file = forms.FileField(
        label=_("The Riksbank's file (CSV)"),
        help_text=_(
            "From riksbank.se, Search interest & exchange rates: Currencies against Swedish kronor, daily, "
            "as a CSV file separated by semicolons."
        ),
        error_messages={"required": _("Choose the file to import."), "empty": _("The file is empty.")},
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; choose a shorter period."), code="too_large")
        return upload
