"""Reads of the payments app for the pages that show payments, receivables and credit balances,
for the API, the portal and webhooks (an invoice's payment state, in bulk) and for the bank-file
pages (imports and their lines).

Every function takes the company (another company's id is not found) and reads in a fixed number
of queries whatever the number of rows: lists are querysets the caller pages, and what a page
shows beside its rows (suggestions' fresh figures, invoice numbers) is read once per page.

Overviews (home page figures, aged receivables, the cash-in forecast's inputs, the customer
statement): each aggregates in the database, in one or a few queries whatever the number of
invoices (a month-end company has 50,000 open).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, overload

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fakturera.core.bulk import any_of
from fakturera.core.payment_facts import PaymentFacts
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.parties.models import Company, Customer
from fakturera.payments.forecast import SETTLED_AFTER, Item, Outcome
from fakturera.payments.models import Allocation, Payment, PaymentImport, Receivable
from fakturera.payments.rules import ZERO
from fakturera.payments.states import OPEN_STATES, AllocationKind, PaymentSource, PaymentStatus, ReceivableState

# A payment the staff may reverse (a registration by mistake); the others are taken off their
# invoices instead (payments.services.payment_unallocate).
REVERSIBLE_SOURCES = (PaymentSource.MANUAL, PaymentSource.API)

# The invoice list's payment filter: a state, or "open" (unpaid or partly paid).
PAYMENT_STATE_FILTERS = {
    "open": tuple(OPEN_STATES),
    "settled": (ReceivableState.PAID, ReceivableState.OVERPAID),
    **{state.value: (state.value,) for state in ReceivableState},
}


# --- an invoice's payments ----------------------------------------------------------------------


def receivable_of_invoice(*, company: Company, invoice_id: int) -> Receivable | None:
    """What an issued invoice is owed and has been paid; None for a draft or a credit note."""
    return Receivable.objects.filter(company=company, pk=invoice_id).first()


def days_overdue(receivable: Receivable, *, today: dt.date) -> int:
    """How many days past its due date an invoice still open is (0 when not overdue)."""
    if receivable.state not in OPEN_STATES or receivable.due_on >= today:
        return 0
    return (today - receivable.due_on).days


def invoice_allocations(*, company: Company, invoice_id: int) -> list[Allocation]:
    """Every allocation on the invoice, oldest first, with its payment; each carries
    `is_undone` (a reversal row points at it) so the page offers undo only for live ones."""
    rows = list(
        Allocation.objects.filter(company=company, invoice_id=invoice_id)
        .select_related("payment", "reversal_of")
        .annotate(undone_by=F("reversed_by__pk"))
        .order_by("created_at", "pk")
    )
    for row in rows:
        row.is_undone = row.undone_by is not None
        row.is_reversal = row.reversal_of_id is not None
    return rows


def invoices_with_payment_state(invoices: QuerySet, *, state: str = "") -> QuerySet:
    """An invoice queryset with its receivable's state and open amount (`payment_state`,
    `open_amount`: one join, none for drafts and credit notes), narrowed to a payment filter of
    `PAYMENT_STATE_FILTERS` when given."""
    invoices = invoices.annotate(payment_state=F("receivable__state"), open_amount=F("receivable__open_amount"))
    if state in PAYMENT_STATE_FILTERS:
        invoices = invoices.filter(receivable__state__in=PAYMENT_STATE_FILTERS[state])
    return invoices


def open_amount_totals(invoices: QuerySet) -> dict[str, Decimal]:
    """What the invoices of a list still have open, per currency (one aggregate)."""
    rows = (
        invoices.order_by()
        .filter(receivable__isnull=False)
        .values("currency")
        .annotate(open=Sum("receivable__open_amount"))
        .order_by("currency")
    )
    return {row["currency"]: row["open"] for row in rows}


# --- the payments lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFilter:
    status: str = ""
    method: str = ""
    booked_from: dt.date | None = None
    booked_to: dt.date | None = None
    query: str = ""
    customer_id: int | None = None


def _amount_of(text: str) -> Decimal | None:
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and abs(amount) < Decimal("1000000000000") else None


def payment_list(*, company: Company, filters: PaymentFilter | None = None) -> QuerySet[Payment]:
    """The company's payments, narrowed by status, method, date range, customer and a search of
    payer, reference, message or an amount typed."""
    filters = filters or PaymentFilter()
    qs = Payment.objects.filter(company=company).select_related("customer", "payment_import")
    if filters.status in PaymentStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.booked_from:
        qs = qs.filter(booked_on__gte=filters.booked_from)
    if filters.booked_to:
        qs = qs.filter(booked_on__lte=filters.booked_to)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if term := filters.query.strip():
        condition = (
            Q(payer_name__icontains=term)
            | Q(reference__icontains=term)
            | Q(message__icontains=term)
            | Q(bank_reference__icontains=term)
            | Q(customer__name__icontains=term)
        )
        amount = _amount_of(term)
        if amount is not None:
            condition |= Q(amount=amount)
        qs = qs.filter(condition)
    return qs


def payment_list_totals(payments: QuerySet[Payment]) -> dict[str, Decimal]:
    """What a list of payments adds up to per currency (one aggregate)."""
    rows = payments.order_by().values("currency").annotate(total=Sum("amount")).order_by("currency")
    return {row["currency"]: row["total"] for row in rows}


def unmatched_count(*, company: Company) -> int:
    """How many payments wait in the unmatched queue (the menu's count)."""
    return Payment.objects.filter(company=company, status=PaymentStatus.UNMATCHED).count()


@dataclass
class Suggestion:
    """An invoice the matcher suggested for an unmatched payment, with its figures as they are
    now (the invoice may have been paid since) and what to allocate in one click."""

    invoice_id: int
    number: str
    customer_name: str
    currency: str
    open_amount: Decimal
    due_on: dt.date | None
    why: list[str]
    amount: Decimal = ZERO

    @property
    def is_possible(self) -> bool:
        return self.amount > ZERO


def suggestions_of(*, company: Company, payments: list[Payment]) -> dict[int, list[Suggestion]]:
    """Each payment's suggestions (match_details), read fresh in one query for the whole page."""
    wanted = {
        int(s["invoice_id"]): None
        for payment in payments
        for s in (payment.match_details or {}).get("suggestions", [])
        if str(s.get("invoice_id", "")).isdigit()
    }
    found = {
        r.pk: r for r in Receivable.objects.filter(company=company, pk__in=list(wanted)).select_related("customer")
    }
    result: dict[int, list[Suggestion]] = {}
    for payment in payments:
        rows = []
        for s in (payment.match_details or {}).get("suggestions", []):
            receivable = found.get(int(s["invoice_id"])) if str(s.get("invoice_id", "")).isdigit() else None
            if receivable is None:
                continue
            left = payment.amount - payment.allocated_amount
            possible = receivable.currency == payment.currency and receivable.state in OPEN_STATES
            rows.append(
                Suggestion(
                    invoice_id=receivable.pk,
                    number=receivable.number,
                    customer_name=receivable.customer.name,
                    currency=receivable.currency,
                    open_amount=receivable.open_amount,
                    due_on=receivable.due_on,
                    why=list(s.get("why", [])),
                    amount=min(left, receivable.open_amount) if possible else ZERO,
                )
            )
        result[payment.pk] = rows
    return result


# --- one payment ----------------------------------------------------------------------------------


def payment_detail(*, company: Company, pk: int) -> Payment | None:
    return (
        Payment.objects.filter(company=company, pk=pk)
        .select_related("customer", "payment_import", "created_by", "reversed_by")
        .first()
    )


def payment_allocations(*, payment: Payment) -> list[Allocation]:
    """The payment's allocations with the invoice numbers (one query for them), each with
    `is_undone` and `number`."""
    rows = list(
        Allocation.objects.filter(payment=payment)
        .select_related("reversal_of")
        .annotate(undone_by=F("reversed_by__pk"))
        .order_by("created_at", "pk")
    )
    numbers = dict(
        Receivable.objects.filter(pk__in={r.invoice_id for r in rows if r.invoice_id}).values_list("pk", "number")
    )
    for row in rows:
        row.is_undone = row.undone_by is not None
        row.is_reversal = row.reversal_of_id is not None
        row.number = numbers.get(row.invoice_id, "")
    return rows


def payment_has_live_allocations(allocations: list[Allocation]) -> bool:
    return any(not a.is_undone and not a.is_reversal and a.invoice_id for a in allocations)


# --- a customer's money --------------------------------------------------------------------------


@dataclass
class CustomerMoney:
    """A customer's open balance (what their invoices still owe) and credit balance, per currency."""

    open: dict[str, Decimal] = field(default_factory=dict)
    credit: dict[str, Decimal] = field(default_factory=dict)

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.open) | set(self.credit))

    def rows(self) -> list[tuple[str, Decimal, Decimal]]:
        return [(c, self.open.get(c, ZERO), self.credit.get(c, ZERO)) for c in self.currencies]


