"""The company's vouchers for its accountant: an SIE 4 file (4I or 4E) and a journal (CSV or
XLSX, one row per transaction), streamed. The CLI (`fakturera sie`, `fakturera journal`), the
staff download and the API (`GET /api/v1/sie`, `/api/v1/journal`) call these and write the same
bytes (DESIGN.md, "Exports").

Everything that can be refused (the period, the type, a company whose books are not kept here) is
refused by `export_check` before the first byte, so a caller never sends half a file. The vouchers
are read with one query, transactions joined to their vouchers in voucher and position order, in
chunks (`.iterator()`: a server-side cursor on PostgreSQL), so memory stays flat for a year of a
large company.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from fakturera.bookkeeping import rules
from fakturera.bookkeeping.models import VoucherLine
from fakturera.bookkeeping.sie import Account, AccountType, Balance, BalanceKind, FiscalYear, Header, SieType, iter_sie
from fakturera.bookkeeping.sie import Transaction as SieTransaction
from fakturera.bookkeeping.sie import Voucher as SieVoucher
from fakturera.bookkeeping.states import Series
from fakturera.core.errors import ValidationFailed
from fakturera.core.xlsx import xlsx_chunks
from fakturera.parties.models import Company

SIE_TYPES = (SieType.IMPORT.value, SieType.EXPORT.value)
JOURNAL_FORMATS = ("csv", "xlsx")
CHUNK_ROWS = 5_000
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Period:
    date_from: dt.date
    date_to: dt.date

    @property
    def fiscal_year(self) -> FiscalYear:
        start = rules.fiscal_year_start(self.date_from)
        return FiscalYear(0, start, dt.date(start.year, 12, 31))


def export_check(
    *, company: Company, date_from: dt.date | None, date_to: dt.date | None, sie_type: str | None = None
) -> Period:
    """The period (and type) of an export, or a refusal naming each wrong field: both dates given,
    `from` not after `to`, both in one fiscal year for SIE (#RAR 0 is one year, and numbers start
    again each year), a type 4I or 4E, and a company whose books this system keeps."""
    errors: dict[str, list[str]] = {}
    if date_from is None:
        errors["from"] = [_("Give the first day of the period.")]
    if date_to is None:
        errors["to"] = [_("Give the last day of the period.")]
    if date_from and date_to and date_from > date_to:
        errors["to"] = [_("The period ends before it starts: “to” must be on or after “from”.")]
    elif (
        sie_type is not None
        and date_from
        and date_to
        and rules.fiscal_year_start(date_from) != rules.fiscal_year_start(date_to)
    ):
        errors["to"] = [
            _("An SIE file holds one fiscal year: choose dates within %(year)s.") % {"year": date_from.year}
        ]
    if sie_type is not None and sie_type not in SIE_TYPES:
        errors["type"] = [_("The SIE type is 4I (transactions) or 4E (with balances).")]
    if rules.BOOK_CURRENCY.get(company.country) is None:
        errors["company"] = [_("This company's books are not kept here: SIE and BAS are for Swedish companies.")]
    if errors:
        raise ValidationFailed(errors)
    return Period(date_from, date_to)  # type: ignore[arg-type]


def _vouchers(company: Company, period: Period, *, series: str | None = None) -> Q:
    found = Q(voucher__company=company, voucher__date__gte=period.date_from, voucher__date__lte=period.date_to)
    if series:
        found &= Q(voucher__series=series)
    return found


_ROW_FIELDS = (
    "voucher_id", "voucher__series", "voucher__number", "voucher__date", "voucher__text", "voucher__source_kind",
    "voucher__source_id", "account", "amount", "text",
)  # fmt: skip


def _rows(company: Company, period: Period, *, series: str | None = None) -> Iterator[tuple]:
    """Every transaction of the period's vouchers, voucher by voucher in series and number order
    (the order SIE requires, §11 #VER 7), in one streamed query."""
    return (
        VoucherLine.objects.filter(_vouchers(company, period, series=series))
        .order_by("voucher__fiscal_year_start", "voucher__series", "voucher__number", "position")
        .values_list(*_ROW_FIELDS)
        .iterator(chunk_size=CHUNK_ROWS)
    )


# --- SIE 4 ----------------------------------------------------------------------------------------


def _sie_vouchers(rows: Iterator[tuple]) -> Iterator[SieVoucher]:
    current = None
    head: tuple = ()
    transactions: list[SieTransaction] = []
    for voucher_id, series, number, day, text, _kind, _source, account, amount, line_text in rows:
        if voucher_id != current:
            if current is not None:
                yield SieVoucher(head[0], head[1], head[2], head[3], tuple(transactions))
            current, head, transactions = voucher_id, (series, number, day, text), []
        transactions.append(SieTransaction(account, amount, text=line_text))  # the writer takes it to two decimals
    if current is not None:
        yield SieVoucher(head[0], head[1], head[2], head[3], tuple(transactions))


def _two(amount: Decimal) -> Decimal:
    # Stored with two decimals; SQLite may hand back fewer.
    return amount if amount.as_tuple().exponent == -2 else amount.quantize(_CENT)  # type: ignore[operator]


def _sums(lines: Q) -> dict[str, Decimal]:
    """Account -> the sum of its transactions (one aggregate); SQLite sums decimals as floats,
    so each sum is taken to the öre."""
    found = VoucherLine.objects.filter(lines).values("account").annotate(total=Sum("amount")).order_by("account")
    sums = {row["account"]: Decimal(str(row["total"])).quantize(_CENT) for row in found}
    return {account: total for account, total in sums.items() if total != 0}


def sie_balances(company: Company, period: Period) -> list[Balance]:
    """4E's balances of the fiscal year, from the vouchers booked here: #IB of each balance-sheet
    account (everything before the year), #UB (everything up to `to`), #RES of each result account
    (the year up to `to`). Three aggregates whatever the number of vouchers."""
    year = period.fiscal_year
    opening = _sums(Q(voucher__company=company, voucher__date__lt=year.start_on))
    closing = _sums(Q(voucher__company=company, voucher__date__lte=period.date_to))
    result = _sums(Q(voucher__company=company, voucher__date__gte=year.start_on, voucher__date__lte=period.date_to))
    balances = [
        Balance(BalanceKind.OPENING, 0, account, amount)
        for account, amount in opening.items()
        if rules.is_balance_sheet(account)
    ]
    balances += [
        Balance(BalanceKind.CLOSING, 0, account, amount)
        for account, amount in closing.items()
        if rules.is_balance_sheet(account)
    ]
    balances += [
        Balance(BalanceKind.RESULT, 0, account, amount)
        for account, amount in result.items()
        if not rules.is_balance_sheet(account)
    ]
    return balances


def sie_filename(company: Company, period: Period, sie_type: str) -> str:
    digits = "".join(ch for ch in company.org_number if ch.isdigit()) or "sie"
    suffix = "se" if sie_type == SieType.EXPORT else "si"
    return f"{digits}_{period.date_from:%Y%m%d}-{period.date_to:%Y%m%d}.{suffix}"


def sie_file(
    *, company: Company, period: Period, sie_type: str, generated_on: dt.date, generated_by: str = ""
) -> Iterator[bytes]:
    """The SIE 4 file of the period's vouchers as PC8 bytes, chunk by chunk (`export_check` first).
    #KONTO for every account used (§11 #KONTO 3), named as BAS names it."""
    kind = SieType(sie_type)
    balances = sie_balances(company, period) if kind == SieType.EXPORT else []
    # order_by(): without it the lines' default ordering joins the DISTINCT and every line comes back.
    used = set(
        VoucherLine.objects.filter(_vouchers(company, period)).values_list("account", flat=True).order_by().distinct()
    )
    used.update(balance.account for balance in balances)
    accounts = [
        Account(number, rules.account_name(number), AccountType(rules.account_type(number))) for number in sorted(used)
    ]
    header = Header(
        company_name=company.name,
        generated_on=generated_on,
        org_number="".join(ch for ch in company.org_number if ch.isdigit()),
        generated_by=generated_by,
        fiscal_years=(period.fiscal_year,),
        currency=rules.BOOK_CURRENCY[company.country],
        sie_type=kind,
    )
    return iter_sie(header=header, accounts=accounts, vouchers=_sie_vouchers(_rows(company, period)), balances=balances)


# --- the journal ------------------------------------------------------------------------------------

JOURNAL_COLUMNS = (
    "series", "number", "date", "text", "account", "account_name", "debit", "credit", "currency", "source_document",
)  # fmt: skip


def journal_rows(company: Company, period: Period, *, series: str | None = None) -> Iterator[tuple]:
    """One row per transaction (JOURNAL_COLUMNS): debit and credit as positive amounts, one of them
    empty; the source document as its kind and id (`invoice 1042`)."""
    currency = rules.BOOK_CURRENCY[company.country]
    for _voucher, series_code, number, day, text, kind, source_id, account, amount, line_text in _rows(
        company, period, series=series
    ):
        amount = _two(amount)
        yield (
            series_code,
            number,
            day,
            f"{text}: {line_text}" if line_text else text,
            account,
            rules.account_name(account),
            amount if amount > 0 else None,
            -amount if amount < 0 else None,
            currency,
            f"{kind} {source_id}",
        )


def journal_filename(company: Company, period: Period, fmt: str) -> str:
    digits = "".join(ch for ch in company.org_number if ch.isdigit()) or "journal"
    return f"{digits}_journal_{period.date_from:%Y%m%d}-{period.date_to:%Y%m%d}.{fmt}"


def journal_csv(company: Company, period: Period, *, series: str | None = None) -> Iterator[bytes]:
    """UTF-8, comma-separated, a header row, ISO dates and points in amounts (machine-readable:
    the file is for other programs)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(JOURNAL_COLUMNS)
    for count, row in enumerate(journal_rows(company, period, series=series), start=1):
        writer.writerow(["" if value is None else value for value in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def journal_xlsx(company: Company, period: Period, *, series: str | None = None) -> Iterator[bytes]:
    """The same rows as a workbook (core.xlsx: written to a temporary file, then streamed from it)."""
    return xlsx_chunks(sheet=_("Journal"), header=JOURNAL_COLUMNS, rows=journal_rows(company, period, series=series))


def journal_file(*, company: Company, period: Period, fmt: str, series: str | None = None) -> Iterator[bytes]:
    if fmt not in JOURNAL_FORMATS:
        raise ValidationFailed({"format": [_("The journal is written as csv or xlsx.")]})
    if series and series not in Series.values:
        raise ValidationFailed({"series": [_("No such voucher series.")]})
    return (
        journal_xlsx(company, period, series=series) if fmt == "xlsx" else journal_csv(company, period, series=series)
    )
