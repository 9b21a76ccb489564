"""Gap-free voucher numbers per company, series and fiscal year (Bokföringslagen 5 kap. 6 §:
verifications in a continuous series), taken as invoicing takes invoice numbers
(invoicing/numbering.py): in the booking transaction, by one statement that locks the counter
row until commit, so a rollback gives the numbers back and two bookings queue; a batch takes its
whole range at once. The unique (company, series, fiscal year, number) is the backstop.

The first voucher of a series in a year makes its counter: an INSERT ... ON CONFLICT DO UPDATE
(PostgreSQL and SQLite 3.24+), which on conflict locks the existing row as an UPDATE does, with
RETURNING (SQLite 3.35+) handing back the range in the same round trip.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from fakturera.bookkeeping.models import VoucherCounter


def voucher_numbers_take(*, company_id: int, series: str, fiscal_year_start: dt.date, count: int) -> int:
    """Reserve `count` consecutive numbers; returns the first."""
    if count < 1:
        raise ValueError("count must be positive")
    quote = connection.ops.quote_name
    table = quote(VoucherCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (company_id, series, fiscal_year_start, next_number) "  # noqa: S608 - our table
            "VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (company_id, series, fiscal_year_start) "
            f"DO UPDATE SET next_number = {table}.next_number + %s "
            "RETURNING next_number",
            [company_id, series, fiscal_year_start, 1 + count, count],
        )
        (next_number,) = cursor.fetchone()
    return next_number - count
