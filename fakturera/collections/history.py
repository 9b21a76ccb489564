"""What collections adds to an invoice's history (invoicing.history): kinds registered here,
rows added through `history_add_many` in the service's transaction, worded when shown."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.collections.states import PauseReason
from fakturera.invoicing.history import Detail, Params, register_kind

REMINDERS_PAUSED = "reminders_paused"
REMINDERS_RESUMED = "reminders_resumed"


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return str(value)


def _reason(params: Params) -> str:
    reasons = dict(PauseReason.choices)
    return str(reasons.get(params.get("reason", ""), params.get("reason", "")))


def _paused(params: Params) -> str:
    whose = _("the customer's invoices") if params.get("customer") else _("this invoice")
    if params.get("ends_on"):
        return _("Reminders paused for %(whose)s from %(starts)s until %(ends)s: %(reason)s.") % {
            "whose": whose,
            "starts": _date(params.get("starts_on")),
            "ends": _date(params.get("ends_on")),
            "reason": _reason(params),
        }
    return _("Reminders paused for %(whose)s from %(starts)s: %(reason)s.") % {
        "whose": whose,
        "starts": _date(params.get("starts_on")),
        "reason": _reason(params),
    }


def _resumed(params: Params) -> str:
    return _("Reminders resumed (%(reason)s).") % {"reason": _reason(params)}


def register() -> None:
    register_kind(
        REMINDERS_PAUSED,
        label=gettext_lazy("Reminders paused"),
        sentence=_paused,
        details={"note": Detail(gettext_lazy("Note"))},
    )
    register_kind(REMINDERS_RESUMED, label=gettext_lazy("Reminders resumed"), sentence=_resumed)