def customer_money(*, company: Company, customer_id: int) -> CustomerMoney:
    """Three aggregates: open receivables, and the credit balance (`_credit_sums`)."""
    money = CustomerMoney()
    for currency, amount in (
        Receivable.objects.filter(company=company, customer_id=customer_id, state__in=OPEN_STATES)
        .order_by()
        .values("currency")
        .annotate(open=Sum("open_amount"))
        .values_list("currency", "open")
    ):
        money.open[currency] = amount
    money.credit = {key[0]: amount for key, amount in _credit_sums(company=company, customer_ids=[customer_id]).items()}
    return money


def customer_payments(*, company: Company, customer_id: int, limit: int = 50) -> list[Payment]:
    return list(Payment.objects.filter(company=company, customer_id=customer_id).order_by("-booked_on", "-pk")[:limit])


PAID_STATES = (ReceivableState.PAID, ReceivableState.OVERPAID)
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


def _sum(expression: Any, condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum(expression, filter=condition), Value(ZERO), output_field=MONEY_FIELD)


def open_receivables(*, company: Company | int) -> QuerySet[Receivable]:
    return Receivable.objects.filter(company=company, state__in=OPEN_STATES)


# --- the home page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivableFigures:
    """Per currency: what is overdue and what falls due in the rest of this week."""

    currency: str
    overdue_amount: Decimal
    overdue_count: int
    due_week_amount: Decimal
    due_week_count: int


