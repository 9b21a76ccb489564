"""The `sie_export_db` benchmark's code path at a tiny scale, so `make bench` cannot rot unnoticed:
vouchers written as bookkeeping writes them, the SIE file made from the database and read back."""

import pytest

from bench.sie_export_db import sie_export_db_run, sie_export_db_setup, sie_export_db_verify

pytestmark = pytest.mark.django_db


def test_the_sie_export_from_the_database_writes_and_reads_back_a_small_year():
    case = sie_export_db_setup(n=400)

    seconds = sie_export_db_run(case)

    assert case.path.stat().st_size > 0
    sie_export_db_verify(case)  # every voucher balances, the checksum holds, nothing is lost
    assert seconds > 0
    assert (case.vouchers, case.n) == (100, 400)


def test_the_accounts_used_are_read_as_distinct_accounts_not_every_line():
    # The lines' default ordering would join the DISTINCT and send a year's million lines back
    # to find four accounts (memory grew by 200 MB before this was caught by the benchmark).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = sie_export_db_setup(n=40)
    with CaptureQueriesContext(connection) as queries:
        sie_export_db_run(case)
    distinct = [query["sql"] for query in queries if "DISTINCT" in query["sql"]]
    assert distinct, "the accounts used are read with one DISTINCT query"
    assert all("ORDER BY" not in sql for sql in distinct), distinct
    sie_export_db_verify(case)
