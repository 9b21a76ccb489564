"""Writes of bookkeeping: vouchers from the business events (subscribers.py, in the event's
transaction), a correction of a voucher, the account mapping, and closing and reopening months.

Vouchers are written in bulk: ten thousand invoices issued in one call are one `invoice.issued`,
booked with a fixed number of statements (the documents read in three queries, one number range
per series and fiscal year, one insert of the vouchers and one of their lines).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.bookkeeping import rules, selectors
from fakturera.bookkeeping.events import VOUCHER_CREATED
from fakturera.bookkeeping.models import AccountMapping, PeriodLock, Voucher, VoucherLine
from fakturera.bookkeeping.numbering import voucher_numbers_take
from fakturera.bookkeeping.rules import AllocationFacts, Draft, Line, MoneyIn, VatPart
from fakturera.core.bulk import bulk_insert, bulk_insert_returning_ids
from fakturera.core.errors import DomainError, StateConflict, ValidationFailed
from fakturera.core.events import publish
from fakturera.core.period_locks import check_open, month_of
from fakturera.core.rows import insert_tree
from fakturera.parties.models import Company
from fakturera.payments.selectors import allocations_for_books, payments_for_books


def books_currency(country: str) -> str | None:
    """The currency a company's books are kept in; None when this system keeps none for it (BAS
    and SIE are Swedish: a company outside Sweden gets no vouchers)."""
    return rules.BOOK_CURRENCY.get(country)


def _company_books(company_id: int) -> str | None:
    country = Company.objects.filter(pk=company_id).values_list("country", flat=True).first()
    return books_currency(country or "")


# --- vouchers from business events -----------------------------------------------------------------


def vouchers_book_documents(*, company_id: int, invoice_ids: Sequence[int], actor_id: int | None) -> list[int]:
    """A voucher per issued invoice or credit note of `invoice_ids` (invoice.issued,
    invoice.credited). An unmapped line refuses the event, and with it the issuing: a voucher is
    never lost, nor booked on a guessed account (DESIGN.md, "Missing accounts"). A document in
    another currency is booked at its stored rate, else at the company's rate of its date; without
    any it is left out, never booked at a guessed rate (selectors.documents_unbooked shows it)."""
    documents = selectors.documents_for_books(company_id, invoice_ids)
    if not documents:
        return []
    documents = _with_rates(company_id, documents)
    if not documents:
        return []
    accounts = selectors.accounts_of(company_id)
    drafts = [rules.document_voucher(doc, accounts) for doc in documents]
    return _write(company_id, drafts, actor_id=actor_id)


def vouchers_book_waiting_documents(*, company_id: int, currencies: Sequence[str], actor_id: int | None) -> list[int]:
    """Book the documents in `currencies` issued without a rate, now that rates were saved
    (exchange_rates.saved): each at the company's rate of its date, dated its invoice date. Those
    still without a rate wait on; those dated in a closed month stay unbooked (a closed month takes
    no new voucher) and stay listed on the Vouchers page for the accountant."""
    books = _company_books(company_id)
    waiting = selectors.documents_waiting_for_rates(company_id, [c for c in currencies if c != books])
    if not waiting:
        return []
    closed = selectors.locked_months(company_id, frozenset(on.replace(day=1) for _pk, on in waiting))
    return vouchers_book_documents(
        company_id=company_id,
        invoice_ids=[pk for pk, on in waiting if on.replace(day=1) not in closed],
        actor_id=actor_id,
    )


def _with_rates(company_id: int, documents: list[rules.Document]) -> list[rules.Document]:
    """Each foreign-currency document with the rate it is booked at: its own stored rate (issued
    with VAT), its credited invoice's booked rate (a credit note reverses the receivable at the rate
    it was booked at), else the company's rate of its date. One query each, for the whole batch."""
    foreign = [doc for doc in documents if doc.currency and doc.exchange_rate is None]
    if not foreign:
        return documents
    credited = selectors.booked_rates(company_id, [doc.credited_id for doc in foreign if doc.credited_id])
    found = selectors.exchange_rates_for(
        company_id, {(doc.currency, doc.issued_on) for doc in foreign if doc.credited_id not in credited}
    )
    booked = []
    for doc in documents:
        if doc.currency and doc.exchange_rate is None:
            rate = credited.get(doc.credited_id) if doc.credited_id else None
            rate = rate or found.get((doc.currency, doc.issued_on))
            if rate is None:
                continue
            doc = replace(doc, exchange_rate=rate)
        booked.append(doc)
    return booked


