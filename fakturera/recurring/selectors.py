"""Reads of recurring invoices and their orders, always for one company."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, QuerySet

from fakturera.catalog.models import Product
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company, Customer
from fakturera.recurring.models import NoticeKind, Pricing, RecurringInvoice, RecurringLine, RecurringNotice
from fakturera.recurring.schedule import LineSchedule, plan_orders


def recurring_list(*, company: Company, customer: Customer | None = None) -> QuerySet[RecurringInvoice]:
    """The company's active recurring invoices with their next date (the earliest of their lines')."""
    qs = RecurringInvoice.objects.filter(company=company, deleted_at__isnull=True)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return (
        qs.select_related("customer")
        .annotate(next_on=Min("lines__next_on"), line_count=Count("lines"))
        .order_by("next_on", "customer__name", "pk")
    )


def recurring_detail(*, company: Company, pk: int) -> RecurringInvoice:
    """RecurringInvoice.DoesNotExist for another company's id or a deleted one."""
    return (
        RecurringInvoice.objects.select_related("customer")
        .prefetch_related("lines__product")
        .get(company=company, pk=pk, deleted_at__isnull=True)
    )


def recurring_due_count(*, company: Company, today: dt.date) -> int:
    """Recurring invoices with an order ready for generation (a line due on or before today)."""
    due = RecurringLine.objects.filter(recurring_invoice=OuterRef("pk"), next_on__lte=today)
    return RecurringInvoice.objects.filter(Exists(due), company=company, deleted_at__isnull=True).count()


def recurring_orders(*, company: Company, recurring_invoice: RecurringInvoice | None = None) -> QuerySet[Invoice]:
    """Orders waiting to be invoiced: drafts generated from recurring invoices, oldest first."""
    qs = Invoice.objects.filter(company=company, status=InvoiceStatus.DRAFT, recurring_invoice__isnull=False)
    if recurring_invoice is not None:
        qs = qs.filter(recurring_invoice=recurring_invoice)
    return qs.select_related("customer", "recurring_invoice").order_by("recurring_on", "customer__name", "pk")


def recurring_generated(*, company: Company, recurring_invoice: RecurringInvoice) -> QuerySet[Invoice]:
    """Everything generated from one recurring invoice, newest first, drafts and invoices."""
    return Invoice.objects.filter(company=company, recurring_invoice=recurring_invoice).order_by("-recurring_on")


def recurring_notice_kind(*, company: Company, user: Any) -> str:
    kind = RecurringNotice.objects.filter(company=company, user=user).values_list("kind", flat=True).first()
    return kind or NoticeKind.ICON


@dataclass(frozen=True)
class PlannedInvoice:
    """An order a recurring invoice will make: its date, customer, total with VAT and the due
    date its payment terms give (the cash-in forecast's expected invoicing)."""

    recurring_invoice_id: int
    customer_id: int
    currency: str
    on: dt.date
    total: Decimal
    due_on: dt.date


def planned_invoicing(*, company: Company, until: dt.date) -> list[PlannedInvoice]:
    """Every order the company's active recurring invoices will make up to `until` (orders
    already due included: the next run makes them), from the pure schedule; one query for
    the lines, one for dynamic prices. Totals are the lines' prices with VAT, before any
    rounding to whole units; a dynamic price is the product's price today."""
    rows = list(
        RecurringLine.objects.filter(
            recurring_invoice__company=company, recurring_invoice__deleted_at__isnull=True, next_on__lte=until
        )
        .order_by("recurring_invoice_id", "position", "pk")
        .values(
            "recurring_invoice_id",
            "recurring_invoice__customer_id",
            "recurring_invoice__customer__payment_terms_days",
            "recurring_invoice__currency",
            "quantity",
            "unit_price",
            "vat_rate",
            "pricing",
            "product_id",
            "start_on",
            "frequency",
            "factor",
            "next_on",
        )
    )
    dynamic = {row["product_id"] for row in rows if row["pricing"] == Pricing.DYNAMIC and row["product_id"]}
    prices = dict(Product.objects.filter(pk__in=dynamic).values_list("pk", "unit_price")) if dynamic else {}
    by_recurring: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_recurring[row["recurring_invoice_id"]].append(row)
    found = []
    cent = Decimal("0.01")
    for recurring_id, lines in by_recurring.items():
        head = lines[0]
        terms = head["recurring_invoice__customer__payment_terms_days"]
        terms = company.payment_terms_days if terms is None else terms
        plan = plan_orders(
            [LineSchedule(line["start_on"], line["frequency"], line["factor"], line["next_on"]) for line in lines],
            until,
        )
        for order in plan.orders:
            total = Decimal(0)
            for planned in order.lines:
                line = lines[planned.index]
                price = line["unit_price"]
                if line["pricing"] == Pricing.DYNAMIC and line["product_id"] in prices:
                    price = prices[line["product_id"]]
                net = (line["quantity"] * price).quantize(cent, rounding=ROUND_HALF_UP)
                total += net + (net * line["vat_rate"] / 100).quantize(cent, rounding=ROUND_HALF_UP)
            found.append(
                PlannedInvoice(
                    recurring_id,
                    head["recurring_invoice__customer_id"],
                    head["recurring_invoice__currency"],
                    order.on,
                    total,
                    order.on + dt.timedelta(days=terms),
                )
            )
    return found
