"""Pure rules of bookkeeping: the chart's default accounts, which account a line goes to, and the
voucher each business event makes (its transactions, balanced). No ORM: the services read the
facts, these decide, the services write.

Accounts are BAS's (the BAS chart of accounts, BAS-kontoplanen 2025, bas.se), the chart nearly
every Swedish company and bookkeeping program uses, so an SIE file of these vouchers reads in
Fortnox, Visma or any other without a mapping. Amounts are signed as SIE 4 writes #TRANS: debit
positive, credit negative; a voucher's lines add up to zero.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fakturera.bookkeeping.states import Series, SourceKind
from fakturera.core.errors import DomainError
from fakturera.core.money import round_money

ZERO = Decimal("0.00")

# The purposes a company maps to accounts, with BAS's account for each and what it is called
# there (BAS 2025). Sales go by VAT category and rate (a line's own account code, from its
# product or treatment type, comes first: `line_account`).
BAS_DEFAULTS: dict[str, str] = {
    "receivables": "1510",  # Kundfordringar
    "bank": "1930",  # Företagskonto/checkkonto/affärskonto (the account the bankgiro pays into)
    "prepayments": "2420",  # Förskott från kunder: money of a customer not on an invoice
    "vat_25": "2611",  # Utgående moms på försäljning inom Sverige, 25 %
    "vat_12": "2621",  # Utgående moms på försäljning inom Sverige, 12 %
    "vat_6": "2631",  # Utgående moms på försäljning inom Sverige, 6 %
    "sales_25": "3001",  # Försäljning inom Sverige, 25 % moms
    "sales_12": "3002",  # Försäljning inom Sverige, 12 % moms
    "sales_6": "3003",  # Försäljning inom Sverige, 6 % moms
    "sales_zero": "3004",  # Försäljning inom Sverige, momsfri (Z)
    "sales_exempt": "3004",  # the same, exempt supplies (E: such as healthcare, ML 10 kap.)
    "sales_outside": "3004",  # the same, outside the scope of VAT (O)
    "sales_reverse_charge": "3308",  # Försäljning tjänster till annat EU-land (AE, the buyer accounts for VAT)
    "sales_eu_goods": "3108",  # Försäljning varor till annat EU-land, momsfri (K)
    "sales_export": "3305",  # Försäljning tjänster till land utanför EU (G)
    "rounding": "3740",  # Öres- och kronutjämning
    "cash_discounts": "3731",  # Lämnade kassarabatter
    # BAS has no account of its own for reminder fees; they are no consideration for a supply
    # and carry no VAT, so "Övriga ersättningar och intäkter" in the group of other operating
    # income. The lines of a reminder-fee invoice carry this account (`line_account`).
    "reminder_fees": "3990",
    "interest": "8313",  # Ränteintäkter från kortfristiga fordringar (late-payment interest)
    # A foreign-currency receivable paid at another rate than it was booked at (DESIGN.md,
    # "Foreign currency"): Valutakursvinster / -förluster på fordringar och skulder av rörelsekaraktär.
    "exchange_gains": "3960",
    "exchange_losses": "7960",
}

# What BAS 2025 calls the accounts this app books on by default: #KONTO's names in the SIE file
# and the journal's. An account a company chose outside these is named by its number.
BAS_NAMES: dict[str, str] = {
    "1510": "Kundfordringar",
    "1930": "Företagskonto/checkkonto/affärskonto",
    "2420": "Förskott från kunder",
    "2611": "Utgående moms på försäljning inom Sverige, 25 %",
    "2621": "Utgående moms på försäljning inom Sverige, 12 %",
    "2631": "Utgående moms på försäljning inom Sverige, 6 %",
    "3001": "Försäljning inom Sverige, 25 % moms",
    "3002": "Försäljning inom Sverige, 12 % moms",
    "3003": "Försäljning inom Sverige, 6 % moms",
    "3004": "Försäljning inom Sverige, momsfri",
    "3108": "Försäljning varor till annat EU-land, momsfri",
    "3305": "Försäljning tjänster till land utanför EU",
    "3308": "Försäljning tjänster till annat EU-land",
    "3731": "Lämnade kassarabatter",
    "3740": "Öres- och kronutjämning",
    "3960": "Valutakursvinster på fordringar och skulder av rörelsekaraktär",
    "3990": "Övriga ersättningar och intäkter",
    "7960": "Valutakursförluster på fordringar och skulder av rörelsekaraktär",
    "8313": "Ränteintäkter från kortfristiga fordringar",
}


def account_name(number: str) -> str:
    return BAS_NAMES.get(number) or f"Konto {number}"


def account_type(number: str) -> str:
    """SIE's #KTYP by BAS's account classes: 1 assets (T), 2 equity and liabilities (S), 3 income (I),
    4-7 costs (K); in class 8 financial income 80-83 (I), the rest costs and appropriations (K)."""
    first = number[:1]
    if first == "1":
        return "T"
    if first == "2":
        return "S"
    if first == "3" or (first == "8" and number[1:2] in "0123"):
        return "I"
    return "K"


def is_balance_sheet(number: str) -> bool:
    """Classes 1 and 2 carry a balance from one year into the next (#IB/#UB); 3-8 are the year's
    result (#RES)."""
    return number[:1] in ("1", "2")


PURPOSES: dict[str, object] = {
    "receivables": gettext_lazy("Accounts receivable"),
    "bank": gettext_lazy("Bank (where payments arrive)"),
    "prepayments": gettext_lazy("Customer prepayments and credit balances"),
    "vat_25": gettext_lazy("Output VAT 25 %"),
    "vat_12": gettext_lazy("Output VAT 12 %"),
    "vat_6": gettext_lazy("Output VAT 6 %"),
    "sales_25": gettext_lazy("Sales, 25 % VAT"),
    "sales_12": gettext_lazy("Sales, 12 % VAT"),
    "sales_6": gettext_lazy("Sales, 6 % VAT"),
    "sales_zero": gettext_lazy("Sales, zero rated"),
    "sales_exempt": gettext_lazy("Sales exempt from VAT"),
    "sales_outside": gettext_lazy("Sales outside the scope of VAT"),
    "sales_reverse_charge": gettext_lazy("Sales with reverse charge"),
    "sales_eu_goods": gettext_lazy("Intra-community supplies of goods"),
    "sales_export": gettext_lazy("Exports outside the EU"),
    "rounding": gettext_lazy("Rounding (öresavrundning)"),
    "cash_discounts": gettext_lazy("Cash discounts given"),
    "reminder_fees": gettext_lazy("Reminder fees"),
    "interest": gettext_lazy("Interest income"),
    "exchange_gains": gettext_lazy("Exchange gains"),
    "exchange_losses": gettext_lazy("Exchange losses"),
}

_SALES_BY_CATEGORY = {
    "Z": "sales_zero",
    "E": "sales_exempt",
    "O": "sales_outside",
    "AE": "sales_reverse_charge",
    "K": "sales_eu_goods",
    "G": "sales_export",
}

# The countries whose companies keep their books here: BAS and SIE are Swedish, in kronor.
BOOK_CURRENCY = {"SE": "SEK"}
# The language of voucher texts: the books of a Swedish company, read by its accountant and the
# Swedish Tax Agency; a text is fixed when the voucher is booked. Refusals are in the reader's.
BOOKS_LANGUAGE = "sv"


@functools.cache
def _books_wording(msgid: str) -> str:
    """A message in the books' language, looked up once per process (a bank file's fifty
    thousand vouchers switched the language twice each: 1.2 s of a 50,000-line import)."""
    with translation.override(BOOKS_LANGUAGE):
        return translation.gettext(msgid)


def _booked(msgid: str, **params: object) -> str:
    """A voucher's text (a message marked with gettext_noop), worded in the books' language."""
    template = _books_wording(msgid)
    return (template % params if params else template)[:200]


def is_account(code: str) -> bool:
    """An account of the chart: four digits, the first 1 to 8 (BAS's account classes)."""
    return len(code) == 4 and code.isdigit() and code[0] in "12345678"


def _rate_key(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def sales_purpose(category: str, rate: Decimal) -> str:
    if category == "S":
        return f"sales_{_rate_key(rate)}"
    return _SALES_BY_CATEGORY.get(category, f"sales_{category}")


def vat_purpose(rate: Decimal) -> str:
    return f"vat_{_rate_key(rate)}"


def mapping_problems(accounts: Mapping[str, str]) -> dict[str, str]:
    """What is wrong with a whole mapping, purpose -> problem in words; empty when every purpose
    has an account of the chart. Checked when it is saved, so no voucher meets a gap."""
    problems: dict[str, str] = {}
    for purpose in PURPOSES:
        account = (accounts.get(purpose) or "").strip()
        if not account:
            problems[purpose] = _("Choose an account for “%(purpose)s”.") % {"purpose": PURPOSES[purpose]}
        elif not is_account(account):
            problems[purpose] = _("“%(account)s” is not an account: four digits of the BAS chart, such as 3001.") % {
                "account": account
            }
    return problems


def account(accounts: Mapping[str, str], purpose: str, *, what: str) -> str:
    """The account of `purpose`, or a refusal naming what needed it (a line, a VAT rate)."""
    found = accounts.get(purpose, "")
    if not is_account(found):
        raise DomainError(
            _("%(what)s has no account in the bookkeeping settings (%(purpose)s); add one there.")
            % {"what": what, "purpose": purpose},
            code="account_unmapped",
        )
    return found


def line_account(accounts: Mapping[str, str], *, account_code: str, category: str, rate: Decimal, what: str) -> str:
    """A line's sales account: its own account code when it has one (from its product, treatment
    or contact type, or set on the line: a reminder fee's, an interest line's), else the
    company's account for its VAT category and rate."""
    code = (account_code or "").strip()
    if code:
        if not is_account(code):
            raise DomainError(
                _("%(what)s has the account “%(account)s”, which is not an account of the chart (four digits).")
                % {"what": what, "account": code},
                code="account_unknown",
            )
        return code
    return account(accounts, sales_purpose(category, rate), what=what)


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    amount: Decimal
    text: str = ""


@dataclass(slots=True)
class Draft:
    """A voucher to write: numbered when written (numbering.py)."""

    source_kind: str
    source_id: int
    series: str
    date: dt.date
    text: str
    lines: list[Line] = field(default_factory=list)
    # A document or payment in another currency than the books': its currency and the rate (SEK
    # per unit) its amounts were converted at, kept on the voucher; "" and None in kronor.
    currency: str = ""
    exchange_rate: Decimal | None = None

    def add(self, account: str, amount: Decimal, text: str = "") -> None:
        self.lines.append(Line(account, amount, text))

    def merged(self) -> Draft:
        """Lines of the same account and text added up, in the order they first came; lines that
        come to zero left out (SIE has no use for them, and a payment's prepayment line nets out
        when all of it went onto invoices)."""
        sums: dict[tuple[str, str], Decimal] = {}
        for line in self.lines:
            sums[(line.account, line.text)] = sums.get((line.account, line.text), ZERO) + line.amount
        self.lines = [Line(acc, amount, text) for (acc, text), amount in sums.items() if amount != 0]
        return self


def in_books(amount: Decimal, rate: Decimal | None) -> Decimal:
    """An amount of a foreign-currency document or payment in the books' kronor: times its rate,
    rounded once by the one rule (core.money); an amount already in kronor (rate None) as it is."""
    return amount if rate is None else round_money(amount * rate, "SEK")


def settle_exchange_difference(draft: Draft, accounts: Mapping[str, str]) -> None:
    """A receivable booked at its invoice's rate and paid at the payment day's rate leaves a
    difference: a gain (the money worth more kronor than the receivable) credited to exchange
    gains (BAS 3960), a loss debited to exchange losses (7960), so the voucher balances."""
    total = sum((line.amount for line in draft.lines), ZERO)
    if total < 0:
        draft.add(account(accounts, "exchange_losses", what=_("An exchange loss")), -total)
    elif total > 0:
        draft.add(account(accounts, "exchange_gains", what=_("An exchange gain")), -total)


def check_balanced(draft: Draft) -> None:
    """Double entry: debits equal credits. A voucher that does not balance is a bug, never booked."""
    total = sum((line.amount for line in draft.lines), ZERO)
    if total != 0:
        raise AssertionError(f"voucher {draft.source_kind} {draft.source_id} does not balance: {total} {draft.lines}")


def fiscal_year_start(day: dt.date) -> dt.date:
    """The calendar year (Bokföringslagen 3 kap. 1 §: the fiscal year is twelve months; the
    calendar year unless the company chose another). TODO in DESIGN.md: a broken fiscal year."""
    return dt.date(day.year, 1, 1)


# --- invoices and credit notes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentLine:
    position: int
    description: str
    account_code: str
    category: str
    rate: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class DocumentVat:
    category: str
    rate: Decimal
    vat: Decimal


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    is_credit_note: bool
    number: str
    customer: str
    issued_on: dt.date
    total: Decimal
    rounding: Decimal
    lines: Sequence[DocumentLine]
    vats: Sequence[DocumentVat]
    credited_number: str = ""
    currency: str = ""  # set when it is not the books' currency
    exchange_rate: Decimal | None = None  # SEK per unit, for a document in another currency
    sek_vat: Decimal | None = None  # its VAT in SEK as stated on it (invoicing's sek_vat_amount)
    credited_id: int | None = None  # a credit note's invoice


def document_voucher(doc: Document, accounts: Mapping[str, str]) -> Draft:
    """An invoice: receivables debited with the total; each sales account credited with its lines'
    nets; output VAT credited per rate; öresavrundning for the rounding amount (BT-114). A credit
    note is the mirror image. Amounts as stored on the document (BR-CO-10: the total is the exact
    sum of the rounded parts, so the voucher balances by construction; check_balanced holds it)."""
    sign = -1 if doc.is_credit_note else 1
    if doc.is_credit_note:
        text = _booked(
            gettext_noop("Credit note %(number)s (credits %(credited)s), %(customer)s"),
            number=doc.number,
            credited=doc.credited_number,
            customer=doc.customer,
        )
        kind = SourceKind.CREDIT_NOTE
    else:
        text = _booked(gettext_noop("Invoice %(number)s, %(customer)s"), number=doc.number, customer=doc.customer)
        kind = SourceKind.INVOICE
    draft = Draft(
        kind, doc.id, Series.INVOICES, doc.issued_on, text, currency=doc.currency, exchange_rate=doc.exchange_rate
    )
    rate = doc.exchange_rate
    receivable = account(accounts, "receivables", what=_("Invoice %(number)s") % {"number": doc.number})
    draft.add(receivable, sign * in_books(doc.total, rate))
    for line in doc.lines:
        what = _("Line %(n)s (“%(line)s”) of %(document)s") % {
            "n": line.position,
            "line": line.description,
            "document": doc.number,
        }
        acc = line_account(accounts, account_code=line.account_code, category=line.category, rate=line.rate, what=what)
        draft.add(acc, -sign * in_books(line.net, rate))
    vats = [vat for vat in doc.vats if vat.vat != 0]
    for vat in vats:
        what = _("Output VAT at %(rate)s %%") % {"rate": _rate_key(vat.rate)}
        # One rate: the VAT in SEK exactly as the invoice states it (Mervärdesskattelagen 17 kap. 29 §).
        amount = (
            doc.sek_vat if rate is not None and doc.sek_vat is not None and len(vats) == 1 else in_books(vat.vat, rate)
        )
        draft.add(account(accounts, vat_purpose(vat.rate), what=what), -sign * amount)
    if doc.rounding != 0:
        draft.add(account(accounts, "rounding", what=_("The rounding")), -sign * in_books(doc.rounding, rate))
    if rate is not None:
        # Each part converted and rounded on its own: what they miss of the total, in öre, is rounding.
        residual = sum((line.amount for line in draft.lines), ZERO)
        if residual:
            draft.add(account(accounts, "rounding", what=_("The rounding")), -residual)
    draft.merged()
    check_balanced(draft)
    return draft


# --- payments and allocations ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoneyIn:
    """A payment received (new in this booking) or undone."""

    id: int
    amount: Decimal
    booked_on: dt.date
    payer: str
    reference: str
    currency: str = ""  # set when it is not the books' currency
    exchange_rate: Decimal | None = None  # SEK per unit on its day


@dataclass(frozen=True, slots=True)
class VatPart:
    category: str
    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True, slots=True)
class AllocationFacts:
    """An allocation (payments' Allocation) as bookkeeping needs it. `amount` is signed as
    payments stores it: what it adds to the invoice's settled amount; a refund from a credit
    payment is positive (it uses the payment's money), from an over-paid invoice negative."""

    id: int
    payment_id: int | None
    invoice_id: int | None
    invoice_number: str
    customer_id: int
    kind: str
    amount: Decimal
    on: dt.date
    made_on: dt.date  # the day it was written (local)
    vat_parts: Sequence[VatPart] = ()
    # In another currency than the books': the rate its invoice's receivable was booked at, and
    # the rate of the money's side (the payment's day; a refund's day); None in kronor.
    currency: str = ""
    invoice_rate: Decimal | None = None
    money_rate: Decimal | None = None


# What needed an account, named only when it has none: worded then, not for every line booked.
_A_PAYMENT = gettext_lazy("A payment")


def _allocation_lines(draft: Draft, a: AllocationFacts, accounts: Mapping[str, str]) -> None:
    what = _A_PAYMENT
    if a.currency:
        draft.currency = a.currency
        draft.exchange_rate = draft.exchange_rate or a.money_rate
    money = in_books(a.amount, a.money_rate)
    if a.invoice_id is not None:
        invoice = _booked(gettext_noop("Invoice %(number)s"), number=a.invoice_number)
        # The receivable leaves at the rate it was booked at; the money comes at its own day's.
        draft.add(account(accounts, "receivables", what=what), -in_books(a.amount, a.invoice_rate), invoice)
    if a.kind == "refund":
        if a.invoice_id is not None:
            draft.add(account(accounts, "bank", what=what), money)
        else:
            draft.add(account(accounts, "prepayments", what=what), money)
            draft.add(account(accounts, "bank", what=what), -money)
    elif a.kind == "cash_discount":
        _discount_lines(draft, a, accounts)
    elif a.payment_id is not None:
        # The payment's money leaves (or, undone, returns to) the customer's prepayments.
        draft.add(account(accounts, "prepayments", what=what), money)


def _discount_lines(draft: Draft, a: AllocationFacts, accounts: Mapping[str, str]) -> None:
    """A cash discount lowers the sale and its output VAT (Mervärdesskattelagen: a discount after the
    sale reduces the taxable amount; payments/discounts.py): the net to lämnade kassarabatter, the
    VAT back off output VAT, per VAT group as payments split it (invoicing.rules.cash_discount)."""
    sign = 1 if a.amount > 0 else -1
    parts = list(a.vat_parts)
    if sum((p.net + p.vat for p in parts), ZERO) != abs(a.amount):
        # No split known: all of it a discount, output VAT left as it was (never less than due).
        parts = [VatPart("E", ZERO, abs(a.amount), ZERO)]
    # A discount lowers the sale: at the invoice's rate, as the sale was booked.
    rate = a.invoice_rate
    for part in parts:
        if part.net:
            draft.add(account(accounts, "cash_discounts", what=_("A cash discount")), sign * in_books(part.net, rate))
        if part.vat:
            what = _("Output VAT at %(rate)s %%") % {"rate": _rate_key(part.rate)}
            draft.add(account(accounts, vat_purpose(part.rate), what=what), sign * in_books(part.vat, rate))


def payment_vouchers(
    *,
    received: Sequence[MoneyIn],
    undone: Sequence[MoneyIn],
    allocations: Iterable[AllocationFacts],
    accounts: Mapping[str, str],
    today: dt.date,
) -> list[Draft]:
    """The vouchers of one booking (payments' Ledger.write): one per payment received (the bank
    debited, what went onto invoices off receivables, the rest the customer's prepayment), one per
    payment undone, and for allocations of money already in the books one per payment (allocated
    or taken off invoices), per customer's refund and per customer's credit moved between invoices.

    Dates: money that moved at the bank is dated when it moved (the payment's date, the refund's);
    moving what is already booked (allocating an unmatched payment, undoing an allocation, moving a
    credit balance) is dated the day it is done (`today`), so a month closed since is not written
    into. payments.booking.entry_on is the same rule, which its period check applies."""
    drafts: dict[tuple, Draft] = {}
    for payment in received:
        text = _booked(
            gettext_noop("Payment received, %(payer)s"), payer=payment.payer or payment.reference or payment.id
        )
        draft = Draft(
            SourceKind.PAYMENT, payment.id, Series.PAYMENTS, payment.booked_on, text,
            currency=payment.currency, exchange_rate=payment.exchange_rate,
        )  # fmt: skip
        amount = in_books(payment.amount, payment.exchange_rate)
        draft.add(account(accounts, "bank", what=text), amount)
        draft.add(account(accounts, "prepayments", what=text), -amount)
        drafts[("payment", payment.id)] = draft
    for payment in undone:
        text = _booked(
            gettext_noop("Payment undone, %(payer)s"), payer=payment.payer or payment.reference or payment.id
        )
        draft = Draft(
            SourceKind.PAYMENT_REVERSED, payment.id, Series.PAYMENTS, today, text,
            currency=payment.currency, exchange_rate=payment.exchange_rate,
        )  # fmt: skip
        amount = in_books(payment.amount, payment.exchange_rate)
        draft.add(account(accounts, "prepayments", what=text), amount)
        draft.add(account(accounts, "bank", what=text), -amount)
        drafts[("undone", payment.id)] = draft
    for a in sorted(allocations, key=lambda a: a.id):
        if a.kind == "refund":
            key: tuple = ("refund", a.customer_id, a.on)
            make = (SourceKind.REFUND, a.on, _booked(gettext_noop("Refund to the customer")))
        elif a.payment_id is not None and ("payment", a.payment_id) in drafts:
            key = ("payment", a.payment_id)
        elif a.payment_id is not None and ("undone", a.payment_id) in drafts:
            key = ("undone", a.payment_id)
        elif a.payment_id is not None:
            key = ("allocated", a.payment_id)
            make = (SourceKind.ALLOCATION, today, _booked(gettext_noop("Payment allocated to invoices")))
        else:
            key = ("transfer", a.customer_id)
            make = (SourceKind.CREDIT_TRANSFER, today, _booked(gettext_noop("Credit balance moved between invoices")))
        draft = drafts.get(key)
        if draft is None:
            kind, on, text = make
            draft = drafts[key] = Draft(kind, a.id, Series.PAYMENTS, on, str(text))
        _allocation_lines(draft, a, accounts)
    for draft in drafts.values():
        draft.merged()
        if draft.currency:
            settle_exchange_difference(draft, accounts)
        check_balanced(draft)
    return list(drafts.values())


def reversal_voucher(*, voucher_id: int, number: str, lines: Iterable[Line], on: dt.date, reason: str) -> Draft:
    """A correction: every line of the voucher with the opposite sign (Bokföringslagen 5 kap. 5 §:
    a verification is never changed; a new one corrects it and says which)."""
    text = _booked(gettext_noop("Correction of %(number)s"), number=number)
    if reason:
        text = f"{text}: {reason}"
    draft = Draft(SourceKind.REVERSAL, voucher_id, "", on, text[:200])
    for line in lines:
        draft.add(line.account, -line.amount, line.text)
    check_balanced(draft)
    return draft
