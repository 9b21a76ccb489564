"""Why an invoice did not go, or how its delivery failed, kept as data.

A Reason is a code and its parameters. It is worded only when shown (`str(reason)`),
in the language active then, so the history stores `reason.as_data()` and a Swedish
and an English reader of the same invoice each read it in their own language. The
code "text" carries words that are not ours (a service's answer, an operating-system
error): they are shown as they are, made plain by errors.plain_text first.

Channel codes (parameters "c" and "channel") and service codes ("service") are worded
too; a nested Reason ("r", "error") is worded in the same language, and a list of them
("tried") as their sentences one after another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from fakturera.parties.models import Channel

TEXT = "text"

SENTENCES = {
    # Routing and sending (routing.py, services.py, each channel's `problem`).
    "channel_inactive": _("The channel %(c)s is not active."),
    "customer_channel_inactive": _("The customer's channel %(c)s is not active; the default channel is used."),
    "no_active_channel": _("No active channel: choose a default channel in the settings."),
    # Routing found no channel: "tried" lists a "tried_channel" for each channel it tried.
    "no_channel": _("No channel could take it. %(tried)s"),
    "tried_channel": _("%(c)s: %(r)s"),
    "by_reserve": _("Sent by the reserve channel: %(r)s"),
    "peppol_no_reminder": _("Peppol has no reminder document: the reminder goes by %(c)s."),
    "no_reminder_channel": _("No channel for reminders: choose one in the settings (print, e-mail or letter)."),
    "not_issued": _("Only issued invoices are sent."),
    "on_its_way": _("It is already on its way."),
    "not_overdue": _("Only overdue invoices get reminders."),
    "paid": _("It is paid: no reminder."),
    "no_email": _("%(name)s has no e-mail address."),
    "no_postal_address": _("%(name)s has no postal address."),
    "recipient_without_name": _("The recipient has no name."),
    "address_without_street": _("The postal address has no street or box line."),
    "address_without_postal_code": _("The postal address has no postal code."),
    "address_without_city": _("The postal address has no city."),
    "bad_country_code": _("“%(country)s” is not a country code (two capital letters, such as SE)."),
    "bad_postal_code": _("“%(code)s” is not a Swedish postal code (five digits, such as 111 22)."),
    "no_peppol_id": _("%(name)s has no Peppol ID."),
    "peppol_unregistered": _("%(name)s is not registered as a Peppol receiver (%(id)s)."),
    "credit_note_not_collected": _("A credit note is paid back, not collected by direct debit."),
    "no_mandate": _("%(name)s has no active Autogiro mandate."),
    "portal_organisation": _("%(name)s is an organisation; the portal is for persons."),
    "portal_without_email": _("%(name)s has no e-mail address for the portal notice."),
    # Delivery failures (channels/, transports/).
    "smtp_without_server": _("The e-mail settings have no SMTP server."),
    "smtp_without_sender": _("The e-mail settings have no sender address."),
    "smtp_login_refused": _("The SMTP server refused the login (%(code)s)."),
    "smtp_unreachable": _("Could not reach the SMTP server %(host)s:%(port)s: %(error)s"),
    "smtp_connection_failed": _("The SMTP connection failed: %(error)s"),
    "smtp_address_unsendable": _("The address %(to)s cannot be sent to by SMTP."),
    "smtp_answer": _("The SMTP server answered %(code)s %(text)s"),
    "timed_out": _("timed out"),
    "not_http": _("%(service)s: the address %(url)s is not an http(s) address."),
    "no_answer_within": _("%(service)s did not answer within %(seconds)s seconds."),
    "broken_answer": _("%(service)s sent a broken answer: %(reason)s"),
    "no_answer_in_time": _("%(service)s did not answer in time."),
    "connection_refused": _("%(service)s refused the connection."),
    "unreachable": _("%(service)s could not be reached: %(reason)s"),
    "slow_down": _("%(service)s asked us to slow down (HTTP 429)."),
    "service_error": _("%(service)s had an error: %(error)s"),
    "key_refused": _("%(service)s refused our API key (HTTP %(status)s); check the channel's settings."),
    "delivery_refused": _("%(service)s refused the delivery: %(error)s"),
    "private_address": _(
        "%(service)s: %(host)s is the address %(address)s, on a loopback, private or internal network; outside "
        "services must be on the public internet."
    ),
    "refused_port": _(
        "%(service)s: port %(port)s is for databases and internal services; outside services are not reached on it."
    ),
    "answer_too_long": _("%(service)s sent an answer too long to read."),
    "letter_without_id": _("The letter service accepted the letter but gave no id."),
    "peppol_ids_missing": _("A Peppol document needs both the sender's and the receiver's Peppol ID."),
    "peppol_without_id": _("The Peppol access point accepted the document but gave no id."),
    "no_webhook_endpoint": _("No active webhook endpoint receives the event invoice.exported."),
    "export_folder_refused": _(
        "The export folder “%(folder)s” is not a subfolder of the company's export folder; name one such as "
        "bokforing/2026."
    ),
    "export_write_failed": _("The export folder could not be written to: %(error)s"),
    "document_failed": _(
        "The invoice's %(document)s could not be made from its stored text (a character that documents "
        "cannot carry, for example)."
    ),
    "channel_failed": _("The channel failed unexpectedly before this invoice went; it is tried again later."),
    "confirmed_not_sent": _("Staff confirmed that it did not arrive."),
    "message_failed": _("The message could not be put together from the invoice's stored text."),
    # References of deliveries that stay in this system.
    "payment_order": _("payment order"),
    "webhook_delivery": _("webhook delivery %(id)s"),
    "export_file": _("file %(path)s in the export folder"),
}

SERVICES = {
    "letter": _("The letter service"),
    "peppol": _("The Peppol access point"),
    "smtp": _("The SMTP server"),
}


def _worded(name: str, value: Any) -> Any:
    if isinstance(value, Reason):
        return str(value)
    if isinstance(value, list):
        return " ".join(str(_worded(name, item)) for item in value)
    if name in ("c", "channel") and value in Channel.values:
        return Channel(value).label
    if name == "service" and value in SERVICES:
        return SERVICES[value]
    return value


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.code == TEXT:
            return str(self.params.get("text", ""))
        sentence = SENTENCES.get(self.code)
        if sentence is None:
            # A code this version no longer knows (stored by an older one): its words, if any.
            return str(self.params.get("text") or self.code.replace("_", " "))
        # .strip(): a parameter may be empty ("answered 550" with no enhanced status code).
        return (str(sentence) % {name: _worded(name, value) for name, value in self.params.items()}).strip()

    def as_data(self) -> dict[str, Any]:
        """What the history stores: JSON, nested reasons included."""
        return {"code": self.code, "params": {name: _as_data(value) for name, value in self.params.items()}}

    @classmethod
    def from_data(cls, data: Any) -> Reason:
        """The reason stored by `as_data` (or, from before reasons were data, plain text)."""
        if not isinstance(data, Mapping) or "code" not in data:
            return text(str(data or ""))
        params = {name: _from_data(value) for name, value in (data.get("params") or {}).items()}
        return cls(str(data["code"]), params)


def _as_data(value: Any) -> Any:
    if isinstance(value, Reason):
        return value.as_data()
    if isinstance(value, list | tuple):
        return [_as_data(item) for item in value]
    return value


def _from_data(value: Any) -> Any:
    if isinstance(value, Mapping) and "code" in value:
        return Reason.from_data(value)
    if isinstance(value, list):
        return [_from_data(item) for item in value]
    return value


def reason(code: str, /, **params: Any) -> Reason:
    if code != TEXT and code not in SENTENCES:
        raise ValueError(f"Unknown reason {code!r}")
    return Reason(code, params)


def text(words: str) -> Reason:
    """Words that are not ours, shown as they are."""
    return Reason(TEXT, {"text": words})


def worded(value: Any) -> str:
    """A stored reason (or plain text) in the active language."""
    return str(Reason.from_data(value))