def vouchers_book_allocations(
    *,
    company_id: int,
    allocation_ids: Sequence[int],
    payment_ids: Sequence[int],
    reversed_payment_ids: Sequence[int],
    actor_id: int | None,
    at: dt.datetime | None = None,
) -> list[int]:
    """The vouchers of one write of payments' Ledger (allocation.booked): payments received and
    undone, allocations, refunds, credit moved (rules.payment_vouchers). Money in another currency
    is booked at the rate of its day and its invoices' receivables at the rates they were booked
    at, the difference on exchange gains or losses; what has no rate is left out (DESIGN.md,
    "Foreign currency")."""
    currency = _company_books(company_id)
    if currency is None:
        return []
    received_rows = payments_for_books(company_id, payment_ids)
    undone_rows = payments_for_books(company_id, reversed_payment_ids)
    allocation_rows = allocations_for_books(company_id, allocation_ids)
    if not (received_rows or undone_rows or allocation_rows):
        return []
    fx = _ForeignRates.read(company_id, currency, received_rows, undone_rows, allocation_rows)
    received = [m for m in (fx.money(row) for row in received_rows) if m is not None]
    undone = [m for m in (fx.money(row) for row in undone_rows) if m is not None]
    allocations = [a for a in (fx.allocation(row) for row in allocation_rows) if a is not None]
    if not (received or undone or allocations):
        return []
    accounts = selectors.accounts_of(company_id)
    drafts = rules.payment_vouchers(
        received=received,
        undone=undone,
        allocations=allocations,
        accounts=accounts,
        today=timezone.localdate(at) if at else timezone.localdate(),
    )
    return _write(company_id, drafts, actor_id=actor_id)


class _ForeignRates:
    """The rates one booking needs, read in bulk: each foreign payment's day rate, each invoice's
    booked rate (from its voucher), a refund's day rate. Rows in the books' currency need none."""

    def __init__(self, books: str, payment_days: dict[int, tuple[str, dt.date]], rates: dict, invoice_rates: dict):
        self.books = books
        self.payment_days = payment_days
        self.rates = rates
        self.invoice_rates = invoice_rates

    @classmethod
    def read(cls, company_id: int, books: str, received: Sequence, undone: Sequence, allocations: Sequence):
        foreign_allocations = [row for row in allocations if row[7] != books]
        if all(row[2] == books for row in (*received, *undone)) and not foreign_allocations:
            return cls(books, {}, {}, {})
        payment_days = {row[0]: (row[2], row[3]) for row in (*received, *undone)}
        missing = sorted({row[1] for row in foreign_allocations if row[1] and row[1] not in payment_days})
        payment_days.update({row[0]: (row[2], row[3]) for row in payments_for_books(company_id, missing)})
        wanted = {day for day in payment_days.values() if day[0] != books}
        wanted |= {(row[7], row[8]) for row in foreign_allocations if row[5] == "refund"}
        invoice_rates = selectors.booked_rates(company_id, [row[2] for row in foreign_allocations if row[2]])
        return cls(books, payment_days, selectors.exchange_rates_for(company_id, wanted), invoice_rates)

    def money(self, row: Sequence[Any]) -> MoneyIn | None:
        pk, amount, currency, booked_on, payer, reference = row
        if currency == self.books:
            return MoneyIn(pk, amount, booked_on, payer, reference)
        rate = self.rates.get((currency, booked_on))
        if rate is None:
            return None
        return MoneyIn(pk, amount, booked_on, payer, reference, currency=currency, exchange_rate=rate)

    def allocation(self, row: Sequence[Any]) -> AllocationFacts | None:
        facts = _allocation(row)
        currency = row[7]
        if currency == self.books:
            return facts
        invoice_rate = self.invoice_rates.get(facts.invoice_id) if facts.invoice_id else None
        if facts.invoice_id and invoice_rate is None:
            return None
        if facts.kind == "refund":
            money_rate = self.rates.get((currency, facts.on))
        elif facts.payment_id:
            money_rate = self.rates.get(self.payment_days.get(facts.payment_id, ("", None)))  # type: ignore[arg-type]
        else:
            money_rate = invoice_rate  # credit moved between invoices: no money moves
        if money_rate is None:
            return None
        return replace(facts, currency=currency, invoice_rate=invoice_rate, money_rate=money_rate)


