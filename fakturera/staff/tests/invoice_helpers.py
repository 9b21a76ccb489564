"""Set-up for the basis and invoice page tests: logged-in clients and data made
through the services, as staff would make it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.messages import get_messages
from django.test import Client

from fakturera.billables.models import BasisItem
from fakturera.billables.services import basis_item_add
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import Company, Customer
from fakturera.parties.tests.factories import PersonFactory, StaffFactory

ISSUED_ON = dt.date(2026, 11, 20)


def staff_client(company: Company, role: str = "accountant") -> tuple[Client, Any]:
    user = StaffFactory(company=company, role=role).user
    client = Client()
    client.force_login(user)
    return client, user


def customer_with_items(
    company: Company, *prices: str, name: str | None = None, vat: tuple[str, str] = ("S", "25"), **extra: Any
) -> tuple[Customer, list[BasisItem]]:
    customer = PersonFactory(company=company, **({"name": name} if name else {}))
    return customer, add_lines(company, customer, *prices, vat=vat, **extra)


def add_lines(
    company: Company, customer: Customer, *prices: str, vat: tuple[str, str] = ("S", "25"), **extra: Any
) -> list[BasisItem]:
    return [
        basis_item_add(
            company=company,
            customer=customer,
            description=f"Session {index}",
            quantity=extra.get("quantity", Decimal("1")),
            unit_price=Decimal(price),
            vat_category=vat[0],
            vat_rate=vat[1],
            occurred_on=dt.date(2026, 11, index),
            **{k: v for k, v in extra.items() if k != "quantity"},
        )
        for index, price in enumerate(prices, start=1)
    ]


def issued_invoice(company: Company, user: Any, *prices: str, **extra: Any) -> Invoice:
    customer, _items = customer_with_items(company, *prices, **extra)
    (invoice,) = invoices_register_from_basis(
        company=company, actor=user, customer_ids=[customer.pk], issued_on=ISSUED_ON
    )
    return invoice


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]
