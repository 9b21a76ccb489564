"""What payments adds to an invoice's history (invoicing.history): kinds registered here,
rows added through `history_add_many` in the booking's transaction, data worded when shown."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.autogiro.models import PaymentOrderStatus, result_reason
from fakturera.core.money import format_money
from fakturera.invoicing.history import Detail, Params, register_kind
from fakturera.payments.states import AllocationKind, MatchMethod, PaymentMethod

PAYMENT_ALLOCATED = "payment_allocated"
ALLOCATION_REVERSED = "allocation_reversed"
INVOICE_PAID = "invoice_paid"
INVOICE_OVERPAID = "invoice_overpaid"
DIRECT_DEBIT_REJECTED = "direct_debit_rejected"


def _money(params: Params, key: str = "amount") -> str:
    return format_money(params.get(key, "0"), params.get("currency", ""))


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return str(value)


def _allocated(params: Params) -> str:
    """What the money did, and what it made of the invoice (booking.Ledger notes "paid" and an
    over-payment's "excess" on the row of the money that did it)."""
    sentence = _allocation(params)
    if params.get("excess"):
        return f"{sentence} {_overpaid(params)}"
    if params.get("paid"):
        return f"{sentence} {_paid(params)}"
    return sentence


def _allocation(params: Params) -> str:
    kind = params.get("kind", AllocationKind.PAYMENT)
    if kind == AllocationKind.CASH_DISCOUNT:
        return _("Cash discount of %(amount)s for payment within the discount period.") % {"amount": _money(params)}
    if kind == AllocationKind.CREDIT_BALANCE:
        if params.get("to_invoice"):
            return _("%(amount)s of the over-payment moved to invoice %(number)s.") % {
                "amount": _money(params),
                "number": params["to_invoice"],
            }
        return _("%(amount)s of the customer's credit balance applied.") % {"amount": _money(params)}
    if kind == AllocationKind.REFUND:
        return _("%(amount)s refunded to the customer.") % {"amount": _money(params)}
    return _("Payment of %(amount)s received %(date)s.") % {
        "amount": _money(params),
        "date": _date(params.get("booked_on")),
    }


def _reversed(params: Params) -> str:
    reason = params.get("reason")
    sentence = _("Payment of %(amount)s undone.") % {"amount": _money(params)}
    return f"{sentence} {reason}" if reason else sentence


def _paid(params: Params) -> str:
    return _("Paid in full.")


def _overpaid(params: Params) -> str:
    return _("Over-paid by %(amount)s: the customer's credit balance.") % {"amount": _money(params, "excess")}


def _rejected(params: Params) -> str:
    # Bankgirot's code is worded in the reader's language; `reason` (English, as the report was
    # read) only when there is no code.
    code, outcome = params.get("code"), params.get("outcome")
    reason = result_reason(outcome, code) if code and outcome else params.get("reason", "")
    if outcome == PaymentOrderStatus.REJECTED:
        return _("Direct debit of %(amount)s rejected by Bankgirot: %(reason)s.") % {
            "amount": _money(params),
            "reason": reason,
        }
    return _("Direct debit of %(amount)s not collected: %(reason)s") % {
        "amount": _money(params),
        "reason": reason,
    }


def _days(value: object) -> str:
    return _("%(days)s days") % {"days": value}


def register() -> None:
    methods = dict(PaymentMethod.choices)
    matches = dict(MatchMethod.choices)
    register_kind(
        PAYMENT_ALLOCATED,
        label=gettext_lazy("Payment"),
        sentence=_allocated,
        details={
            "method": Detail(gettext_lazy("Method"), lambda v: str(methods.get(v, v))),
            "match": Detail(gettext_lazy("Matched by"), lambda v: str(matches.get(v, v))),
            "reference": Detail(gettext_lazy("Reference")),
            "days_late": Detail(gettext_lazy("Days late"), _days),
            "is_double": Detail(gettext_lazy("Double payment")),
        },
    )
    register_kind(
        ALLOCATION_REVERSED,
        label=gettext_lazy("Payment undone"),
        sentence=_reversed,
    )
    register_kind(INVOICE_PAID, label=gettext_lazy("Paid"), sentence=_paid)
    register_kind(INVOICE_OVERPAID, label=gettext_lazy("Over-paid"), sentence=_overpaid)
    register_kind(
        DIRECT_DEBIT_REJECTED,
        label=gettext_lazy("Direct debit not collected"),
        sentence=_rejected,
    )
