"""The worklist's tests' helpers: staff members as relationship managers, many drafts at once
(for the bulk tests), issued through invoicing's one path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from fakturera.invoicing.services import DraftSpec, LineData, TotalsMemo, invoice_drafts_create_many
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.tests.factories import PersonFactory, StaffFactory


def manager(company: Company, role: str = "accountant", **user: Any) -> Any:
    """A staff member of `company` (a relationship manager)."""
    return StaffFactory(company=company, role=role, **({"user__" + k: v for k, v in user.items()})).user


def customer_of(company: Company, relationship_manager: Any = None, **fields: Any) -> Customer:
    return PersonFactory(company=company, relationship_manager=relationship_manager, **fields)


def drafts(company: Company, actor: Any, customers: list[Customer], price: str = "800.00") -> list[int]:
    """One draft per customer, in bulk (invoicing's invoice_drafts_create_many)."""
    memo = TotalsMemo(round_to_whole=False)
    key = memo.vat_key("S", Decimal("25.00"))
    lines = [LineData("Behandling", Decimal(1), Decimal(price), key)]
    totals = memo.totals(((line.quantity, line.unit_price, line.vat_key) for line in lines), "SEK")
    specs = [
        DraftSpec(
            company_id=company.pk,
            customer_id=customer.pk,
            currency="SEK",
            language="sv",
            payment_terms_days=30,
            totals=totals,
            lines=lines,
        )
        for customer in customers
    ]
    with transaction.atomic():
        return invoice_drafts_create_many(specs=specs, actor=actor)


def many_customers(company: Company, n: int, relationship_manager: Any = None) -> list[Customer]:
    Customer.objects.bulk_create(
        [
            Customer(
                company=company,
                kind=CustomerKind.PERSON,
                number=500_000 + i,
                name=f"Kund {i}",
                email=f"kund{i}@example.se",
                relationship_manager=relationship_manager,
            )
            for i in range(n)
        ]
    )
    return list(Customer.objects.filter(company=company, number__gte=500_000).order_by("number"))


TODAY = dt.date(2026, 12, 1)
