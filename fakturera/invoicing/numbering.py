"""Gap-free invoice numbers (Bokföringslagen: a continuous series, no gaps).

Numbers are taken inside the issuing transaction from the series row, locked with
select_for_update: a rollback gives them back, and two issuers queue on the lock.
The unique (series, number) constraint is the backstop. A batch takes its whole
range with one lock and one update.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError
from fakturera.invoicing.models import NumberSeries
from fakturera.parties.models import Company


def series_create_default(*, company: Company, first_number: int = 1, prefix: str = "") -> NumberSeries:
    return NumberSeries.objects.create(company=company, name="Fakturor", prefix=prefix, next_number=first_number)


def numbers_take(*, company: Company, count: int) -> tuple[NumberSeries, int]:
    """Reserve `count` consecutive numbers; returns the series and the first number."""
    if count < 1:
        raise ValueError("count must be positive")
    series = NumberSeries.objects.select_for_update().filter(company=company).order_by("pk").first()
    if series is None:
        raise DomainError(_("The company has no invoice number series."))
    first = series.next_number
    series.next_number = first + count
    series.save(update_fields=["next_number"])
    return series, first
