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
