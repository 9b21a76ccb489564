"""Reads of bookkeeping: a company's accounts, its vouchers by period and series, its closed
months; and the facts of invoicing's documents a voucher is made of. Every function takes the
company, so scoping cannot be forgotten."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from fakturera.bookkeeping.models import AccountMapping, PeriodLock, Voucher, VoucherLine
from fakturera.bookkeeping.rules import BAS_DEFAULTS, BOOK_CURRENCY, Document, DocumentLine, DocumentVat
from fakturera.bookkeeping.states import SourceKind
from fakturera.core.bulk import any_of
from fakturera.invoicing.models import ExchangeRate, Invoice, InvoiceLine, InvoiceVat
from fakturera.invoicing.rules import EXCHANGE_RATE_MAX_AGE_DAYS
from fakturera.invoicing.states import InvoiceKind
from fakturera.parties.models import Company


def accounts_of(company_id: int) -> dict[str, str]:
    """The company's account per purpose: BAS's, overridden by what it saved (one query)."""
    accounts = dict(BAS_DEFAULTS)
    accounts.update(AccountMapping.objects.filter(company_id=company_id).values_list("purpose", "account"))
    return accounts


def documents_for_books(company_id: int, invoice_ids: Sequence[int]) -> list[Document]:
    """Issued invoices and credit notes of `invoice_ids` of a seller whose books are kept here
    (rules.BOOK_CURRENCY by the seller's country as issued), with their lines and VAT rows as
    stored, in three queries whatever their number. A document in another currency carries its
    currency and, when invoicing stored one at issue, its rate and VAT in SEK (DESIGN.md,
    "Foreign currency")."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return []
    heads = []
    for row in (
        Invoice.objects.filter(Q(company_id=company_id) & any_of(Invoice, ids))
        .order_by("pk")
        .values_list(
            "pk", "kind", "number", "seller", "buyer", "issued_on", "total_amount", "rounding_amount",
            "credited_invoice__number", "currency", "exchange_rate", "sek_vat_amount", "credited_invoice_id",
        )
    ):  # fmt: skip
        books = BOOK_CURRENCY.get((row[3] or {}).get("country", ""))
        if books is not None:
            heads.append((*row, "" if row[9] == books else row[9]))
    if not heads:
        return []
    found = [row[0] for row in heads]
    lines: dict[int, list[DocumentLine]] = defaultdict(list)
    for invoice_id, position, description, code, category, rate, net in (
        InvoiceLine.objects.filter(any_of(InvoiceLine, found, "invoice_id"))
        .order_by("invoice_id", "position")
        .values_list("invoice_id", "position", "description", "account_code", "vat_category", "vat_rate", "net_amount")
    ):
        lines[invoice_id].append(DocumentLine(position, description, code, category, rate, net))
    vats: dict[int, list[DocumentVat]] = defaultdict(list)
    for invoice_id, category, rate, vat in (
        InvoiceVat.objects.filter(any_of(InvoiceVat, found, "invoice_id"))
        .order_by("invoice_id", "-vat_rate", "vat_category")
        .values_list("invoice_id", "vat_category", "vat_rate", "vat_amount")
    ):
        vats[invoice_id].append(DocumentVat(category, rate, vat))
    documents = []
    for (
        pk, kind, number, seller, buyer, issued_on, total, rounding, credited_number, _currency, rate, sek_vat,
        credited_id, foreign,
    ) in heads:  # fmt: skip
        prefix = (seller or {}).get("series_prefix", "")
        documents.append(
            Document(
                id=pk,
                is_credit_note=kind == InvoiceKind.CREDIT_NOTE,
                number=f"{prefix}{number}",
                customer=str((buyer or {}).get("name", "")),
                issued_on=issued_on,
                total=total,
                rounding=rounding,
                lines=lines[pk],
                vats=vats[pk],
                credited_number=f"{prefix}{credited_number}" if credited_number is not None else "",
                currency=foreign,
                exchange_rate=rate if foreign else None,
                sek_vat=sek_vat if foreign else None,
                credited_id=credited_id,
            )
        )
    return documents


def booked_rates(company_id: int, invoice_ids: Sequence[int]) -> dict[int, Decimal]:
    """Invoice id -> the rate its voucher booked it at, for those of `invoice_ids` booked in another
    currency (one query): what a payment clears the receivable at."""
    ids = sorted({pk for pk in invoice_ids if pk})
    if not ids:
        return {}
    return dict(
        Voucher.objects.filter(
            Q(company_id=company_id, source_kind=SourceKind.INVOICE, exchange_rate__isnull=False)
            & any_of(Voucher, ids, "source_id")
        ).values_list("source_id", "exchange_rate")
    )


def exchange_rates_for(company_id: int, wanted: set[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], Decimal]:
    """(currency, day) -> the company's rate for that day: the latest published on or before it,
    at most invoicing's EXCHANGE_RATE_MAX_AGE_DAYS old, as issuing takes one; absent when there is
    none (never an older or a later one). One query per currency, whatever the number of days."""
    days: dict[str, list[dt.date]] = defaultdict(list)
    for currency, day in wanted:
        days[currency].append(day)
    found: dict[tuple[str, dt.date], Decimal] = {}
    oldest = dt.timedelta(days=EXCHANGE_RATE_MAX_AGE_DAYS)
    for currency, wanted_days in days.items():
        rows = list(
            ExchangeRate.objects.filter(
                company_id=company_id,
                currency=currency,
                rate_on__gte=min(wanted_days) - oldest,
                rate_on__lte=max(wanted_days),
            )
            .order_by("rate_on")
            .values_list("rate_on", "rate")
        )
        published = [row[0] for row in rows]
        for day in wanted_days:
            index = bisect_right(published, day) - 1
            if index >= 0 and day - published[index] <= oldest:
                found[(currency, day)] = rows[index][1]
    return found


def documents_waiting_for_rates(company_id: int, currencies: Sequence[str]) -> list[tuple[int, dt.date]]:
    """(id, invoice date) of the company's issued documents in `currencies` that have no voucher:
    left out when issued for want of a rate (one query)."""
    booked = Voucher.objects.filter(
        company_id=company_id,
        source_kind__in=[SourceKind.INVOICE, SourceKind.CREDIT_NOTE],
        source_id=OuterRef("pk"),
    )
    return list(
        Invoice.objects.filter(company_id=company_id, issued_on__isnull=False, currency__in=list(currencies))
        .filter(~Exists(booked))
        .order_by("issued_on", "pk")
        .values_list("pk", "issued_on")
    )


def documents_unbooked(company: Company, *, date_from: dt.date | None, date_to: dt.date | None) -> list[str]:
    """The numbers of the company's issued documents in the period that have no voucher: those in
    another currency without an exchange rate for their date (one query). Shown on the Vouchers
    page and refused in no export: the accountant is told, nothing is booked at a guessed rate."""
    found = Invoice.objects.filter(company=company, issued_on__isnull=False).exclude(
        currency=BOOK_CURRENCY.get(company.country, "")
    )
    if date_from is not None:
        found = found.filter(issued_on__gte=date_from)
    if date_to is not None:
        found = found.filter(issued_on__lte=date_to)
    booked = Voucher.objects.filter(
        company=company, source_kind__in=[SourceKind.INVOICE, SourceKind.CREDIT_NOTE], source_id=OuterRef("pk")
    )
    return [
        f"{(seller or {}).get('series_prefix', '')}{number}"
        for number, seller in found.filter(~Exists(booked))
        .order_by("issued_on", "number")
        .values_list("number", "seller")
    ]


def voucher_list(
    company: Company,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    series: str | None = None,
) -> QuerySet[Voucher]:
    """The company's vouchers in a period (dates inclusive) and series, in series and number
    order, each with its lines (one more query for any number of vouchers)."""
    found = Voucher.objects.filter(company=company)
    if date_from is not None:
        found = found.filter(date__gte=date_from)
    if date_to is not None:
        found = found.filter(date__lte=date_to)
    if series:
        found = found.filter(series=series)
    return found.order_by("fiscal_year_start", "series", "number").prefetch_related(
        Prefetch("lines", queryset=VoucherLine.objects.order_by("position"))
    )


VOUCHER_DATA_CHUNK = 2_000


def voucher_data(*, company_id: int, voucher_ids: Sequence[int]) -> Iterator[dict]:
    """The vouchers of `voucher_ids` as plain data (the voucher.created webhook's body, the API's
    shape): a voucher's fields and its transactions, two queries per two thousand vouchers."""
    ids = sorted(set(voucher_ids))
    for start in range(0, len(ids), VOUCHER_DATA_CHUNK):
        chunk = ids[start : start + VOUCHER_DATA_CHUNK]
        lines: dict[int, list[dict]] = defaultdict(list)
        for voucher_id, position, account, amount, text in (
            VoucherLine.objects.filter(any_of(VoucherLine, chunk, "voucher_id"))
            .order_by("voucher_id", "position")
            .values_list("voucher_id", "position", "account", "amount", "text")
        ):
            lines[voucher_id].append({"position": position, "account": account, "amount": amount, "text": text})
        heads = (
            Voucher.objects.filter(Q(company_id=company_id) & any_of(Voucher, chunk))
            .order_by("fiscal_year_start", "series", "number")
            .values(*VOUCHER_DATA_FIELDS)
        )
        for head in heads:
            yield {
                "id": head["id"],
                "series": head["series"],
                "number": head["number"],
                "fiscal_year": head["fiscal_year_start"].year,
                "date": head["date"],
                "text": head["text"],
                "source_kind": head["source_kind"],
                "source_id": head["source_id"],
                "reverses_id": head["reverses_id"],
                "created_at": head["created_at"],
                "transactions": lines[head["id"]],
            }


VOUCHER_DATA_FIELDS = (
    "id", "series", "number", "fiscal_year_start", "date", "text", "source_kind", "source_id", "reverses_id",
    "created_at",
)  # fmt: skip


def vouchers_of_source(company: Company, *, source_kind: str, source_id: int) -> QuerySet[Voucher]:
    return voucher_list(company).filter(source_kind=source_kind, source_id=source_id)


def unbalanced_vouchers(company: Company) -> list[tuple[int, object]]:
    """(voucher id, sum of its lines) of every voucher whose lines do not add up to zero: none,
    ever (the demo's and the tests' check, one aggregate)."""
    rows = (
        VoucherLine.objects.filter(voucher__company=company)
        .values("voucher_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .values_list("voucher_id", "total")
    )
    # SQLite sums decimals as floating point: a sum that is zero to the öre is zero.
    return [(pk, total) for pk, total in rows if round(total, 2) != 0]


def period_locks(company: Company) -> QuerySet[PeriodLock]:
    """The months closed now, latest first."""
    return PeriodLock.objects.filter(company=company, unlocked_at__isnull=True).order_by("-month")


def locked_months(company_id: int, months: frozenset[dt.date]) -> set[dt.date]:
    """core.period_locks' provider: which of `months` (first days) the company has closed."""
    return set(
        PeriodLock.objects.filter(
            company_id=company_id, unlocked_at__isnull=True, month__in=sorted(months)
        ).values_list("month", flat=True)
    )
