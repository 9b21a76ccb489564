"""The `camt_import` benchmark's code path at a tiny scale, so `make bench` cannot rot unnoticed:
the file made, imported twice and checked, and on PostgreSQL the database floor's replay, which
must write again every row the import wrote, no more and no fewer."""

import pytest
from django.db import connection

from bench.camt_import import camt_import_run, camt_import_setup, camt_import_verify


@pytest.mark.django_db
def test_the_import_of_a_small_file_books_what_it_should_and_skips_it_the_second_time():
    case = camt_import_setup(n=50)
    try:
        seconds = camt_import_run(case)
    finally:
        camt_import_verify(case)  # counts by match and status, the second import booking nothing
    assert seconds > 0
    assert (case.by_ocr, case.by_amount, case.unknown) == (45, 3, 2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the floor replays into a copy of the database")
@pytest.mark.django_db(transaction=True)
def test_the_floor_replays_every_row_the_import_wrote():
    case = camt_import_setup(n=50)
    try:
        camt_import_run(case)
    finally:
        camt_import_verify(case)
    n, matched = 50, 48
    # The import's record and the payment series' voucher counter; per line a payment, its bank
    # key, a voucher of two lines; per invoice paid an allocation, a history row, a task history
    # row, and the receivable and the task changed.
    expected = 1 + 1 + n * (1 + 1 + 1 + 2) + matched * (1 + 1 + 1) + matched * 2
    assert int(case.extra["db_floor_rows"]) == expected
    assert float(case.extra["db_floor_s"]) > 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [case.floor.clone_name])
        assert cursor.fetchone()[0] == 0, "the copy is dropped"
