"""Rules the staff UI and the API both ask, decided here once.

Pure functions of what the caller has read: no queries, no writes.

- `credit_refusal`: whether an invoice can be credited at all, and if not, why, in
  the words shown to the user (credit_note_create raises the same sentence).
- `figures`: a document's amounts as shown: a draft's are what issuing it now would
  store (the one rule of totals.py, with the company's rounding setting); an issued
  document's are the stored ones, never recomputed.
- `issue_date_refusal`: whether a document may be dated so (issuing.issue_documents
  asks it under the series lock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from fakturera.catalog.vat import VatKey
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
