"""The bookkeeping settings: the company's account per purpose (rules.PURPOSES), and a month to
close or reopen; the voucher list's period filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fakturera.bookkeeping.rules import BAS_DEFAULTS, PURPOSES
from fakturera.bookkeeping.states import Series
from fakturera.core.text import TextCheckedForm
from fakturera.staff.forms.basis import DATE_WIDGET


class AccountMappingForm(TextCheckedForm):
    """One field per purpose; the service checks the whole mapping (four digits, none missing)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for purpose, label in PURPOSES.items():
            self.fields[purpose] = forms.CharField(
                label=label,
                required=False,
                max_length=6,
                help_text=_("BAS: %(account)s") % {"account": BAS_DEFAULTS[purpose]},
                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
            )


class PeriodForm(TextCheckedForm):
    month = forms.DateField(label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m"])


class VoucherFilterForm(TextCheckedForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    series = forms.ChoiceField(label=_("Series"), required=False, choices=[("", _("All")), *Series.choices])


class ExportForm(TextCheckedForm):
    """The accountant's download: a period and what to write (bookkeeping.exports checks the period)."""

    WHAT = {
        "sie_4i": ("sie", "4I"),
        "sie_4e": ("sie", "4E"),
        "journal_csv": ("journal", "csv"),
        "journal_xlsx": ("journal", "xlsx"),
    }

    date_from = forms.DateField(label=_("From"), widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), widget=DATE_WIDGET)
    what = forms.ChoiceField(
        label=_("File"),
        choices=[
            ("sie_4i", _("SIE 4I: the vouchers, for import into an accounting program")),
            ("sie_4e", _("SIE 4E: the vouchers and the year's balances")),
            ("journal_csv", _("Journal, one row per transaction (CSV)")),
            ("journal_xlsx", _("Journal, one row per transaction (Excel)")),
        ],
    )
