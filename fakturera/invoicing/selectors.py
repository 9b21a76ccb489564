"""Reads of invoices, always for one company."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, When
from django.utils import timezone

from fakturera.billables.selectors import CustomerBasis, basis_by_customer, basis_line_facts
from fakturera.catalog.vat import VatKey
from fakturera.invoicing.models import ExchangeRate, Invoice, InvoiceLine
from fakturera.invoicing.rules import CashDiscount, cash_discount
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.invoicing.totals import LineInput, compute_totals
from fakturera.parties.models import Company


@dataclass(frozen=True)
class InvoiceFilter:
    status: str = ""
    kind: str = ""
    customer_id: int | None = None
    query: str = ""
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    is_overdue: bool = False
    number_from: int | None = None
    number_to: int | None = None


def invoice_list(*, company: Company, filters: InvoiceFilter | None = None) -> QuerySet[Invoice]:
    filters = filters or InvoiceFilter()
    qs = Invoice.objects.filter(company=company).select_related("customer", "credited_invoice")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.issued_from:
        qs = qs.filter(issued_on__gte=filters.issued_from)
    if filters.issued_to:
        qs = qs.filter(issued_on__lte=filters.issued_to)
    if filters.number_from is not None:
        qs = qs.filter(number__gte=filters.number_from)
    if filters.number_to is not None:
        qs = qs.filter(number__lte=filters.number_to)
    if filters.is_overdue:
        qs = qs.filter(kind="invoice", status="issued", due_on__lt=timezone.localdate())
    if filters.query:
        term = filters.query.strip()
        condition = Q(customer__name__icontains=term) | Q(payment_reference=term) | Q(buyer_reference__icontains=term)
        if term.isdigit():
            condition |= Q(number=int(term))
        qs = qs.filter(condition)
    return qs.order_by("-issued_at", "-number", "-pk")


def invoice_list_totals(invoices: QuerySet[Invoice]) -> dict[str, Decimal]:
    """What a list of invoices totals per currency, credit notes counting negative (one
    aggregate query, whatever the size of the list)."""
    signed = Case(
        When(kind=InvoiceKind.CREDIT_NOTE, then=-F("total_amount")),
        default=F("total_amount"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    rows = invoices.order_by().values("currency").annotate(total=Sum(signed)).order_by("currency")
    return {row["currency"]: row["total"] for row in rows}


def invoice_detail(*, company: Company, pk: int) -> Invoice:
    """One invoice with what its page shows; Invoice.DoesNotExist for other companies' ids."""
    return (
        Invoice.objects.select_related("customer", "credited_invoice", "created_by")
        .prefetch_related("lines", "vat_breakdown", "events__actor", "credit_notes")
        .get(company=company, pk=pk)
    )


def invoice_cash_discount(invoice: Invoice) -> CashDiscount | None:
    """An issued invoice's cash discount from its stored fields and VAT breakdown (prefetched or
    read here): the amount, what settles it within the period and the VAT share per group
    (rules.cash_discount; `rules.cash_discount_applies` judges a payment against it). None for a
    draft, a credit note or an invoice without a discount. For the payments app."""
    if invoice.status == InvoiceStatus.DRAFT or invoice.kind != InvoiceKind.INVOICE:
        return None
    return cash_discount(
        total_amount=invoice.total_amount,
        vat_rows=[
            (row.vat_category, row.vat_rate, row.taxable_amount, row.vat_amount) for row in invoice.vat_breakdown.all()
        ],
        currency=invoice.currency,
        percent=invoice.cash_discount_percent,
        until=invoice.cash_discount_until,
    )


def credit_remaining(invoice: Invoice) -> dict[int, Decimal]:
    """Quantity left to credit per line of an issued invoice."""
    credited: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, quantity in InvoiceLine.objects.filter(
        credited_line__invoice=invoice, invoice__status__in=[InvoiceStatus.ISSUED, InvoiceStatus.CREDITED]
    ).values_list("credited_line_id", "quantity"):
        credited[line_id] += quantity
    return {line.pk: line.quantity - credited[line.pk] for line in invoice.lines.all()}


def basis_with_totals(*, company: Company, customer_ids: list[int] | None = None) -> list[CustomerBasis]:
    """The basis by customer (billables.selectors.basis_by_customer), each with what its invoice
    would total by the one rule (totals.py) and the company's rounding setting."""
    groups = basis_by_customer(company=company, customer_ids=customer_ids)
    for group in groups:
        group.totals = compute_totals(
            lines=[LineInput(i.quantity, i.unit_price, VatKey(i.vat_category, i.vat_rate)) for i in group.items],
            currency=group.items[0].currency,
            round_to_whole=company.is_rounding_to_whole_units,
        )
    return groups


def basis_grand_total(groups: list[CustomerBasis]) -> dict[str, Decimal]:
    """What the groups of basis_with_totals total, per currency."""
    totals: dict[str, Decimal] = {}
    for group in groups:
        if group.totals is not None:
            totals[group.currency] = totals.get(group.currency, Decimal("0")) + group.totals.total_amount
    return totals


def basis_total_by_currency(*, company: Company) -> dict[str, Decimal]:
    """basis_grand_total of the whole basis, without loading its rows: one query of plain
    values, each customer's invoice totalled by the same rule (totals.py) as basis_with_totals."""
    lines: dict[int, list[tuple]] = defaultdict(list)
    for customer_id, *facts in basis_line_facts(company=company):
        lines[customer_id].append(facts)
    totals: dict[str, Decimal] = {}
    for facts in lines.values():
        currencies = {currency for currency, *_rest in facts}
        key = next(iter(currencies)) if len(currencies) == 1 else "/".join(sorted(currencies))
        result = compute_totals(
            lines=[LineInput(quantity, price, VatKey(category, rate)) for _c, quantity, price, category, rate in facts],
            currency=facts[0][0],
            round_to_whole=company.is_rounding_to_whole_units,
        )
        totals[key] = totals.get(key, Decimal("0")) + result.total_amount
    return totals


def draft_counts(*, company: Company) -> dict[str, int]:
    """Drafts waiting to be issued, one query: made by hand or from the basis (`drafts`) and
    generated from recurring invoices (`orders`)."""
    return Invoice.objects.filter(company=company, status=InvoiceStatus.DRAFT).aggregate(
        drafts=Count("pk", filter=Q(recurring_invoice__isnull=True)),
        orders=Count("pk", filter=Q(recurring_invoice__isnull=False)),
    )


# --- exchange rates -----------------------------------------------------------------------------


def exchange_rates_latest(
    *, company: Company, currencies: Iterable[str], on: dt.date
) -> dict[str, tuple[Decimal, dt.date]]:
    """The company's latest rate of each currency published on or before `on`: currency ->
    (SEK per unit, its date). One indexed query per currency (exchange_rate_once_a_day's
    index, newest first), and we invoice in three foreign currencies at most."""
    found: dict[str, tuple[Decimal, dt.date]] = {}
    for currency in sorted(set(currencies)):
        row = (
            ExchangeRate.objects.filter(company=company, currency=currency, rate_on__lte=on)
            .order_by("-rate_on")
            .values_list("rate", "rate_on")
            .first()
        )
        if row is not None:
            found[currency] = (row[0], row[1])
    return found


def exchange_rate_list(*, company: Company) -> QuerySet[ExchangeRate]:
    """The company's rates, newest first per currency."""
    return ExchangeRate.objects.filter(company=company).order_by("-rate_on", "currency")
