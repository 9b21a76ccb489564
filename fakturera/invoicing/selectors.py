"""Reads of invoices, always for one company."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from fakturera.invoicing.models import Invoice
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


def invoice_detail(*, company: Company, pk: int) -> Invoice:
    """One invoice with what its page shows; Invoice.DoesNotExist for other companies' ids."""
    return (
        Invoice.objects.select_related("customer", "credited_invoice", "created_by")
        .prefetch_related("lines", "vat_breakdown", "events__actor", "credit_notes")
        .get(company=company, pk=pk)
    )
