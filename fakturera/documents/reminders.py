"""What a reminder letter says: the input of the reminder PDF (`pdf/reminder_content.py`,
rendered by `services.reminder_pdfs`).

Plain frozen dataclasses, so collections (above documents in the layers) can build one
without documents knowing of collections: collections decides the level, the fee, the
interest and the new due date by the law of the customer's country; documents prints
what it is given and refuses what would make a wrong letter (an invoice with nothing
left to pay, a due date not in the future, amounts not rounded by core.money).
Nothing here is summed or rounded except the total, an exact sum of already rounded parts
(BR-CO-10's rule, applied to the letter).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from fakturera.core.errors import ErrorCollector
from fakturera.core.money import CURRENCIES, round_money
from fakturera.core.text import text_error
from fakturera.documents.data import Party
from fakturera.documents.pdf.labels import LOCALES

# The fee kinds a letter can claim, each printed with its legal name (pdf/labels.py):
# - "reminder_fee": a fee for a written reminder. Sweden: påminnelseavgift, lag (1981:739)
#   om ersättning för inkassokostnader m.m. 2 § and 4 § 1 (at most 60 kr, if agreed when
#   the debt arose); Denmark: rykkergebyr, renteloven § 9 b (at most 100 kr, three per
#   claim); Norway: purregebyr, inkassoforskriften kap. 1 (a share of the inkassosats).
# - "late_payment_compensation": the one-off compensation between businesses of Directive
#   2011/7/EU art. 6. Sweden: förseningsersättning, lag (1981:739) 4 a § (450 kr); Denmark:
#   kompensationsbeløb, renteloven § 9 a stk. 3; Norway: standardkompensasjon,
#   forsinkelsesrenteloven § 3 a.
# Which one applies, and its amount, is collections' rule; the letter names it.
FEE_KINDS = ("reminder_fee", "late_payment_compensation")


@dataclass(frozen=True)
class ReminderInvoice:
    """One overdue invoice as the letter lists it (figures as stored; `paid_amount` is all
    that was paid or credited against it so far)."""

    number: str
    issued_on: dt.date
    due_on: dt.date
    total_amount: Decimal
    paid_amount: Decimal
    payment_reference: str = ""  # the invoice's OCR or RF reference

    @property
    def remaining_amount(self) -> Decimal:
        return self.total_amount - self.paid_amount

    def days_overdue(self, on: dt.date) -> int:
        return (on - self.due_on).days


@dataclass(frozen=True)
class ReminderFee:
    kind: str  # one of FEE_KINDS
    amount: Decimal


@dataclass(frozen=True)
class ReminderInterest:
    """Late-payment interest on one invoice over one period at one annual rate: a period
    ends where the rate in force or the principal changes, so an invoice may have several
    (the rate in force for each day, räntelagen 9 § / renteloven § 5 / forsinkelsesrenteloven § 3)."""

    invoice_number: str
    principal_amount: Decimal
    rate: Decimal  # percent a year: Decimal("10.5")
    from_on: dt.date  # the first day interest runs (the day after the due date, räntelagen 6 §)
    to_on: dt.date  # the last day counted, inclusive
    amount: Decimal


@dataclass(frozen=True)
class Reminder:
    """One reminder letter to one customer, in one language and one currency."""

    language: str  # parties.Language: sv, en, da, nb
    currency: str
    level: int  # 1 for the first reminder
    reminded_on: dt.date  # the letter's date
    due_on: dt.date  # the new due date
    seller: Party  # the letterhead: the invoices' seller snapshot
    buyer: Party  # the customer (customer number, reference)
    invoices: tuple[ReminderInvoice, ...]
    fees: tuple[ReminderFee, ...] = ()
    interest: tuple[ReminderInterest, ...] = ()
    text: str = ""  # the policy level's letter text, the company's own words
    # The reference to pay the total with; empty: the one invoice's own, or, for several,
    # each invoice with its own (the table lists them).
    payment_reference: str = ""
    # The window envelope's address (documents.data.addressee of the invoice's buyer
    # snapshot); None: the buyer's.
    addressee: Party | None = None

    def __post_init__(self) -> None:
        reminder_check(self)

    @property
    def address_block(self) -> Party:
        return self.addressee or self.buyer

    @property
    def overdue_amount(self) -> Decimal:
        return sum((invoice.remaining_amount for invoice in self.invoices), Decimal("0.00"))

    @property
    def fee_amount(self) -> Decimal:
        return sum((fee.amount for fee in self.fees), Decimal("0.00"))

    @property
    def interest_amount(self) -> Decimal:
        return sum((row.amount for row in self.interest), Decimal("0.00"))

    @property
    def total_amount(self) -> Decimal:
        return self.overdue_amount + self.fee_amount + self.interest_amount

    @property
    def reference_to_pay_with(self) -> str:
        if self.payment_reference:
            return self.payment_reference
        if len(self.invoices) == 1:
            return self.invoices[0].payment_reference
        return ""


def _is_money(amount: Decimal, currency: str) -> bool:
    return isinstance(amount, Decimal) and amount.is_finite() and round_money(amount, currency) == amount


def reminder_check(reminder: Reminder) -> None:
    """Refuse, with every reason at once (ValidationFailed), a letter that would be wrong."""
    errors = ErrorCollector()
    if reminder.language not in LOCALES:
        errors.add(
            "language",
            _("A reminder cannot be written in “%(language)s”: the languages are %(languages)s.")
            % {"language": reminder.language, "languages": ", ".join(LOCALES)},
        )
    currency = reminder.currency
    if currency not in CURRENCIES:
        errors.add("currency", _("Unknown currency “%(currency)s”.") % {"currency": currency})
        currency = "SEK"  # to check the amounts' form all the same
    if reminder.level < 1:
        errors.add("level", _("A reminder's level is 1 or more."))
    if reminder.due_on <= reminder.reminded_on:
        errors.add("due_on", _("A reminder's new due date comes after the reminder's date."))
    if problem := text_error(reminder.text, multiline=True):
        errors.add("text", problem)
    if not reminder.invoices:
        errors.add("invoices", _("A reminder lists at least one overdue invoice."))
    numbers = [invoice.number for invoice in reminder.invoices]
    if len(set(numbers)) != len(numbers):
        errors.add("invoices", _("A reminder lists each invoice once."))
    for invoice in reminder.invoices:
        if not all(_is_money(amount, currency) for amount in (invoice.total_amount, invoice.paid_amount)):
            errors.add(
                "invoices",
                _("Invoice %(number)s: amounts are rounded to the currency's minor unit.") % {"number": invoice.number},
            )
        elif invoice.remaining_amount <= 0:
            # A paid invoice is never reminded (issue 15: no reminders to customers who paid).
            errors.add(
                "invoices",
                _("Invoice %(number)s has nothing left to pay and cannot be reminded.") % {"number": invoice.number},
            )
        if invoice.due_on >= reminder.reminded_on:
            errors.add(
                "invoices", _("Invoice %(number)s is not overdue on the reminder's date.") % {"number": invoice.number}
            )
    for fee in reminder.fees:
        if fee.kind not in FEE_KINDS:
            errors.add("fees", _("Unknown kind of fee “%(kind)s”.") % {"kind": fee.kind})
        if not _is_money(fee.amount, currency) or fee.amount <= 0:
            errors.add("fees", _("A fee is an amount above zero, rounded to the currency's minor unit."))
    for row in reminder.interest:
        if row.invoice_number not in numbers:
            errors.add(
                "interest",
                _("Interest on invoice %(number)s, which the reminder does not list.") % {"number": row.invoice_number},
            )
        if not (_is_money(row.amount, currency) and _is_money(row.principal_amount, currency)) or row.amount < 0:
            errors.add("interest", _("Interest is an amount of zero or more, rounded to the currency's minor unit."))
        if row.to_on < row.from_on or row.to_on > reminder.reminded_on or row.rate < 0:
            errors.add("interest", _("Interest runs at a rate of zero or more, from its first day to its last, "
                                     "at the latest the reminder's date."))  # fmt: skip
    errors.raise_if_any()
