"""Gap-free invoice numbers (Bokföringslagen: a continuous series, no gaps).

Numbers are taken inside the issuing transaction from the series row, locked by
the UPDATE that advances it: a rollback gives them back, and two issuers queue on the lock.
The unique (series, number) constraint is the backstop. A batch takes its whole
range with one lock and one update.

The same UPDATE keeps the series' latest invoice date (`last_issued_on`), so the date a
document may not precede is read under the lock that orders the numbers: two issuers
cannot interleave a later number with an earlier date.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError
from fakturera.invoicing.models import NumberSeries
from fakturera.parties.models import Company


def series_create_default(*, company: Company, first_number: int = 1, prefix: str = "") -> NumberSeries:
    return NumberSeries.objects.create(company=company, name="Fakturor", prefix=prefix, next_number=first_number)


def numbers_take(*, company: Company, count: int, issued_on: dt.date) -> tuple[NumberSeries, int]:
    """Reserve `count` consecutive numbers for documents dated `issued_on`; returns the
    series and the first number. The series' `last_issued_on` becomes the later of its
    own and `issued_on`: a value after `issued_on` means the series already holds a later
    date, and the caller refuses (its rollback gives the numbers back).

    One statement: the UPDATE locks the series row until the transaction ends (the
    same lock select_for_update would take) and RETURNING hands back the range, so
    issuing pays one round trip for its number. PostgreSQL and SQLite 3.35+ both
    support RETURNING.
    """
    if count < 1:
        raise ValueError("count must be positive")
    table = connection.ops.quote_name(NumberSeries._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_number = next_number + %s, "  # noqa: S608 - the table name is ours
            "last_issued_on = CASE WHEN last_issued_on IS NULL OR last_issued_on < %s THEN %s "
            "ELSE last_issued_on END "
            f"WHERE id = (SELECT MIN(id) FROM {table} WHERE company_id = %s) "
            "RETURNING id, name, prefix, next_number, last_issued_on",
            [count, issued_on, issued_on, company.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise DomainError(_("The company has no invoice number series."))
    pk, name, prefix, next_number, last_issued_on = row
    if isinstance(last_issued_on, str):  # SQLite returns the ISO text
        last_issued_on = dt.date.fromisoformat(last_issued_on)
    series = NumberSeries(
        pk=pk, company=company, name=name, prefix=prefix, next_number=next_number, last_issued_on=last_issued_on
    )
    series._state.adding = False
    series._state.db = connection.alias
    return series, next_number - count
