"""Forms of the Autogiro pages: a mandate on the customer card, the company's settings and
a run. They parse input; autogiro.services checks it and words the refusals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fakturera.core.text import TextCheckedForm
from fakturera.staff.forms.basis import DATE_WIDGET

MANDATE_FIELDS = ("payer_number", "clearing_number", "account_number", "payer_bankgiro", "holder_id_number")


class MandateForm(TextCheckedForm):
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE_WIDGET)
    payer_number = forms.CharField(
        label=_("Payer number"),
        max_length=20,
        required=False,
        help_text=_("Empty: the customer number (a bankgiro mandate: the bankgiro number)."),
    )
    clearing_number = forms.CharField(label=_("Clearing number"), max_length=8, required=False)
    account_number = forms.CharField(label=_("Account number"), max_length=20, required=False)
    payer_bankgiro = forms.CharField(
        label=_("Or the payer's bankgiro"), max_length=12, required=False, help_text=_("Instead of a bank account.")
    )
    holder_id_number = forms.CharField(
        label=_("Personal or organisation number of the account holder"), max_length=13, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = timezone.localdate()

    def service_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in MANDATE_FIELDS}
        data["valid_from"] = self.cleaned_data["valid_from"]
        return data


class AutogiroSettingsForm(TextCheckedForm):
    customer_number = forms.CharField(label=_("Bankgirot customer number"), max_length=8)
    bankgiro = forms.CharField(label=_("Bankgiro collected to"), max_length=12)


class RunForm(TextCheckedForm):
    run_on = forms.DateField(label=_("Run date"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["run_on"].initial = timezone.localdate()
