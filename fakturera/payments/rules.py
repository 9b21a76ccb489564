"""The payment rules, pure: no ORM, plain values in and out (DESIGN.md, "Rules")."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import combinations

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


@lru_cache(maxsize=4096)  # a file names the same payers and customers again and again
def name_words(name: str) -> frozenset[str]:
    """A name's words for comparing payers with customers: case and accents folded, company
    forms ("AB", "ApS", "Oy") and one-letter words left out."""
    folded = name.casefold()
    if not folded.isascii():  # ASCII has nothing to decompose and no accents to drop
        folded = unicodedata.normalize("NFKD", folded)
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


# A payer's name of more words than this is compared with every name sharing a word with it
# rather than by its sets of fewer words (2^n of them).
_SUBSET_WORDS = 10


class NameIndex:
    """Many names (id -> name) indexed by their words, to find those that `names_agree` with a
    payer without comparing it with every one: a name agreeing with the payer's either holds all
    of its words (found where the names holding each word meet) or is made of fewer of its words
    (looked up by each such set). `agreeing` gives the same ids as testing every name, in the
    order the names were given."""

    def __init__(self, names: Iterable[tuple[int, str]]) -> None:
        self.order: dict[int, int] = {}
        self.words: dict[int, frozenset[str]] = {}
        self.by_word: dict[str, list[int]] = {}
        self.by_words: dict[frozenset[str], list[int]] = {}
        for position, (pk, name) in enumerate(names):
            words = name_words(name)
            if not words:
                continue
            self.order[pk] = position
            self.words[pk] = words
            self.by_words.setdefault(words, []).append(pk)
            for word in words:
                self.by_word.setdefault(word, []).append(pk)

    def agreeing(self, payer: str, *, limit: int | None = None) -> list[int]:
        words = name_words(payer)
        if not words:
            return []
        postings = [self.by_word.get(word, []) for word in words]
        found: set[int] = set()
        # Names holding every word of the payer's (as long or longer).
        smallest = min(postings, key=len)
        found.update(pk for pk in smallest if words <= self.words[pk])
        # Names made of fewer of the payer's words.
        if len(words) <= _SUBSET_WORDS:
            for size in range(1, len(words)):
                for subset in combinations(sorted(words), size):
                    found.update(self.by_words.get(frozenset(subset), ()))
        else:
            found.update(pk for posting in postings for pk in posting if self.words[pk] < words)
        ordered = sorted(found, key=self.order.__getitem__)
        return ordered if limit is None else ordered[:limit]
