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
INTEREST_INVOICE_PROPOSED = "interest_invoice_proposed"
INTEREST_INVOICE_BELOW_MINIMUM = "interest_invoice_below_minimum"
INTEREST_INVOICE_ISSUED = "interest_invoice_issued"
INTEREST_INVOICE_DISMISSED = "interest_invoice_dismissed"


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


def _amounts(params: Params) -> dict[str, str]:
    return {
        "interest": f"{params.get('interest', '')} {params.get('currency', '')}".strip(),
        "fees": f"{params.get('fees', '')} {params.get('currency', '')}".strip(),
    }


def _proposed(params: Params) -> str:
    return _("Paid late: an interest invoice is proposed (interest %(interest)s, fees %(fees)s).") % _amounts(params)


def _below_minimum(params: Params) -> str:
    return _(
        "Paid late: interest %(interest)s and fees %(fees)s, below the smallest amount invoiced; no interest invoice."
    ) % _amounts(params)


def _interest_issued(params: Params) -> str:
    return _("Interest invoice %(number)s issued for the late payment.") % {"number": params.get("number", "")}


def _interest_dismissed(params: Params) -> str:
    return _("Interest invoice dismissed: %(reason)s") % {"reason": params.get("reason", "")}


def register() -> None:
    register_kind(
        REMINDERS_PAUSED,
        label=gettext_lazy("Reminders paused"),
        sentence=_paused,
        details={"note": Detail(gettext_lazy("Note"))},
    )
    register_kind(REMINDERS_RESUMED, label=gettext_lazy("Reminders resumed"), sentence=_resumed)
    register_kind(INTEREST_INVOICE_PROPOSED, label=gettext_lazy("Interest invoice proposed"), sentence=_proposed)
    register_kind(
        INTEREST_INVOICE_BELOW_MINIMUM,
        label=gettext_lazy("Interest below the smallest amount invoiced"),
        sentence=_below_minimum,
    )
    register_kind(INTEREST_INVOICE_ISSUED, label=gettext_lazy("Interest invoice issued"), sentence=_interest_issued)
    register_kind(
        INTEREST_INVOICE_DISMISSED, label=gettext_lazy("Interest invoice dismissed"), sentence=_interest_dismissed
    )
