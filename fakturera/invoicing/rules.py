"""Rules the staff UI and the API both ask, decided here once.

Pure functions of what the caller has read: no queries, no writes.

- `credit_refusal`: whether an invoice can be credited at all, and if not, why, in
  the words shown to the user (credit_note_create raises the same sentence).
- `figures`: a document's amounts as shown: a draft's are what issuing it now would
  store (the one rule of totals.py, with the company's rounding setting); an issued
  document's are the stored ones, never recomputed.
- `issue_date_refusal`: whether a document may be dated so (issuing.issue_documents
  asks it under the series lock).
- `cash_discount`: an invoice's early-payment cash discount (seed 004): how much, what is
  left to pay within the period, and the discount's net and VAT per VAT group;
  `cash_discount_applies`: whether a payment settles the invoice with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from fakturera.catalog.vat import VatKey
from fakturera.core.money import ZERO, round_money
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.invoicing.totals import LineInput, compute_totals

if TYPE_CHECKING:
    from fakturera.invoicing.models import Invoice, InvoiceLine, InvoiceVat


def credit_refusal(invoice: Invoice) -> str:
    """Why `invoice` cannot be credited, or "" when it can (what is left per line is
    selectors.credit_remaining)."""
    if invoice.kind != InvoiceKind.INVOICE:
        return _("A credit note cannot be credited.")
    if invoice.status == InvoiceStatus.DRAFT:
        return _("A draft is not credited; change or delete it instead.")
    if invoice.status == InvoiceStatus.CREDITED:
        return _("Invoice %(n)s is already fully credited.") % {"n": invoice.display_number}
    return ""


def issue_date_refusal(issued_on: dt.date, *, latest: dt.date | None, today: dt.date, days_ahead: int) -> str:
    """Why a document of the series cannot be dated `issued_on`, or "" when it can.

    Bokföringslagen keeps verifications in chronological order, and the numbers of a
    series are taken in issuing order: no date before the `latest` one already issued in
    the series (invoices and credit notes alike). Nor more than `days_ahead` (the
    company's setting) after `today`, which catches a mistyped year. Dates as the UI
    shows them everywhere (ISO 8601, as Swedish writes them)."""
    last = today + dt.timedelta(days=days_ahead)
    if (latest is None or issued_on >= latest) and issued_on <= last:
        return ""
    if latest is None:
        return _("The invoice date must be %(last)s or earlier.") % {"last": last.isoformat()}
    if latest > last:
        return _(
            "The series already has a document dated %(latest)s, more than %(days)s days ahead; "
            "a later document cannot be dated before it."
        ) % {"latest": latest.isoformat(), "days": days_ahead}
    return _("The invoice date must be between %(first)s and %(last)s.") % {
        "first": latest.isoformat(),
        "last": last.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class VatFigure:
    key: VatKey
    taxable_amount: Decimal
    vat_amount: Decimal


@dataclass(frozen=True, slots=True)
class Figures:
    line_amounts: tuple[Decimal, ...]  # one per line, in the lines' order
    vat: tuple[VatFigure, ...]
    net_amount: Decimal
    vat_amount: Decimal
    rounding_amount: Decimal
    total_amount: Decimal

    def totals(self) -> dict[str, Decimal]:
        return {
            "net_amount": self.net_amount,
            "vat_amount": self.vat_amount,
            "rounding_amount": self.rounding_amount,
            "total_amount": self.total_amount,
        }


def figures(
    invoice: Invoice, lines: Sequence[InvoiceLine], vat_breakdown: Sequence[InvoiceVat], *, round_to_whole: bool
) -> Figures:
    """The amounts of `invoice` as shown, given its `lines` and (issued) its stored
    `vat_breakdown`; `round_to_whole` is the company's setting, used for drafts only."""
    if invoice.status == InvoiceStatus.DRAFT:
        totals = compute_totals(
            lines=[LineInput(line.quantity, line.unit_price, line.vat_key) for line in lines],
            currency=invoice.currency,
            round_to_whole=round_to_whole,
        )
        return Figures(
            line_amounts=tuple(totals.line_net_amounts),
            vat=tuple(VatFigure(g.key, g.taxable_amount, g.vat_amount) for g in totals.vat_groups),
            **totals.as_fields(),
        )
    return Figures(
        line_amounts=tuple(line.net_amount for line in lines),
        vat=tuple(VatFigure(row.vat_key, row.taxable_amount, row.vat_amount) for row in vat_breakdown),
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        rounding_amount=invoice.rounding_amount,
        total_amount=invoice.total_amount,
    )


def figures_cash_discount(invoice: Invoice, shown: Figures) -> CashDiscount | None:
    """The cash discount of `invoice` on its `shown` figures: a draft's as issuing it now would
    give (no last day yet), an issued invoice's from what is stored."""
    if invoice.kind != InvoiceKind.INVOICE:
        return None
    return cash_discount(
        total_amount=shown.total_amount,
        vat_rows=[(v.key.category, v.key.rate, v.taxable_amount, v.vat_amount) for v in shown.vat],
        currency=invoice.currency,
        percent=invoice.cash_discount_percent,
        until=invoice.cash_discount_until,
    )


# --- the cash discount (seed 004) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CashDiscountPart:
    """The share of the discount that falls on one VAT group: what a credit note or a
    bookkeeping correction posts against that group's sales and output VAT."""

    vat_category: str
    vat_rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal

    @property
    def amount(self) -> Decimal:
        return self.net_amount + self.vat_amount


@dataclass(frozen=True, slots=True)
class CashDiscount:
    percent: Decimal
    until: dt.date | None  # the last day to pay with the discount (None on a draft)
    discount_amount: Decimal
    payable_amount: Decimal  # what settles the invoice until then: total - discount
    parts: tuple[CashDiscountPart, ...]  # per VAT group, adding up exactly to discount_amount


def cash_discount(
    *,
    total_amount: Decimal,
    vat_rows: Iterable[tuple[str, Decimal, Decimal, Decimal]],
    currency: str,
    percent: Decimal,
    until: dt.date | None,
) -> CashDiscount | None:
    """The discount of an invoice of `total_amount` (the amount due, any rounding included) with
    the stored VAT breakdown `vat_rows` as (category, rate, taxable, VAT); None at 0 %.

    The discount is the total times the percent, rounded by the one rule (core.money). It is
    split over the VAT groups in proportion to each group's gross (taxable + VAT), each share
    rounded the same way and the remainder put on the largest group, so the parts add up to
    the discount exactly; a share is never more than what is left, so none is negative. Within
    a group the VAT part is in the group's own proportion of VAT to gross (the stored figures,
    so a group without VAT gets none) and the net part is the rest."""
    if percent <= 0:
        return None
    rows = [(category, rate, taxable, vat, taxable + vat) for category, rate, taxable, vat in vat_rows]
    discount = round_money(max(total_amount, ZERO) * percent / 100, currency)
    gross_total = sum((row[4] for row in rows), ZERO)
    shares = [round_money(ZERO, currency)] * len(rows)
    if rows and discount > 0 and gross_total > 0:
        largest = max(range(len(rows)), key=lambda index: (rows[index][4], -index))
        left = discount
        for index, row in enumerate(rows):
            if index != largest:
                shares[index] = min(round_money(discount * row[4] / gross_total, currency), left)
                left -= shares[index]
        shares[largest] = left
    parts = []
    for (category, rate, _taxable, vat, gross), share in zip(rows, shares, strict=True):
        vat_part = round_money(share * vat / gross, currency) if gross > 0 else round_money(ZERO, currency)
        parts.append(CashDiscountPart(category, rate, share - vat_part, vat_part))
    return CashDiscount(
        percent=percent,
        until=until,
        discount_amount=discount,
        payable_amount=total_amount - discount,
        parts=tuple(parts),
    )


def cash_discount_applies(terms: CashDiscount | None, paid_on: dt.date, paid_amount: Decimal) -> bool:
    """Whether a payment of `paid_amount` on `paid_on` settles the invoice with its discount:
    paid by the last day of the period and at least the discounted amount."""
    if terms is None or terms.until is None or terms.discount_amount <= 0:
        return False
    return paid_on <= terms.until and paid_amount >= terms.payable_amount


# --- VAT in kronor on an invoice in another currency --------------------------------------------------

# The currency a Swedish seller accounts VAT in (Bokföringslagen 4 kap. 6 § allows euro to some
# companies; none of ours asks for it yet, so the VAT accounting currency is always SEK, BT-6).
VAT_ACCOUNTING_CURRENCY = "SEK"
# The latest rate may be a few days old (no rate is published on weekends and holidays, and
# Skatteverket says the latest one published then is used: its guidance on 8 kap. 21 § ML);
# ten days covers Easter and Christmas. An older one is a rate nobody entered, not a holiday.
EXCHANGE_RATE_MAX_AGE_DAYS = 10


def needs_exchange_rate(*, seller_country: str, currency: str, vat_amount: Decimal) -> bool:
    """Whether an invoice must also state its VAT in SEK: a Swedish seller's invoice in another
    currency with VAT to pay (Mervärdesskattelagen 2023:200, 17 kap. 29 § first paragraph,
    article 230 of the VAT directive). Reverse charge, exempt and zero-rated invoices have no
    VAT amount to state; a seller outside Sweden follows its own country's rule (not yet ours)."""
    return seller_country == "SE" and currency != VAT_ACCOUNTING_CURRENCY and vat_amount != 0


def vat_in_sek(vat_amount: Decimal, rate: Decimal) -> Decimal:
    """The invoice's VAT in SEK (BT-111): its stored VAT total times the rate (SEK per unit),
    rounded once by the one rule (core.money), as 17 kap. 29 § second paragraph converts it
    (the way 8 kap. 21-23 §§ convert the taxable amount)."""
    return round_money(vat_amount * rate, VAT_ACCOUNTING_CURRENCY)


def exchange_rate_refusal(*, what: str, currency: str, issued_on: dt.date, latest_on: dt.date | None) -> str:
    """Why `what` (an invoice, in words) cannot be issued on `issued_on` with the company's
    latest `currency` rate published on or before that day (`latest_on`), or "" when it can.

    The rule (8 kap. 21 § ML, by 17 kap. 29 § second paragraph): the latest rate published
    when the VAT becomes chargeable; we take the invoice date as that moment, and the rate of
    that day when there is one (the Riksbank publishes at 16.15, so a rate typed for a day
    is taken as known on it)."""
    if latest_on is None:
        return _(
            "%(what)s is in %(currency)s with VAT, which must also be stated in SEK, and there is no "
            "%(currency)s exchange rate on or before %(date)s. Enter one under Settings, Exchange rates."
        ) % {"what": what, "currency": currency, "date": issued_on.isoformat()}
    if (issued_on - latest_on).days > EXCHANGE_RATE_MAX_AGE_DAYS:
        return _(
            "%(what)s is in %(currency)s with VAT, which must also be stated in SEK, and the latest "
            "%(currency)s exchange rate is from %(latest)s, more than %(days)s days before %(date)s. "
            "Enter the rate for the invoice date under Settings, Exchange rates."
        ) % {
            "what": what,
            "currency": currency,
            "latest": latest_on.isoformat(),
            "days": EXCHANGE_RATE_MAX_AGE_DAYS,
            "date": issued_on.isoformat(),
        }
    return ""