def receivables_at_a_glance(*, company: Company, today: dt.date) -> list[ReceivableFigures]:
    """One query: overdue (due before today) and due from today to this week's Sunday."""
    sunday = today + dt.timedelta(days=6 - today.weekday())
    overdue = Q(due_on__lt=today)
    this_week = Q(due_on__gte=today, due_on__lte=sunday)
    rows = (
        open_receivables(company=company)
        .filter(due_on__lte=sunday)
        .values("currency")
        .annotate(
            overdue_amount=_sum("open_amount", overdue),
            overdue_count=Count("pk", filter=overdue),
            due_week_amount=_sum("open_amount", this_week),
            due_week_count=Count("pk", filter=this_week),
        )
        .order_by("currency")
    )
    return [ReceivableFigures(**row) for row in rows]


@dataclass(frozen=True)
class UnmatchedFigures:
    count: int
    amounts: dict[str, Decimal]


def unmatched_payments_summary(*, company: Company) -> UnmatchedFigures:
    """The queue of payments waiting to be matched: how many, and their money per currency."""
    rows = (
        Payment.objects.filter(company=company, status=PaymentStatus.UNMATCHED)
        .values("currency")
        .annotate(count=Count("pk"), amount=_sum("amount"))
        .order_by("currency")
    )
    return UnmatchedFigures(
        count=sum(row["count"] for row in rows), amounts={row["currency"]: row["amount"] for row in rows}
    )


def recent_payment_imports(*, company: Company, since: dt.datetime, limit: int = 5) -> list[PaymentImport]:
    """The bank files read since `since`, newest first."""
    return list(
        PaymentImport.objects.filter(company=company, created_at__gte=since).order_by("-created_at", "-pk")[:limit]
    )


# --- aged receivables -------------------------------------------------------------------------

# (key, label, the least and the most days past due; None: open-ended)
AGING_BUCKETS: tuple[tuple[str, Any, int | None, int | None], ...] = (
    ("not_due", _("Not due"), None, 0),
    ("days_1_30", _("1–30 days"), 1, 30),
    ("days_31_60", _("31–60 days"), 31, 60),
    ("days_61_90", _("61–90 days"), 61, 90),
    ("days_over_90", _("Over 90 days"), 91, None),
)
AGING_KEYS = tuple(key for key, *_rest in AGING_BUCKETS)


def _bucket_condition(as_of: dt.date, least: int | None, most: int | None) -> Q:
    """Days past due = as_of - due_on, in due dates so the index on due_on serves."""
    condition = Q()
    if most is not None:
        condition &= Q(due_on__gte=as_of - dt.timedelta(days=most))
    if least is not None:
        condition &= Q(due_on__lte=as_of - dt.timedelta(days=least))
    return condition


def _aging_sums(as_of: dt.date) -> dict[str, Any]:
    sums: dict[str, Any] = {
        key: _sum("open_amount", _bucket_condition(as_of, least, most)) for key, _label, least, most in AGING_BUCKETS
    }
    sums["total"] = _sum("open_amount")
    sums["invoices"] = Count("pk")
    return sums


def _aged(company: Company, as_of: dt.date) -> QuerySet[Receivable]:
    # Invoices issued after the day did not exist on it.
    return open_receivables(company=company).filter(issued_on__lte=as_of)


