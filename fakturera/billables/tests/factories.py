import datetime as dt
from decimal import Decimal

from django.utils import timezone

from fakturera.billables.services import basis_item_add


def add_items(company, customer, *prices: str, vat: tuple[str, str] = ("S", "25"), **extra):
    """Manual basis lines for a customer, one per price, through the service."""
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


def at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour, 0))
