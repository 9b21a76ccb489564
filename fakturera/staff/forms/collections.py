"""Forms of the collections pages: the company's collection settings, the reminder policy
editor (a level per row, its texts per language), the rate table and a pause. They parse;
collections.services decides (the law's limits, unknown variables, the rate's dates)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fakturera.collections.rules import LANGUAGES, MAX_LEVELS
from fakturera.collections.states import (
    DaysFrom,
    InterestInvoiceMode,
    LastLevelAction,
    PauseReason,
    RateKindChoice,
    TaskMode,
)
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import Channel, Language
from fakturera.staff.forms.basis import DATE_WIDGET

COUNTRIES = [("SE", _("Sweden")), ("NO", _("Norway")), ("DK", _("Denmark")), ("FI", _("Finland"))]


class CollectionSettingsForm(TextCheckedForm):
    is_reminder_fee_agreed = forms.BooleanField(
        label=_("A reminder fee is agreed in the company's terms"),
        required=False,
        help_text=_("In Sweden a reminder fee may only be charged where it was agreed when the debt arose."),
    )
    is_claiming_late_compensation = forms.BooleanField(
        label=_("Claim the late-payment compensation from businesses instead of reminder fees"), required=False
    )
    is_reminding_automatically = forms.BooleanField(label=_("Send the reminders due every day"), required=False)
    bank_import_stale_days = forms.CharField(label=_("Warn when the last bank file is older than (days)"), max_length=3)
    interest_invoice_mode = forms.ChoiceField(label=_("Interest invoices"), choices=InterestInvoiceMode.choices)
    interest_invoice_minimum_amount = forms.CharField(label=_("Smallest interest invoiced"), max_length=20)


class PolicyForm(TextCheckedForm):
    minimum_amount = forms.CharField(label=_("Smallest amount reminded"), max_length=20, required=False)
    last_level_action = forms.ChoiceField(label=_("After the last level"), choices=LastLevelAction.choices)
    preview_invoice = forms.CharField(
        label=_("Preview with invoice"),
        max_length=40,
        required=False,
        help_text=_("Empty: the longest overdue invoice of a customer of this kind."),
    )
    preview_language = forms.ChoiceField(
        label=_("Preview language"),
        choices=[("", _("The invoice's language")), *Language.choices],
        required=False,
    )


TEXT_LABELS = {"subject": _("E-mail subject"), "body": _("E-mail text"), "letter": _("Letter text")}


def text_field_name(language: str, part: str) -> str:
    # The service names a level's text "levels-<n>-texts-<language>-<part>": the same name here.
    return f"texts-{language}-{part}"


class LevelForm(TextCheckedForm):
    # Not required here: a blank row is no level; policy_save names a level's missing days.
    days = forms.CharField(label=_("Days"), max_length=3, required=False)
    days_from = forms.ChoiceField(label=_("Counted"), choices=DaysFrom.choices)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("As the invoices go")), *Channel.choices], required=False
    )
    fee_amount = forms.CharField(label=_("Fee"), max_length=20, required=False)
    is_claiming_interest = forms.BooleanField(label=_("Claim late-payment interest"), required=False)
    new_due_days = forms.CharField(label=_("Days to pay (new due date)"), max_length=3, required=False)
    task_mode = forms.ChoiceField(label=_("Staff task"), choices=TaskMode.choices, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for language in LANGUAGES:
            for part, label in TEXT_LABELS.items():
                widget = forms.Textarea(attrs={"rows": 4}) if part != "subject" else forms.TextInput()
                self.fields[text_field_name(language, part)] = forms.CharField(
                    label=label, required=False, max_length=5000 if part != "subject" else 200, widget=widget
                )

    def languages(self) -> list[dict[str, Any]]:
        """The text fields grouped by language, for the template."""
        names = dict(Language.choices)
        return [
            {"code": language, "name": names.get(language, language),
             "fields": [self[text_field_name(language, part)] for part in TEXT_LABELS]}
            for language in LANGUAGES
        ]  # fmt: skip

    def as_level(self) -> dict[str, Any]:
        """The level as policy_save takes it."""
        data = self.cleaned_data
        texts = {
            language: {part: data.get(text_field_name(language, part)) or "" for part in TEXT_LABELS}
            for language in LANGUAGES
        }
        return {
            "days": data["days"],
            "days_from": data["days_from"],
            "channel": data.get("channel") or "",
            "fee_amount": data.get("fee_amount") or None,
            "is_claiming_interest": bool(data.get("is_claiming_interest")),
            "new_due_days": data["new_due_days"],
            "task_mode": data.get("task_mode") or "",
            "texts": {language: parts for language, parts in texts.items() if any(parts.values())},
        }

    @classmethod
    def initial_for(cls, level: Any) -> dict[str, Any]:
        initial = {
            "days": level.days,
            "days_from": level.days_from,
            "channel": level.channel,
            "fee_amount": f"{level.fee_amount:.2f}" if level.fee_amount else "",
            "is_claiming_interest": level.is_claiming_interest,
            "new_due_days": level.new_due_days,
            "task_mode": level.task_mode,
        }
        for language, parts in (level.texts or {}).items():
            for part in TEXT_LABELS:
                initial[text_field_name(language, part)] = parts.get(part, "")
        return initial


class BaseLevelFormSet(forms.BaseFormSet):
    def kept(self) -> list[LevelForm]:
        """The rows that are levels, in order: not marked for removal, not an untouched blank row."""
        return [
            form
            for form in self.forms
            if (form.cleaned_data.get("days") or "").strip() or form.initial
            if not (self.can_delete and self._should_delete_form(form))
        ]


LevelFormSet = forms.formset_factory(
    LevelForm, formset=BaseLevelFormSet, extra=1, max_num=MAX_LEVELS, validate_max=True, can_delete=True
)


class RateForm(TextCheckedForm):
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES)
    kind = forms.ChoiceField(label=_("Kind"), choices=RateKindChoice.choices)
    valid_from = forms.CharField(label=_("Valid from"), max_length=10, widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.CharField(label=_("Value"), max_length=20)
    source = forms.CharField(label=_("Source"), max_length=500)
    rate_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PauseForm(TextCheckedForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=PauseReason.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    ends_on = forms.DateField(label=_("Until"), required=False, widget=DATE_WIDGET, help_text=_("Empty: until ended."))
