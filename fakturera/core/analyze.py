"""The planner's statistics kept up with bulk writes (PostgreSQL).

PostgreSQL plans every query from statistics that ANALYZE gathers: how many rows a table
has and how its values spread. autovacuum runs ANALYZE on a table once the rows changed
since its last ANALYZE exceed `autovacuum_analyze_threshold` + `autovacuum_analyze_scale_factor`
x its rows; but it looks at each database at most once a minute (`autovacuum_naptime`), and
never where autovacuum is off (as on this project's CI server). A month-end fills the
invoice, line, delivery and document tables with a hundred thousand rows within seconds, and
the work that follows reads them back by the hundred. Planned from an empty table's
statistics, those reads scan whole tables or walk the wrong index: a month-end of 100,000
invoices spent 299 s in statements with no statistics and 133 s with them (bench month_end,
issue 17).

PostgreSQL's advice for bulk loads is to ANALYZE afterwards (its documentation, "Populating
a Database", 14.4.9). So every bulk write (core.bulk, and with it the documents' batches) notes
the rows it wrote with `analyze_after_commit`; after its transaction commits, the table is
analyzed if that write's rows alone make its statistics stale by autovacuum's rule (more than
`autovacuum_analyze_threshold` + `autovacuum_analyze_scale_factor` x the rows it had at its
last ANALYZE). SKIP_LOCKED: when another process is analyzing the table already, that is
enough. A failure is logged and never fails the work that wrote the rows.

Only a write large for its table counts. Many small ones (a delivery worker's marks, a
hundred at a time, three changes a message) are autovacuum's to notice: counted with the
server's own figures, the month-end analyzed the delivery table 131 times, 19 s of the
server's time. Statistics taken once a table has some rows keep serving it as it grows:
the planner scales them by the table's current size. Other databases plan without such
statistics and are left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError, connection, models, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableCounts:
    """What the rule looks at: the rows a table had at its last ANALYZE (`reltuples`, -1 when
    never analyzed) and the server's settings."""

    rows: float
    threshold: int
    scale_factor: float


# autovacuum_analyze_threshold's default: a write of no more rows than this never makes a table
# stale by itself, so it asks the server nothing (a delivery worker records fifty at a time).
FEWEST_ROWS = 50


def is_stale(counts: TableCounts, *, written: int) -> bool:
    """autovacuum's rule for ANALYZE, applied to the rows one bulk write wrote."""
    return written > counts.threshold + counts.scale_factor * max(counts.rows, 0.0)


def analyze_after_commit(model: type[models.Model], written: int) -> None:
    """After the current transaction commits (now, outside one), ANALYZE `model`'s table if
    the `written` rows of this one write make its statistics stale. Each write is judged on
    its own: the writes that matter here (a month-end's) are one bulk write a table and
    transaction, and many small ones are autovacuum's."""
    if written <= FEWEST_ROWS or connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    transaction.on_commit(lambda: analyze_if_stale(table, written))


def analyze_if_stale(table: str, written: int) -> bool:
    """ANALYZE `table` if autovacuum's rule finds it stale; True if it did."""
    try:
        counts = _counts(table)
        if counts is None or not is_stale(counts, written=written):
            return False
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {connection.ops.quote_name(table)}")
        return True
    except DatabaseError as exc:
        # Statistics are an optimisation: the rows are committed whatever happens here.
        log.warning("Could not refresh the statistics of %s: %s", table, exc)
        return False


def _counts(table: str) -> TableCounts | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples, current_setting('autovacuum_analyze_threshold')::integer,"
            " current_setting('autovacuum_analyze_scale_factor')::float8"
            " FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(table)],
        )
        row = cursor.fetchone()
    return TableCounts(*row) if row else None
