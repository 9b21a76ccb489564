"""How distribution's events read in an invoice's history (registered from apps.py).

The events store codes and data only (states.SendingEvent and the parameters that
services.py and worker.py give): the channel's code, the recipient as addressed, the
reminder's number, the service's reference, and a reason or error as reasons.Reason
data. Here they become sentences in the reader's language, when they are shown.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.distribution.reasons import worded
from fakturera.distribution.states import SendingEvent
from fakturera.invoicing.history import Detail, Params, register_kind
from fakturera.parties.models import Channel


def channel_label(code: Any) -> str:
    return str(Channel(code).label) if code in Channel.values else str(code or "")


def _by(params: Params) -> dict[str, Any]:
    return {"channel": channel_label(params.get("channel")), "to": params.get("recipient", "")}


def _queued(params: Params) -> str:
    if params.get("resent"):
        return _("Sent again by %(channel)s to %(to)s.") % _by(params)
    return _("Waiting to be sent by %(channel)s to %(to)s") % _by(params)


def _reminder_queued(params: Params) -> str:
    return _("Reminder waiting to be sent by %(channel)s to %(to)s") % _by(params)


def _sent(params: Params) -> str:
    if params.get("confirmed"):
        return _("Confirmed as sent by %(channel)s to %(to)s.") % _by(params)
    return _("Sent by %(channel)s to %(to)s") % _by(params)


def _reminded(params: Params) -> str:
    if params.get("confirmed") or not params.get("count"):
        return _sent(params)
    return _("Reminder %(count)s sent by %(channel)s to %(to)s") % {**_by(params), "count": params["count"]}


def _failed(params: Params) -> str:
    return _("Sending by %(channel)s failed: %(error)s") % {
        "channel": channel_label(params.get("channel")),
        "error": worded(params.get("error")),
    }


def _undone(params: Params) -> str:
    return _("Sending by %(channel)s was undone.") % {"channel": channel_label(params.get("channel"))}


def _stopped(params: Params) -> str:
    return _("Not sent: the invoice was credited inside the undo window.")


def _not_sent(params: Params) -> str:
    return _("Not sent: %(reason)s") % {"reason": worded(params.get("reason"))}


def _uncertain(params: Params) -> str:
    return _("It is not known whether this reached %(to)s by %(channel)s: confirm it as sent or send it again.") % _by(
        params
    )


def _reasons(values: Any) -> str:
    return " ".join(worded(value) for value in (values if isinstance(values, list) else [values]))


SENTENCES = {
    SendingEvent.QUEUED: _queued,
    SendingEvent.REMINDER_QUEUED: _reminder_queued,
    SendingEvent.SENT: _sent,
    SendingEvent.REMINDED: _reminded,
    SendingEvent.SEND_FAILED: _failed,
    SendingEvent.REMINDER_FAILED: _failed,
    SendingEvent.SEND_UNDONE: _undone,
    SendingEvent.SEND_STOPPED: _stopped,
    SendingEvent.NOT_SENT: _not_sent,
    SendingEvent.SEND_UNCERTAIN: _uncertain,
}
ROUTING = {"routing": Detail(gettext_lazy("Routing"), _reasons)}
REFERENCE = {"reference": Detail(gettext_lazy("Reference"), worded)}
DETAILS = {
    SendingEvent.QUEUED: ROUTING,
    SendingEvent.REMINDER_QUEUED: ROUTING,
    SendingEvent.SENT: REFERENCE,
    SendingEvent.REMINDED: REFERENCE,
}


def register() -> None:
    for kind in SendingEvent:
        register_kind(kind.value, label=kind.label, sentence=SENTENCES[kind], details=DETAILS.get(kind))
