"""The `api_create_issue` benchmark's client at a tiny scale, against the live test
server instead of gunicorn, so `make bench` cannot rot unnoticed."""

from urllib.parse import urlsplit

import pytest
from django.db import connection

from bench.api import api_run, api_setup, api_verify
from bench.run import MEASUREMENTS, result_line


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("two_calls", [False, True], ids=["issue_true", "draft_then_issue"])
def test_the_api_benchmark_creates_issues_and_verifies(live_server, two_calls):
    case = api_setup(n=12, start_server=False, two_calls=two_calls)
    case.port = urlsplit(live_server.url).port

    # The in-memory SQLite test database takes one writer at a time; PostgreSQL takes them all.
    seconds = api_run(case, concurrency=2 if connection.vendor == "postgresql" else 1)

    api_verify(case)
    assert seconds > 0
    assert case.p99_ms > 0
    assert len(case.latencies_ms) == (24 if two_calls else 12)


def test_the_api_measurement_prints_p99_at_the_end_of_the_agreed_line():
    assert {"api_create_issue", "api_create_then_issue"} <= set(MEASUREMENTS)
    line = result_line("api_create_issue", 100, 2.0, p99_ms="42.0")
    assert line == "bench api_create_issue n=100 seconds=2.000 per_sec=50.0 p99_ms=42.0"


@pytest.mark.django_db
def test_make_bench_can_set_up_both_ways_in_one_database():
    one = api_setup(n=1, start_server=False)
    two = api_setup(n=1, start_server=False, two_calls=True)

    assert one.company != two.company