def _allocation(row: Sequence[Any]) -> AllocationFacts:
    pk, payment_id, invoice_id, number, customer_id, kind, amount, _currency, on, created_at, params, _rev = row
    parts = tuple(
        VatPart(part["category"], Decimal(part["rate"]), Decimal(part["net"]), Decimal(part["vat"]))
        for part in (params or {}).get("vat", ())
    )
    return AllocationFacts(
        id=pk,
        payment_id=payment_id,
        invoice_id=invoice_id,
        invoice_number=number or "",
        customer_id=customer_id,
        kind=kind,
        amount=amount,
        on=on,
        made_on=timezone.localdate(created_at),
        vat_parts=parts,
    )


VOUCHER_COLUMNS = (
    "company_id", "series", "fiscal_year_start", "number", "date", "text", "source_kind", "source_id",
    "reverses_id", "created_by_id", "currency", "exchange_rate",
)  # fmt: skip
LINE_COLUMNS = ("voucher_id", "position", "account", "amount", "text")


def _write(company_id: int, drafts: Sequence[Draft], *, actor_id: int | None, reverses: int | None = None) -> list[int]:
    """Number the drafts (per series and fiscal year, in date and source order) and insert them with
    their lines: one number statement per series and year, one insert of vouchers, one of lines."""
    groups: dict[tuple[str, dt.date], list[Draft]] = defaultdict(list)
    for draft in drafts:
        rules.check_balanced(draft)
        # An event of no amount (an invoice of free items) changes no account: no voucher.
        if draft.lines:
            groups[(draft.series, rules.fiscal_year_start(draft.date))].append(draft)
    if not groups:
        return []
    rows: list[tuple[Any, ...]] = []
    ordered: list[Draft] = []
    for (series, year), group in sorted(groups.items()):
        group.sort(key=lambda d: (d.date, d.source_id))
        first = voucher_numbers_take(company_id=company_id, series=series, fiscal_year_start=year, count=len(group))
        for offset, draft in enumerate(group):
            rows.append(
                (company_id, series, year, first + offset, draft.date, draft.text[:200], draft.source_kind,
                 draft.source_id, reverses, actor_id, draft.currency, draft.exchange_rate)
            )  # fmt: skip
            ordered.append(draft)
    if len(rows) == 1:
        # One voucher (an invoice issued from its page, a payment by hand): with its lines in one
        # statement on PostgreSQL (core.rows.insert_tree), as invoicing writes one new invoice.
        voucher = Voucher(**dict(zip(VOUCHER_COLUMNS, rows[0], strict=True)))
        lines = [
            VoucherLine(position=position, account=line.account, amount=line.amount, text=line.text[:200])
            for position, line in enumerate(ordered[0].lines, start=1)
        ]
        insert_tree(voucher, [("voucher", lines)])
        ids = [voucher.pk]
    else:
        ids = bulk_insert_returning_ids(Voucher, VOUCHER_COLUMNS, rows)
        bulk_insert(
            VoucherLine,
            LINE_COLUMNS,
            (
                (voucher_id, position, line.account, line.amount, line.text[:200])
                for voucher_id, draft in zip(ids, ordered, strict=True)
                for position, line in enumerate(draft.lines, start=1)
            ),
        )
    publish(VOUCHER_CREATED, company_id=company_id, actor=actor_id, voucher_ids=ids)
    return ids