def aging_totals(*, company: Company, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """The company's open receivables per currency in the age buckets, one query:
    {currency: {"not_due": ..., "days_1_30": ..., ..., "total": ..., "invoices": n}}."""
    rows = _aged(company, as_of).values("currency").annotate(**_aging_sums(as_of)).order_by("currency")
    return {row.pop("currency"): row for row in rows}


def aging_by_customer(*, company: Company, as_of: dt.date, currency: str) -> QuerySet:
    """A row per customer (dicts: customer_id, customer_name, the buckets, total, invoices) of
    one currency; ordered and paged by the caller (sort keys: customer_name, the bucket keys,
    total)."""
    return (
        _aged(company, as_of)
        .filter(currency=currency)
        .values("customer_id")
        .annotate(customer_name=F("customer__name"), **_aging_sums(as_of))
        .order_by()
    )


def _credit_sums(
    *, company: Company, customer_ids: Iterable[int] | None = None, per_customer: bool = False
) -> dict[tuple, Decimal]:
    """Credit balances (payments' money on no invoice, plus what over-paid invoices hold) summed
    per currency, or per (customer, currency): two aggregates, none of them zero."""
    keys = ("customer_id", "currency") if per_customer else ("currency",)
    payments = Payment.objects.filter(company=company, status=PaymentStatus.CREDIT)
    overpaid = Receivable.objects.filter(company=company, state=ReceivableState.OVERPAID)
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        payments = payments.filter(any_of(Payment, ids, "customer_id"))
        overpaid = overpaid.filter(any_of(Receivable, ids, "customer_id"))
    totals: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for *key, amount in (
        payments.order_by()
        .values(*keys)
        .annotate(amount=_sum(F("amount") - F("allocated_amount")))
        .values_list(*keys, "amount")
    ):
        totals[tuple(key)] += amount
    for *key, amount in (
        overpaid.order_by().values(*keys).annotate(amount=_sum("open_amount")).values_list(*keys, "amount")
    ):
        totals[tuple(key)] -= amount
    return {key: amount for key, amount in totals.items() if amount}


def credit_balances(*, company: Company, customer_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """Each customer's credit balance per currency."""
    ids = list(customer_ids)
    balances: dict[int, dict[str, Decimal]] = {}
    if not ids:
        return balances
    for (customer_id, currency), amount in _credit_sums(company=company, customer_ids=ids, per_customer=True).items():
        balances.setdefault(customer_id, {})[currency] = amount
    return balances


def credit_balance_totals(*, company: Company) -> dict[str, Decimal]:
    """All customers' credit balances added up per currency."""
    return {key[0]: amount for key, amount in _credit_sums(company=company).items()}


# --- the cash-in forecast's inputs ------------------------------------------------------------

HISTORY_DAYS = 730


@dataclass
class ForecastInputs:
    open_items: list[Item]
    delays: dict[int, list[int]]
    outcomes: dict[int, Outcome]
    currencies: set[str] = field(default_factory=set)


def forecast_inputs(*, company: Company, today: dt.date) -> ForecastInputs:
    """Three queries: the open receivables (summed per customer, currency and due date), the
    days late of the invoices paid in the last two years, and per customer how many of the
    invoices due long enough ago are paid."""
    # A customer's invoices of one due date count as one (batches share their due dates).
    open_items = [
        Item(customer_id, currency, amount, due_on)
        for customer_id, currency, due_on, amount in open_receivables(company=company)
        .values_list("customer_id", "currency", "due_on")
        .annotate(amount=_sum("open_amount"))
        .order_by()
    ]
    since = today - dt.timedelta(days=HISTORY_DAYS)
    delays: dict[int, list[int]] = defaultdict(list)
    for customer_id, paid_on, due_on in Receivable.objects.filter(
        company=company, state__in=PAID_STATES, paid_on__isnull=False, paid_on__gte=since, settled_amount__gt=0
    ).values_list("customer_id", "paid_on", "due_on"):
        delays[customer_id].append((paid_on - due_on).days)
    outcomes = {
        row["customer_id"]: Outcome(paid=row["paid"], total=row["total"])
        for row in Receivable.objects.filter(
            company=company, due_on__gte=since, due_on__lte=today - dt.timedelta(days=SETTLED_AFTER)
        )
        .values("customer_id")
        .annotate(total=Count("pk"), paid=Count("pk", filter=Q(state__in=PAID_STATES)))
        .order_by()
    }
    return ForecastInputs(
        open_items=open_items,
        delays=dict(delays),
        outcomes=outcomes,
        currencies={item.currency for item in open_items},
    )


# --- the customer statement (kontoutdrag) -----------------------------------------------------


class EntryKind:
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    PAYMENT_REVERSED = "payment_reversed"
    REFUND = "refund"
    CREDIT_APPLIED = "credit_applied"
    CASH_DISCOUNT = "cash_discount"


@dataclass
class StatementEntry:
    on: dt.date
    kind: str
    reference: str
    # What it does to the customer's balance (what they owe): + an invoice, - a payment.
    amount: Decimal
    # Money moved without changing the balance (a credit balance applied to an invoice).
    moved: Decimal = ZERO
    balance: Decimal = ZERO
    order: tuple[Any, ...] = ()


@dataclass
class OpenInvoice:
    number: str
    issued_on: dt.date
    due_on: dt.date
    total_amount: Decimal
    open_amount: Decimal
    days_late: int


@dataclass
class Statement:
    customer: Customer
    currency: str
    starts_on: dt.date
    ends_on: dt.date
    opening_balance: Decimal
    entries: list[StatementEntry]
    closing_balance: Decimal
    open_invoices: list[OpenInvoice]
    open_total: Decimal
    made_on: dt.date


def statement_currencies(*, company: Company, customer: Customer) -> list[str]:
    """The currencies the customer has been invoiced or paid in, the company's own first."""
    found = set(Receivable.objects.filter(company=company, customer=customer).values_list("currency", flat=True))
    found |= set(Payment.objects.filter(company=company, customer=customer).values_list("currency", flat=True))
    default = company.default_currency
    return sorted(found | {default}, key=lambda code: (code != default, code))


def _entries(company: Company, customer: Customer, currency: str, until: dt.date) -> list[StatementEntry]:
    """Everything up to `until` that changed what the customer owes in `currency` (and the
    credit balances applied, which only move money): five queries."""
    entries = []
    for pk, number, on, total in Receivable.objects.filter(
        company=company, customer=customer, currency=currency, issued_on__lte=until
    ).values_list("pk", "number", "issued_on", "total_amount"):
        entries.append(StatementEntry(on, EntryKind.INVOICE, number, total, order=(on, 0, pk)))
    for pk, number, seller, on, total in Invoice.objects.filter(
        company=company,
        customer=customer,
        currency=currency,
        kind=InvoiceKind.CREDIT_NOTE,
        status__in=(InvoiceStatus.ISSUED, InvoiceStatus.CREDITED),
        issued_on__lte=until,
    ).values_list("pk", "number", "seller", "issued_on", "total_amount"):
        prefix = (seller or {}).get("series_prefix", "")
        entries.append(StatementEntry(on, EntryKind.CREDIT_NOTE, f"{prefix}{number}", -abs(total), order=(on, 1, pk)))
    for pk, on, amount, reference, reversed_at in Payment.objects.filter(
        company=company, customer=customer, currency=currency, booked_on__lte=until
    ).values_list("pk", "booked_on", "amount", "reference", "reversed_at"):
        entries.append(StatementEntry(on, EntryKind.PAYMENT, reference, -amount, order=(on, 2, pk)))
        if reversed_at is not None and timezone.localdate(reversed_at) <= until:
            day = timezone.localdate(reversed_at)
            entries.append(StatementEntry(day, EntryKind.PAYMENT_REVERSED, reference, amount, order=(day, 3, pk)))
    kinds = (AllocationKind.REFUND, AllocationKind.CREDIT_BALANCE, AllocationKind.CASH_DISCOUNT)
    for pk, kind, amount, on, invoice_id, number in Allocation.objects.filter(
        company=company, customer=customer, currency=currency, kind__in=kinds, on__lte=until
    ).values_list("pk", "kind", "amount", "on", "invoice_id", "invoice__number"):
        reference = str(number or "")
        if kind == AllocationKind.REFUND:
            # Paid back from a payment's money (+) or from an over-paid invoice (-): either
            # way the customer's balance goes up by what was paid back.
            effect = amount if invoice_id is None else -amount
            entries.append(StatementEntry(on, EntryKind.REFUND, reference, effect, order=(on, 4, pk)))
        elif kind == AllocationKind.CASH_DISCOUNT:
            entries.append(StatementEntry(on, EntryKind.CASH_DISCOUNT, reference, -amount, order=(on, 4, pk)))
        else:
            entries.append(
                StatementEntry(on, EntryKind.CREDIT_APPLIED, reference, ZERO, moved=amount, order=(on, 4, pk))
            )
    entries.sort(key=lambda entry: entry.order)
    return entries


def customer_statement(
    *, company: Company, customer: Customer, starts_on: dt.date, ends_on: dt.date, currency: str, today: dt.date
) -> Statement:
    """The customer's account for a period in one currency: the balance before it, every
    invoice, credit note, payment, refund and credit applied in it with the running balance,
    the balance at its end, and the invoices open today."""
    opening = ZERO
    shown = []
    balance = ZERO
    for entry in _entries(company, customer, currency, ends_on):
        balance += entry.amount
        if entry.on < starts_on:
            opening = balance
            continue
        entry.balance = balance
        shown.append(entry)
    open_invoices = [
        OpenInvoice(number, issued_on, due_on, total, open_amount, max(0, (today - due_on).days))
        for number, issued_on, due_on, total, open_amount in open_receivables(company=company)
        .filter(customer=customer, currency=currency)
        .order_by("due_on", "pk")
        .values_list("number", "issued_on", "due_on", "total_amount", "open_amount")
    ]
    return Statement(
        customer=customer,
        currency=currency,
        starts_on=starts_on,
        ends_on=ends_on,
        opening_balance=opening,
        entries=shown,
        closing_balance=balance,
        open_invoices=open_invoices,
        open_total=sum((row.open_amount for row in open_invoices), ZERO),
        made_on=today,
    )


# --- other apps' questions ---------------------------------------------------------------------


def payment_facts_of(invoice_ids: list[int]) -> dict[int, PaymentFacts]:
    """core.payment_facts' provider: state, what is open and what the credit balance paid, of
    each receivable among `invoice_ids` (two queries whatever their number)."""
    prepaid: dict[int, Decimal] = dict(
        Allocation.objects.filter(
            Q(kind=AllocationKind.CREDIT_BALANCE, amount__gt=0) & any_of(Allocation, invoice_ids, "invoice_id")
        )
        .values("invoice_id")
        .annotate(amount=Sum("amount"))
        .values_list("invoice_id", "amount")
    )
    none = Decimal("0.00")
    return {
        pk: PaymentFacts(state, open_amount, prepaid.get(pk, none))
        for pk, state, open_amount in Receivable.objects.filter(any_of(Receivable, invoice_ids)).values_list(
            "pk", "state", "open_amount"
        )
    }


# --- an invoice's payment state (API, portal, webhooks) -------------------------------------------

RECEIVABLE_FIELDS = (
    "invoice_id",
    "number",
    "state",
    "currency",
    "total_amount",
    "credited_amount",
    "settled_amount",
    "open_amount",
    "due_on",
    "paid_on",
    "days_late",
)


@dataclass(frozen=True)
class PaymentState:
    """What an issued invoice has been paid, as one row of its receivable."""

    invoice_id: int
    number: str
    state: str
    currency: str
    total_amount: Decimal
    credited_amount: Decimal
    paid_amount: Decimal
    open_amount: Decimal
    due_on: dt.date
    paid_on: dt.date | None
    days_late: int | None

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.state in OPEN_STATES and self.due_on < (today or timezone.localdate())

    def shown_state(self, today: dt.date | None = None) -> str:
        """paid, overpaid, partly_paid, overdue or unpaid: what a payer is told."""
        if self.state in OPEN_STATES and self.is_overdue(today):
            return "overdue"
        return self.state

    def as_dict(self) -> dict[str, Any]:
        """The invoice's `payment` in the API and the webhooks' bodies."""
        return {
            "state": self.state,
            "paid_amount": self.paid_amount,
            "open_amount": self.open_amount,
            "credited_amount": self.credited_amount,
            "paid_on": self.paid_on,
            "days_late": self.days_late,
        }


def _state_of(row: tuple[Any, ...]) -> PaymentState:
    invoice_id, number, state, currency, total, credited, settled, open_amount, due_on, paid_on, late = row
    return PaymentState(
        invoice_id=invoice_id,
        number=number,
        state=state,
        currency=currency,
        total_amount=total,
        credited_amount=credited,
        paid_amount=settled,
        open_amount=open_amount,
        due_on=due_on,
        paid_on=paid_on,
        days_late=late,
    )


def payment_states(*, company: Company | int, invoice_ids: Iterable[int]) -> dict[int, PaymentState]:
    """The payment state of each issued invoice among `invoice_ids`, in one query (drafts and
    credit notes have none and are left out)."""
    ids = sorted({int(pk) for pk in invoice_ids})
    if not ids:
        return {}
    company_id = company if isinstance(company, int) else company.pk
    rows = Receivable.objects.filter(Q(company_id=company_id) & any_of(Receivable, ids)).values_list(*RECEIVABLE_FIELDS)
    return {row[0]: _state_of(row) for row in rows}


def payment_state(*, company: Company | int, invoice_id: int) -> PaymentState | None:
    return payment_states(company=company, invoice_ids=[invoice_id]).get(invoice_id)


def settling_payments(*, company_id: int, invoice_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """For each invoice among `invoice_ids`, the latest payment put on it and not undone (the
    one that settled it, for the worklist's task history): payment id, amount, currency and
    date, as data. One query whatever the number."""
    ids = sorted({int(pk) for pk in invoice_ids})
    found: dict[int, dict[str, Any]] = {}
    if not ids:
        return found
    rows = (
        Allocation.objects.filter(
            any_of(Allocation, ids, "invoice_id"),
            company_id=company_id,
            payment__isnull=False,
            reversal_of__isnull=True,
            reversed_by__isnull=True,
            amount__gt=0,
        )
        .order_by("invoice_id", "-created_at", "-pk")
        .values_list("invoice_id", "payment_id", "amount", "currency", "on")
    )
    for invoice_id, payment_id, amount, currency, on in rows:
        found.setdefault(
            invoice_id,
            {"payment_id": payment_id, "amount": str(amount), "currency": currency, "paid_on": on.isoformat()},
        )
    return found


# --- payments (API) ------------------------------------------------------------------------------


def payment_list_api(
    *,
    company: Company,
    status: str = "",
    booked_from: dt.date | None = None,
    booked_to: dt.date | None = None,
    invoice_id: int | None = None,
) -> QuerySet[Payment]:
    """The API's list: `payment_list` by status and payment date, and the payments put on one
    invoice; newest first."""
    qs = payment_list(
        company=company, filters=PaymentFilter(status=status, booked_from=booked_from, booked_to=booked_to)
    )
    if invoice_id is not None:
        qs = qs.filter(pk__in=_payments_on_invoice(company, invoice_id))
    return qs.order_by("-booked_on", "-pk")


def _payments_on_invoice(company: Company, invoice_id: int) -> QuerySet[Any]:
    return Allocation.objects.filter(company=company, invoice_id=invoice_id, payment__isnull=False).values("payment_id")


def live_allocations_by_payment(*, payment_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each payment's allocations not undone (invoice, kind, amount), in one query."""
    ids = sorted(set(payment_ids))
    found: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    if not ids:
        return found
    rows = (
        Allocation.objects.filter(any_of(Allocation, ids, "payment_id"), reversal_of__isnull=True)
        .filter(reversed_by__isnull=True)
        .order_by("pk")
        .values_list("payment_id", "invoice_id", "kind", "amount", "on")
    )
    for payment_id, invoice_id, kind, amount, on in rows:
        found[payment_id].append({"invoice_id": invoice_id, "kind": kind, "amount": amount, "on": on})
    return found


# --- bank-file imports (staff pages, API) ---------------------------------------------------------


def payment_imports_of(*, company: Company) -> QuerySet[PaymentImport]:
    """The company's bank-file imports, newest first, with who imported them."""
    return PaymentImport.objects.filter(company=company).select_related("created_by")


def payment_import_lines(*, record: PaymentImport) -> QuerySet[Payment]:
    """The payments an import booked, in the order of the file."""
    return Payment.objects.filter(company_id=record.company_id, payment_import=record).order_by("pk")


ID_BATCH = 5000
SKIPPED_REASONS = ("already_booked", "debit", "reversal", "not_booked", "no_amount", "zero_amount")


def payment_import_skipped(*, record: PaymentImport) -> SkippedLines:
    """The lines of an import that booked no payment, each with its reason's code and, for one
    already booked, the payment it was booked as (when that payment is the company's). A sequence
    that reads only what is asked of it: a page of a file of fifty thousand lines read twice
    reads its page's lines."""
    return SkippedLines(record)


class SkippedLines(SequenceABC):
    def __init__(self, record: PaymentImport) -> None:
        self.record = record
        self.first: PaymentImport | None = None
        self.rest: SkippedLines | None = None
        if record.same_file_as_id is not None:
            # A file imported again byte for byte: its lines are the first import's, those it
            # booked now already booked (as those payments), then the rest as the first said.
            self.first = PaymentImport.objects.get(pk=record.same_file_as_id)
            self.rest = SkippedLines(self.first)

    def __len__(self) -> int:
        if self.first is not None and self.rest is not None:
            return self.first.booked_count + len(self.rest)
        return len(self.record.skipped or [])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from self[:]

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else self[len(self) + index : len(self) + index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            return self[start:stop][::step]
        if self.first is not None and self.rest is not None:
            booked = self.first.booked_count
            lines = self._booked(start, min(stop, booked)) if start < booked else []
            if stop > booked:
                lines += self.rest[max(start - booked, 0) : stop - booked]
            return lines
        return _resolved(self.record, [dict(line) for line in (self.record.skipped or [])[start:stop]])

    def _booked(self, start: int, stop: int) -> list[dict[str, Any]]:
        assert self.first is not None
        rows = payment_import_lines(record=self.first).values_list(
            "pk", "position", "amount", "currency", "reference", "payer_name"
        )[start:stop]
        return [
            {
                "position": position,
                "reason": "already_booked",
                "amount": amount,
                "currency": currency,
                "reference": reference,
                "payer": payer,
                "payment_id": pk,
            }
            for pk, position, amount, currency, reference, payer in rows
        ]


def _resolved(record: PaymentImport, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines as stored, their earlier payments kept only when they are the company's, their
    amounts as numbers."""
    known = {line["payment_id"] for line in lines if isinstance(line.get("payment_id"), int)}
    mine: set[int] = set()
    ordered = sorted(known)
    # In batches: a file read twice names as many earlier payments as it has lines.
    for start in range(0, len(ordered), ID_BATCH):
        batch = ordered[start : start + ID_BATCH]
        mine.update(
            Payment.objects.filter(Q(company_id=record.company_id) & any_of(Payment, batch)).values_list(
                "pk", flat=True
            )
        )
    for line in lines:
        if line.get("payment_id") not in mine:
            line["payment_id"] = None
        if line.get("amount") not in (None, ""):
            try:
                line["amount"] = Decimal(str(line["amount"]))
            except ArithmeticError:
                line["amount"] = None
    return lines


def totals_of(totals: dict[str, str]) -> dict[str, Decimal]:
    """An import's totals per currency as numbers."""
    found: dict[str, Decimal] = {}
    for currency, amount in (totals or {}).items():
        try:
            found[currency] = Decimal(str(amount))
        except ArithmeticError:
            found[currency] = ZERO
    return found


# --- for bookkeeping (allocation.booked) ---------------------------------------------------------------

ALLOCATION_BOOK_FIELDS = (
    "pk", "payment_id", "invoice_id", "invoice__receivable__number", "customer_id", "kind", "amount", "currency",
    "on", "created_at", "params", "reversal_of_id",
)  # fmt: skip


def allocations_for_books(company_id: int, allocation_ids: SequenceABC[int]) -> list[tuple[Any, ...]]:
    """The allocations of `allocation_ids` as rows of ALLOCATION_BOOK_FIELDS, in id order (one query),
    with the invoice's number as shown; a cash discount's undoing also carries its original's VAT
    split (`params["vat"]`, one more query only when there is such an undoing)."""
    if not allocation_ids:
        return []
    rows = [
        list(row)
        for row in Allocation.objects.filter(Q(company_id=company_id) & any_of(Allocation, list(allocation_ids)))
        .order_by("pk")
        .values_list(*ALLOCATION_BOOK_FIELDS)
    ]
    undone = {row[11]: row for row in rows if row[11] is not None and row[5] == AllocationKind.CASH_DISCOUNT}
    if undone:
        for pk, params in Allocation.objects.filter(pk__in=list(undone)).values_list("pk", "params"):
            undone[pk][10] = {**(undone[pk][10] or {}), "vat": (params or {}).get("vat", [])}
    return [tuple(row) for row in rows]


def payments_for_books(company_id: int, payment_ids: SequenceABC[int]) -> list[tuple[Any, ...]]:
    """(id, amount, currency, booked_on, payer name, reference) of the payments, in id order."""
    if not payment_ids:
        return []
    return list(
        Payment.objects.filter(Q(company_id=company_id) & any_of(Payment, list(payment_ids)))
        .order_by("pk")
        .values_list("pk", "amount", "currency", "booked_on", "payer_name", "reference")
    )


# --- for collections -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """An invoice unpaid after its due date, as collections reads it."""

    invoice_id: int
    customer_id: int
    number: str
    currency: str
    issued_on: dt.date
    due_on: dt.date
    total_amount: Decimal
    paid_amount: Decimal  # paid or credited so far
    open_amount: Decimal
    payment_reference: str


def overdue_receivables(*, company_id: int, on: dt.date, invoice_ids: Iterable[int] | None = None) -> list[Overdue]:
    """The company's invoices with money open after their due date (before `on`), in one query:
    what collections may remind (an over-paid, paid or credited invoice is never among them)."""
    found = Receivable.objects.filter(company_id=company_id, state__in=OPEN_STATES, due_on__lt=on, open_amount__gt=0)
    if invoice_ids is not None:
        found = found.filter(any_of(Receivable, sorted(set(invoice_ids))))
    return [
        Overdue(
            invoice_id=row[0],
            customer_id=row[1],
            number=row[2],
            currency=row[3],
            issued_on=row[4],
            due_on=row[5],
            total_amount=row[6],
            paid_amount=row[7] + row[8],
            open_amount=row[9],
            payment_reference=row[10],
        )
        for row in found.order_by("invoice_id").values_list(
            "invoice_id",
            "customer_id",
            "number",
            "currency",
            "issued_on",
            "due_on",
            "total_amount",
            "credited_amount",
            "settled_amount",
            "open_amount",
            "payment_reference",
        )
    ]


@dataclass(frozen=True)
class PaidClaim:
    """A paid invoice as collections reads it for late-payment interest: what was owed, when
    it fell due and the money that paid it, day by day (`parts`: date -> amount, net of what
    was undone)."""

    invoice_id: int
    customer_id: int
    number: str
    currency: str
    due_on: dt.date
    owed_amount: Decimal  # the total less what credit notes took off
    paid_on: dt.date | None
    parts: tuple[tuple[dt.date, Decimal], ...]


def paid_claims(*, company_id: int, invoice_ids: Iterable[int], late_only: bool = False) -> list[PaidClaim]:
    """The invoices among `invoice_ids` that are paid (or over-paid), with the money put on each
    by date (payments, credit balance, cash discounts; undone allocations and their reversals
    left out); with `late_only`, only those paid after their due date (most of a bank file's are
    not: their money is then not read). Two queries for any number of invoices."""
    ids = sorted({int(pk) for pk in invoice_ids})
    if not ids:
        return []
    late = Q(paid_on__gt=F("due_on")) if late_only else Q()
    receivables = (
        Receivable.objects.filter(
            Q(company_id=company_id, state__in=(ReceivableState.PAID, ReceivableState.OVERPAID))
            & late
            & any_of(Receivable, ids)
        )
        .order_by("invoice_id")
        .values_list(
            "invoice_id", "customer_id", "number", "currency", "due_on", "total_amount", "credited_amount", "paid_on"
        )
    )
    found = list(receivables)
    if not found:
        return []
    parts: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    rows = Allocation.objects.filter(
        any_of(Allocation, [row[0] for row in found], "invoice_id"),
        company_id=company_id,
        reversal_of__isnull=True,
        reversed_by__isnull=True,
    ).values_list("invoice_id", "on", "amount")
    for invoice_id, on, amount in rows:
        parts[invoice_id][on] += amount
    return [
        PaidClaim(
            invoice_id=invoice_id,
            customer_id=customer_id,
            number=number,
            currency=currency,
            due_on=due_on,
            owed_amount=total - credited,
            paid_on=paid_on,
            parts=tuple(sorted((on, amount) for on, amount in parts[invoice_id].items() if amount)),
        )
        for invoice_id, customer_id, number, currency, due_on, total, credited, paid_on in found
    ]


def unmatched_payer_names(*, company_id: int) -> list[str]:
    """The payers' names of the payments waiting in the unmatched queue (those that give one)."""
    return list(
        Payment.objects.filter(company_id=company_id, status=PaymentStatus.UNMATCHED)
        .exclude(payer_name="")
        .values_list("payer_name", flat=True)
        .order_by()  # no default ordering: DISTINCT over the names alone
        .distinct()
    )


def last_bank_import_at(*, company_id: int) -> dt.datetime | None:
    """When the company's last bank file was read (of any kind), or None."""
    return (
        PaymentImport.objects.filter(company_id=company_id)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
