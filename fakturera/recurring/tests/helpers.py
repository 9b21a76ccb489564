"""Recurring invoices made through the services, as staff would make them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Company, Customer
from fakturera.recurring.models import RecurringInvoice
from fakturera.recurring.services import recurring_create


def line(description: str, price: str, frequency: str, next_on: dt.date, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "quantity": "1",
        "unit_price": price,
        "vat_category": "S",
        "vat_rate": "25",
        "frequency": frequency,
        "factor": 1,
        "next_on": next_on,
        **extra,
    }


def recurring(
    company: Company, customer: Customer, actor: Any, *lines: dict[str, Any], **header: Any
) -> RecurringInvoice:
    return recurring_create(company=company, customer=customer, actor=actor, lines=list(lines), **header)


def orders_of(recurring_invoice: RecurringInvoice) -> list[Invoice]:
    return list(
        Invoice.objects.filter(recurring_invoice=recurring_invoice).order_by("recurring_on").prefetch_related("lines")
    )


def order_lines(order: Invoice) -> list[str]:
    return [line.description for line in order.lines.all()]
