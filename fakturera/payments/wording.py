"""A payment's match and its suggestions in words, for the pages that show them: how the payment
found its invoice (`Payment.match` and `match_details`), never a suggestion worded as a match."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from fakturera.payments.states import MatchMethod, PaymentSource


def _numbers(details: dict[str, Any]) -> str:
    return ", ".join(str(n) for n in details.get("invoices", []))


def match_words(payment: Any) -> list[str]:
    """Sentences saying how the payment was matched, or that it was not."""
    details = payment.match_details or {}
    invoices = _numbers(details)
    method = payment.match
    words: list[str] = []
    if method in (MatchMethod.OCR, MatchMethod.RF):
        kind = _("OCR reference") if method == MatchMethod.OCR else _("RF creditor reference")
        if details.get("where") == "reference":
            words.append(
                _("The %(kind)s %(reference)s given with the payment is that of invoice %(invoices)s.")
                % {"kind": kind, "reference": details.get("reference", ""), "invoices": invoices}
            )
        else:
            words.append(
                _("The payer's message holds the %(kind)s of invoice %(invoices)s.")
                % {"kind": kind, "invoices": invoices}
            )
    elif method == MatchMethod.INVOICE_NUMBER:
        words.append(_("The payer's message names invoice %(invoices)s.") % {"invoices": invoices})
    elif method == MatchMethod.AMOUNT_PAYER:
        words.append(
            _("The amount and the payer's name (%(payer)s) fit one open invoice only: %(invoices)s.")
            % {"payer": details.get("payer", payment.payer_name), "invoices": invoices}
        )
    elif method == MatchMethod.AUTOGIRO:
        words.append(_("Collected by Autogiro for invoice %(invoices)s.") % {"invoices": invoices})
    elif method == MatchMethod.MANUAL:
        if payment.source == PaymentSource.MANUAL and invoices:
            words.append(_("Registered by hand on invoice %(invoices)s.") % {"invoices": invoices})
        else:
            words.append(_("Allocated by hand."))
    else:
        words.append(_("Not matched: nothing given with the payment names an open invoice."))
        if details.get("reference_unknown"):
            words.append(
                _("The reference given (%(reference)s) is no invoice's of this company.")
                % {"reference": payment.reference or "–"}
            )
    return words


def why_words(why: list[str]) -> str:
    """Why an invoice is suggested: "same amount, payer's name"."""
    labels = {"amount": _("same amount"), "payer": _("payer's name"), "currency": _("another currency")}
    return ", ".join(str(labels.get(code, code)) for code in why)
