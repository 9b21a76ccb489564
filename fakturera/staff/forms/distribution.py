"""Forms of distribution: the company's channel settings and e-mail templates, and the
Send dialog. They parse input; distribution.services decides and words the refusals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fakturera.core.mail import SECURITY
from fakturera.core.text import TextCheckedForm
from fakturera.distribution.channels.export import DIRECTORY, WEBHOOK
from fakturera.distribution.mail import template_problems, variables_text
from fakturera.distribution.models import ChannelSetting, DistributionSettings, Purpose
from fakturera.distribution.services import MAX_UNDO_MINUTES
from fakturera.parties.models import Channel, Language, PdfTemplate


def _channel_choices(empty: str) -> list[tuple[str, Any]]:
    return [("", empty), *Channel.choices]


class GeneralForm(TextCheckedForm):
    default_channel = forms.ChoiceField(label=_("Default channel"), required=False)
    reserve_channel = forms.ChoiceField(
        label=_("Reserve channel"),
        required=False,
        help_text=_("Used when an invoice does not meet the criteria of the customer's or the default channel."),
    )
    reminder_channel = forms.ChoiceField(label=_("Channel for reminders"), required=False)
    undo_minutes = forms.IntegerField(
        label=_("Undo window (minutes)"),
        min_value=0,
        max_value=MAX_UNDO_MINUTES,
        help_text=_("How long a sent invoice waits, and can be undone or credited, before it goes."),
    )

    def __init__(self, *args: Any, instance: DistributionSettings, **kwargs: Any):
        kwargs.setdefault(
            "initial",
            {
                "default_channel": instance.default_channel,
                "reserve_channel": instance.reserve_channel,
                "reminder_channel": instance.reminder_channel,
                "undo_minutes": instance.undo_minutes,
            },
        )
        super().__init__(*args, prefix="general", **kwargs)
        self.fields["default_channel"].choices = _channel_choices(_("None"))
        self.fields["reserve_channel"].choices = _channel_choices(_("None"))
        self.fields["reminder_channel"].choices = [
            ("", _("None")),
            *[(c.value, c.label) for c in (Channel.PRINT, Channel.EMAIL, Channel.LETTER)],
        ]


# Per channel: (option name, field); the secret's field is never filled in.
SECRET_LABELS = {Channel.EMAIL: _("SMTP password"), Channel.LETTER: _("API key"), Channel.PEPPOL: _("API key")}


def _option_fields(channel: str) -> dict[str, forms.Field]:
    if channel == Channel.EMAIL:
        return {
            "host": forms.CharField(label=_("SMTP server"), required=False, max_length=200),
            "port": forms.IntegerField(label=_("Port"), required=False, min_value=1, max_value=65535),
            "security": forms.ChoiceField(
                label=_("Encryption"),
                choices=[(SECURITY[0], "STARTTLS"), (SECURITY[1], "SSL/TLS"), (SECURITY[2], _("None"))],
            ),
            "username": forms.CharField(label=_("User name"), required=False, max_length=200),
            "from_email": forms.EmailField(label=_("Sender address"), required=False),
            "from_name": forms.CharField(label=_("Sender name"), required=False, max_length=200),
        }
    if channel in (Channel.LETTER, Channel.PEPPOL):
        return {
            "base_url": forms.URLField(label=_("Service address (base URL)"), required=False, assume_scheme="https")
        }
    if channel == Channel.EXPORT:
        return {
            "mode": forms.ChoiceField(
                label=_("Export by"),
                choices=[
                    (WEBHOOK, _("Webhook event invoice.exported (API and webhooks)")),
                    (DIRECTORY, _("Files in a directory")),
                ],
            ),
            "directory": forms.CharField(
                label=_("Directory"),
                required=False,
                max_length=500,
                help_text=_(
                    "A subfolder of the company's export folder on the server, such as bokforing/2026; "
                    "empty: the company's folder itself."
                ),
            ),
        }
    return {}


class ChannelForm(TextCheckedForm):
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, channel: str, instance: ChannelSetting | None, **kwargs: Any):
        self.channel = channel
        initial = {"is_active": bool(instance and instance.is_active), **(instance.options if instance else {})}
        kwargs.setdefault("initial", initial)
        super().__init__(*args, prefix=f"channel-{channel}", **kwargs)
        self.fields.update(_option_fields(channel))
        self.has_secret = channel in SECRET_LABELS
        self.has_stored_secret = bool(instance and instance.secret)
        if self.has_secret:
            self.fields["secret"] = forms.CharField(
                label=SECRET_LABELS[channel],
                required=False,
                max_length=500,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                help_text=_("Stored; leave empty to keep it.") if self.has_stored_secret else "",
            )

    @property
    def label(self) -> str:
        return str(Channel(self.channel).label)

    def options(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in _option_fields(self.channel)}


class EmailTemplateForm(TextCheckedForm):
    purpose = forms.ChoiceField(label=_("Used for"), choices=Purpose.choices)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    preview_invoice = forms.CharField(
        label=_("Preview with invoice"),
        required=False,
        max_length=40,
        help_text=_("An invoice number; empty: the latest issued invoice."),
    )
    TEMPLATE_FIELDS = ("purpose", "language", "subject", "body")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, prefix="template", **kwargs)
        self.fields["body"].help_text = _("Variables: %(variables)s") % {"variables": variables_text()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The template language's rule (distribution.mail), shown before saving or previewing.
        problems = template_problems(subject=cleaned.get("subject") or "", body=cleaned.get("body") or "")
        for field, messages in problems.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned

    def template(self) -> dict[str, str]:
        """What the template is made of, as email_template_save takes it."""
        return {name: self.cleaned_data[name] for name in self.TEMPLATE_FIELDS}


class SendForm(TextCheckedForm):
    purpose = forms.ChoiceField(
        label=_("Send"),
        choices=[(Purpose.INVOICE, _("Invoices")), (Purpose.REMINDER, _("Reminders (overdue invoices)"))],
    )
    template = forms.ChoiceField(label=_("Layout"), choices=PdfTemplate.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False)

    def __init__(self, *args: Any, active: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            ("", _("As routed (the customer's channel, default, reserve)")),
            *[(code, Channel(code).label) for code in active],
        ]
