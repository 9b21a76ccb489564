"""Basis items for tests, made through billables.services as staff would add manual lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fakturera.billables.models import BasisItem, BasisSourceKind
from fakturera.billables.services import basis_item_add
from fakturera.parties.models import Company, Customer
from fakturera.parties.tests.factories import PersonFactory


def add_items(company, customer, *prices: str, vat: tuple[str, str] = ("S", "25"), **extra):
    """Manual basis lines for a customer, one per price ("Line 1", "Line 2" ...), all on 2 November."""
    return [
        basis_item_add(
            company=company,
            customer=customer,
            description=f"Line {index}",
            quantity=extra.get("quantity", Decimal("1")),
            unit_price=Decimal(price),
            vat_category=vat[0],
            vat_rate=vat[1],
            occurred_on=extra.get("occurred_on", dt.date(2026, 11, 2)),
            **{k: v for k, v in extra.items() if k not in ("quantity", "occurred_on")},
        )
        for index, price in enumerate(prices, start=1)
    ]


def add_lines(
    company: Company, customer: Customer, *prices: str, vat: tuple[str, str] = ("S", "25"), **extra: Any
) -> list[BasisItem]:
    """Manual basis lines for a customer, one per price and day ("Session 1" on 1 November, ...)."""
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


def customer_with_items(
    company: Company, *prices: str, name: str | None = None, vat: tuple[str, str] = ("S", "25"), **extra: Any
) -> tuple[Customer, list[BasisItem]]:
    """A new person with the basis lines of `add_lines`."""
    customer = PersonFactory(company=company, **({"name": name} if name else {}))
    return customer, add_lines(company, customer, *prices, vat=vat, **extra)


def at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour, 0))


def basis_of_many(company: Company, *, customers: int, items: int = 3) -> list[Customer]:
    """A large basis made in bulk (the basis page's scale tests and benchmark): `customers`
    new persons with `items` manual SEK lines each, prices varying by customer."""
    people = Customer.objects.bulk_create(PersonFactory.build_batch(customers, company=company))
    BasisItem.objects.bulk_create(
        BasisItem(
            company=company,
            customer=person,
            source=BasisSourceKind.MANUAL,
            description=f"Session {index}",
            occurred_on=dt.date(2026, 11, index),
            quantity=Decimal("1"),
            unit_price=Decimal(100 + 10 * index + number % 7) + Decimal("0.35"),
            vat_category="S",
            vat_rate=Decimal("25"),
            currency="SEK",
        )
        for number, person in enumerate(people)
        for index in range(1, items + 1)
    )
    return people
