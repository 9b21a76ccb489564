"""The bank-file upload: one file, at most MAX_BYTES; what is in it is the importer's to judge."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from fakturera.core.text import TextCheckedForm

MAX_BYTES = 50 * 1024 * 1024


class BankFileForm(TextCheckedForm):
    file = forms.FileField(
        label=_("Bank file"),
        help_text=_("camt.053, camt.054, BgMax or an Autogiro report; at most 50 MB."),
        error_messages={
            "required": _("Choose the bank file to import."),
            "empty": _("The file is empty."),
        },
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s MB; a bank file may be at most %(limit)s MB. Nothing was imported."),
                params={"size": f"{upload.size / 1_048_576:.1f}", "limit": MAX_BYTES // 1_048_576},
                code="too_large",
            )
        return upload
