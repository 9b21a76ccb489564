"""Reads of the invoice basis, always for one company."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, QuerySet, Sum

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.parties.models import Company, Customer


@dataclass
class CustomerBasis:
    customer: Customer
    items: list[BasisItem] = field(default_factory=list)
    # What its invoice would total: set by invoicing.selectors.basis_with_totals (the one rule).
    totals: Any = None

    @property
    def currencies(self) -> set[str]:
        return {item.currency for item in self.items}

    @property
    def currency(self) -> str:
        return next(iter(self.currencies)) if len(self.currencies) == 1 else "/".join(sorted(self.currencies))


def basis_by_customer(*, company: Company, customer_ids: list[int] | None = None) -> list[CustomerBasis]:
    """Customers with uninvoiced items, each with its items (invoicing.selectors.basis_with_totals
    adds what each invoice would total)."""
    qs = BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN).select_related("customer")
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    groups: dict[int, CustomerBasis] = {}
    for item in qs.order_by("customer__name", "customer_id", "occurred_on", "pk"):
        groups.setdefault(item.customer_id, CustomerBasis(item.customer)).items.append(item)
    return list(groups.values())


@dataclass(frozen=True)
class Split:
    """A customer whose open basis becomes several invoices when registered: one per buyer
    reference (project number), "" being the items without one."""

    customer_id: int
    name: str
    references: list[str]

    @property
    def count(self) -> int:
        return len(self.references)


def basis_splits(*, company: Company, customer_ids: list[int] | None = None) -> list[Split]:
    """The chosen customers (None: everyone in the basis) whose Register makes more than one
    invoice, by name, in one query. Registering groups by customer and buyer reference
    (invoicing.services.invoices_register_from_basis); this reads the same grouping."""
    qs = BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    rows = (
        qs.values_list("customer_id", "customer__name", "buyer_reference")
        .distinct()
        .order_by("customer__name", "customer_id", "buyer_reference")
    )
    found: dict[int, Split] = {}
    for customer_id, name, reference in rows:
        found.setdefault(customer_id, Split(customer_id, name, [])).references.append(reference)
    return [split for split in found.values() if split.count > 1]


def basis_open_count(*, company: Company, contact_type_id: int | None = None) -> int:
    """How many items are open in the basis (those of one contact type's journal notes)."""
    qs = BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN)
    if contact_type_id is not None:
        qs = qs.filter(journal_note__contact_type_id=contact_type_id)
    return qs.count()


def basis_customers(*, company: Company) -> QuerySet:
    """One row per customer with open items, by aggregate: customer_id, customer__name,
    customer__number, item_count and amount_sum (quantity x price before rounding and VAT,
    for sorting only; what an invoice totals is invoicing's rule). Pages of the basis slice
    this instead of loading every item."""
    return (
        BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN)
        .values("customer_id", "customer__name", "customer__number")
        .annotate(item_count=Count("pk"), amount_sum=Sum(F("quantity") * F("unit_price")))
    )


def basis_line_facts(*, company: Company) -> QuerySet:
    """Every open item's customer, currency, quantity, price and VAT as plain tuples, in the
    order basis_by_customer uses: enough for the totals without building the rows."""
    return (
        BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN)
        .order_by("customer_id", "occurred_on", "pk")
        .values_list("customer_id", "currency", "quantity", "unit_price", "vat_category", "vat_rate")
    )
