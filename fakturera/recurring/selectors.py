"""Reads of recurring invoices and their orders, always for one company."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, QuerySet

from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company, Customer
from fakturera.recurring.models import NoticeKind, RecurringInvoice, RecurringLine, RecurringNotice


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