@transaction.atomic
def voucher_reverse(
    *, company: Company, actor: Any, voucher_id: int, on: dt.date | None = None, reason: str = ""
) -> Voucher:
    """Correct a voucher: a new one in its series with every line reversed, dated `on` (today by
    default, in an open month), pointing at it. A voucher is reversed once."""
    original = Voucher.objects.filter(company=company, pk=voucher_id).select_for_update(of=("self",)).first()
    if original is None:
        raise DomainError(_("No such voucher."), field="voucher", code="not_found")
    if Voucher.objects.filter(reverses=original).exists():
        raise StateConflict(_("Voucher %(number)s is corrected already.") % {"number": original})
    on = on or timezone.localdate()
    check_open(company.pk, [on], field="on")
    lines = [Line(line.account, line.amount, line.text) for line in original.lines.order_by("position")]
    draft = rules.reversal_voucher(
        voucher_id=original.pk, number=str(original), lines=lines, on=on, reason=reason.strip()[:150]
    )
    draft.series = original.series
    (pk,) = _write(company.pk, [draft], actor_id=getattr(actor, "pk", actor), reverses=original.pk)
    return Voucher.objects.get(pk=pk)


# --- the account mapping -----------------------------------------------------------------------------


@transaction.atomic
def account_mapping_save(*, company: Company, accounts: Mapping[str, str]) -> dict[str, str]:
    """Save the company's accounts (purpose -> account; purposes not given keep theirs). The whole
    mapping is checked: every purpose needs an account of the chart, so no voucher ever meets a
    gap (a missing account is refused here, with every problem at once, not at booking time)."""
    unknown = sorted(set(accounts) - set(rules.PURPOSES))
    if unknown:
        raise DomainError(_("Unknown purposes: %(p)s") % {"p": ", ".join(unknown)}, code="unknown_field")
    merged = {**selectors.accounts_of(company.pk), **{k: (v or "").strip() for k, v in accounts.items()}}
    problems = rules.mapping_problems(merged)
    if problems:
        raise ValidationFailed({purpose: [problem] for purpose, problem in problems.items()})
    AccountMapping.objects.filter(company=company).delete()
    AccountMapping.objects.bulk_create(
        AccountMapping(company=company, purpose=purpose, account=account)
        for purpose, account in merged.items()
        if rules.BAS_DEFAULTS.get(purpose) != account
    )
    return merged


# --- closed months -------------------------------------------------------------------------------------


@transaction.atomic
def period_lock(*, company: Company, actor: Any, month: dt.date) -> PeriodLock:
    """Close a month: nothing dated in it can be issued or booked any more (core.period_locks)."""
    first = month_of(month)
    if PeriodLock.objects.filter(company=company, month=first, unlocked_at__isnull=True).exists():
        raise StateConflict(_("%(month)s is closed already.") % {"month": first.strftime("%Y-%m")})
    return PeriodLock.objects.create(company=company, month=first, locked_by=_user(actor))


@transaction.atomic
def period_unlock(*, company: Company, actor: Any, month: dt.date) -> PeriodLock:
    """Reopen a closed month; the lock stays on record with who reopened it and when."""
    first = month_of(month)
    found = (
        PeriodLock.objects.filter(company=company, month=first, unlocked_at__isnull=True).select_for_update().first()
    )
    if found is None:
        raise StateConflict(_("%(month)s is not closed.") % {"month": first.strftime("%Y-%m")})
    found.unlocked_at = timezone.now()
    found.unlocked_by = _user(actor)
    found.save(update_fields=["unlocked_at", "unlocked_by"])
    return found


def _user(actor: Any) -> Any:
    return actor if hasattr(actor, "_meta") else None
