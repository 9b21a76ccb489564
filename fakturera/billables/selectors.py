"""Reads of the invoice basis, always for one company."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.catalog.vat import VatKey
from fakturera.invoicing.totals import LineInput, Totals, compute_totals
from fakturera.parties.models import Company, Customer


@dataclass
class CustomerBasis:
    customer: Customer
    items: list[BasisItem] = field(default_factory=list)
    totals: Totals | None = None

    @property
    def currencies(self) -> set[str]:
        return {item.currency for item in self.items}

    @property
    def currency(self) -> str:
        return next(iter(self.currencies)) if len(self.currencies) == 1 else "/".join(sorted(self.currencies))


def basis_by_customer(*, company: Company, customer_ids: list[int] | None = None) -> list[CustomerBasis]:
    """Customers with uninvoiced items, each with its items and what its invoice would total."""
    qs = BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN).select_related("customer")
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    groups: dict[int, CustomerBasis] = {}
    for item in qs.order_by("customer__name", "customer_id", "occurred_on", "pk"):
        groups.setdefault(item.customer_id, CustomerBasis(item.customer)).items.append(item)
    for group in groups.values():
        group.totals = compute_totals(
            lines=[LineInput(i.quantity, i.unit_price, VatKey(i.vat_category, i.vat_rate)) for i in group.items],
            currency=group.items[0].currency,
            round_to_whole=company.is_rounding_to_whole_units,
        )
    return list(groups.values())


def basis_grand_total(groups: list[CustomerBasis]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for group in groups:
        if group.totals is not None:
            totals[group.currency] = totals.get(group.currency, Decimal("0")) + group.totals.total_amount
    return totals
