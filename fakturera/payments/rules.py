"""The payment rules, pure: no ORM, plain values in and out (DESIGN.md, "Rules")."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from fakturera.payments.states import ReceivableState

ZERO = Decimal("0.00")


def receivable_state(*, owed: Decimal, settled: Decimal) -> ReceivableState:
    """The state of an invoice from what it is owed (total less what credit notes credit) and
    what allocations settled. A fully credited invoice owes nothing and is paid."""
    if settled > owed:
        return ReceivableState.OVERPAID
    if settled == owed:
        return ReceivableState.PAID
    if settled > ZERO:
        return ReceivableState.PARTLY_PAID
    return ReceivableState.UNPAID


def days_late(*, due_on: dt.date, paid_on: dt.date) -> int | None:
    """Days after the due date a payment came; None when on time."""
    late = (paid_on - due_on).days
    return late if late > 0 else None


@dataclass(frozen=True)
class Settlement:
    """What one payment does to one invoice: `allocated` goes onto it (the whole payment, also
    what exceeds the open amount: the invoice is then over-paid and the excess the customer's
    credit balance), `discount` the early-payment discount that settles the rest."""

    allocated: Decimal
    discount: Decimal
    is_double: bool
    days_late: int | None


def settle(
    *,
    open_amount: Decimal,
    owed: Decimal,
    amount: Decimal,
    paid_on: dt.date,
    due_on: dt.date,
    discount_amount: Decimal = ZERO,
    discount_until: dt.date | None = None,
) -> Settlement:
    """A payment of `amount` on `paid_on` for an invoice with `open_amount` left.

    A payment for an invoice nothing is left of (it was paid) is a double payment: booked, its
    money the customer's credit. A payment within the discount period of at least the
    discounted amount settles the invoice with the whole discount (seed 004; what is paid above
    the discounted amount is then an over-payment); only for a payment of the invoice in one,
    not once part of it was paid, and not after the last day."""
    is_double = open_amount <= ZERO < owed
    discount = ZERO
    if (
        discount_amount > ZERO
        and discount_until is not None
        and paid_on <= discount_until
        and open_amount == owed
        and owed - discount_amount <= amount < owed
    ):
        discount = discount_amount
    late = None if is_double else days_late(due_on=due_on, paid_on=paid_on)
    return Settlement(allocated=amount, discount=discount, is_double=is_double, days_late=late)


def allocation_refusal(*, amount: Decimal, open_amount: Decimal, payment_currency: str, invoice_currency: str) -> str:
    """Why a payment may not put `amount` on an invoice by hand, as a code ("" when it may):
    `currency` (another currency than the invoice), `amount` (zero or negative), `above_open`
    (more than is left to pay: the rest stays a credit balance instead)."""
    if payment_currency != invoice_currency:
        return "currency"
    if amount <= ZERO:
        return "amount"
    if amount > open_amount:
        return "above_open"
    return ""


_WORD = re.compile(r"[^\W_]+")
_FORMS = frozenset({"ab", "hb", "kb", "aps", "as", "asa", "oy", "oyj", "ltd", "inc", "gmbh", "the", "och", "and"})


def name_words(name: str) -> frozenset[str]:
    """A name's words for comparing payers with customers: case and accents folded, company
    forms ("AB", "ApS", "Oy") and one-letter words left out."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return frozenset(w for w in _WORD.findall(folded) if len(w) > 1 and w not in _FORMS)


def names_agree(payer: str, customer: str) -> bool:
    """Whether a payer's name as the bank gives it is the customer's: every word of the shorter
    name in the other ("ANDERSSON, ANNA" and "Anna Andersson"; "Kliniken Syd AB" and "KLINIKEN
    SYD")."""
    a, b = name_words(payer), name_words(customer)
    if not a or not b:
        return False
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return shorter <= longer
