"""The `camt_import` benchmark's code path at a tiny scale, so `make bench` cannot rot unnoticed:
the file made, imported twice and checked; on PostgreSQL the whole `make bench` line, with the
database floor's replay, which must write again every row the import wrote, no more and no fewer."""

import os
import re
import subprocess
import sys

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from bench.camt_import import camt_import_run, camt_import_setup, camt_import_verify
from fakturera.core.tests.processes import _database_url


@pytest.mark.django_db
def test_the_import_of_a_small_file_books_what_it_should_and_skips_it_the_second_time():
    case = camt_import_setup(n=50)
    try:
        seconds = camt_import_run(case)
    finally:
        camt_import_verify(case)  # counts by match and status, the second import booking nothing
    assert seconds > 0
    assert (case.by_ocr, case.by_amount, case.unknown) == (45, 3, 2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmarks and the floor are PostgreSQL's")
def test_make_bench_prints_the_floor_of_every_row_the_import_wrote():
    # The benchmark's own run, in a database of its own: the floor copies its database, which no
    # other session may be using (the test suite's database has its fixtures' connections).
    name = f"{connection.settings_dict['NAME']}_bench"
    url = _database_url(name)
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    try:
        run = subprocess.run(
            [sys.executable, "-m", "bench.run", "--only", "camt_import", "--n", "50", "--database-url", url],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    finally:
        with psycopg.connect(_database_url("postgres"), autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            leftover = server.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [f"{name}_floor"])
            assert leftover.fetchone()[0] == 0, "the floor's copy is dropped"
    assert run.returncode == 0, run.stderr[-3000:]
    line = run.stdout.strip().splitlines()[-1]
    figures = dict(re.findall(r"(\w+)=(\S+)", line))
    n, matched = 50, 48
    # The import's record and the payment series' voucher counter; per line a payment, its bank
    # key, a voucher of two lines; per invoice paid an allocation, a history row, a task history
    # row, and the receivable and the task changed.
    expected = 1 + 1 + n * (1 + 1 + 1 + 2) + matched * (1 + 1 + 1) + matched * 2
    assert figures["n"] == "50"
    assert int(figures["db_floor_rows"]) == expected, line
    assert float(figures["db_floor_s"]) > 0
