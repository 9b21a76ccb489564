"""core/analyze.py: a bulk write leaves the planner's statistics fresh after its commit, by
autovacuum's rule, on PostgreSQL."""

import datetime as dt

import pytest
from django.db import connection

from fakturera.core.analyze import TableCounts, analyze_if_stale, is_stale
from fakturera.core.bulk import bulk_insert, bulk_update
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import DraftInvoiceFactory

AT = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's statistics: PostgreSQL")


def _counts(rows: float) -> TableCounts:
    return TableCounts(rows=rows, threshold=50, scale_factor=0.1)


def test_a_table_never_analyzed_is_stale_after_more_than_the_threshold():
    assert not is_stale(_counts(-1), written=50)
    assert is_stale(_counts(-1), written=51)


def test_a_large_table_is_stale_only_after_its_share_of_new_rows():
    assert not is_stale(_counts(100_000), written=10_050)
    assert is_stale(_counts(100_000), written=10_051)


@postgres_only
@pytest.mark.django_db
def test_a_write_of_fifty_rows_or_fewer_asks_the_server_nothing(
    company, admin_user, django_capture_on_commit_callbacks
):
    invoice = DraftInvoiceFactory(company=company, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])
    with django_capture_on_commit_callbacks() as small:
        bulk_insert(InvoiceEvent, ["invoice_id", "kind", "at", "params"], _events(invoice.pk, 50))
    with django_capture_on_commit_callbacks() as large:
        bulk_insert(InvoiceEvent, ["invoice_id", "kind", "at", "params"], _events(invoice.pk, 51))
    assert (len(small), len(large)) == (0, 1)


def _reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        return cursor.fetchone()[0]


def _analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def _events(invoice_id: int, n: int) -> list[tuple]:
    return [(invoice_id, "edited", AT, {"n": i}) for i in range(n)]


@postgres_only
@pytest.mark.django_db
def test_a_bulk_insert_analyzes_its_table_after_the_commit_and_a_small_one_does_not(
    company, admin_user, django_capture_on_commit_callbacks
):
    invoice = DraftInvoiceFactory(company=company, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])
    table = InvoiceEvent._meta.db_table
    _analyze(table)
    before = InvoiceEvent.objects.count()
    assert _reltuples(table) == before

    with django_capture_on_commit_callbacks(execute=False) as pending:
        bulk_insert(InvoiceEvent, ["invoice_id", "kind", "at", "params"], _events(invoice.pk, 120))
    assert _reltuples(table) == before  # nothing before the commit
    for callback in pending:
        callback()
    assert _reltuples(table) == before + 120

    with django_capture_on_commit_callbacks(execute=True):
        bulk_insert(InvoiceEvent, ["invoice_id", "kind", "at", "params"], _events(invoice.pk, 5))
    assert _reltuples(table) == before + 120  # five rows do not make 120 stale


def _analyze_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the server's figures now, not this transaction's copy
        cursor.execute("SELECT pg_stat_get_analyze_count(to_regclass(%s))", [table])
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db
def test_a_bulk_update_counts_the_rows_it_changed(company, admin_user, django_capture_on_commit_callbacks):
    invoice = DraftInvoiceFactory(company=company, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])
    table = InvoiceEvent._meta.db_table
    bulk_insert(InvoiceEvent, ["invoice_id", "kind", "at", "params"], _events(invoice.pk, 80))
    _analyze(table)
    analyzed = _analyze_count(table)
    rows = list(InvoiceEvent.objects.filter(invoice=invoice, kind="edited").values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        changed = bulk_update(InvoiceEvent, ["kind"], [(pk, "noted") for pk in rows[:40]])
    assert changed == 40
    assert _analyze_count(table) == analyzed  # 40 of the 80 or so rows: not stale

    with django_capture_on_commit_callbacks(execute=True):
        changed = bulk_update(InvoiceEvent, ["kind"], [(pk, "noted again") for pk in rows])
    assert changed == 80
    assert _analyze_count(table) == analyzed + 1


@postgres_only
@pytest.mark.django_db
def test_a_table_that_is_not_there_is_left_alone():
    assert analyze_if_stale("no_such_table", 10_000) is False
