"""The rate limiter's counters in the database (core/ratelimit.py): exact per bucket and
window, shared by every connection and process, exact when hits race (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from fakturera.core.models import RateCount
from fakturera.core.ratelimit import Limit, current_count, hit, purge_expired
from fakturera.core.tests.concurrency import run_together
from fakturera.core.tests.processes import _database_url


def test_limits_read_as_count_per_seconds():
    assert Limit.parse("10/600") == Limit(10, 600)
    assert Limit.parse(" 5 ") == Limit(5, 60)
    assert Limit.parse("0") is None
    assert Limit.parse("") is None
    assert Limit.parse(None) is None
    with pytest.raises(ValueError, match="at least one second"):
        Limit.parse("3/0")


@pytest.mark.django_db
def test_each_bucket_counts_its_own_hits_in_its_window():
    limit = Limit(2, 600)
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        hits = [hit("test", "10.0.0.1", limit) for _ in range(3)]
        assert [(h.count, h.allowed) for h in hits] == [(1, True), (2, True), (3, False)]
        assert hit("test", "10.0.0.2", limit).allowed
        assert hit("other scope", "10.0.0.1", limit).allowed
        assert current_count("test", "10.0.0.1", limit) == 3
        # The table holds no address, only a hash of it.
        assert not RateCount.objects.filter(bucket__contains="10.0.0.1").exists()
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        assert hit("test", "10.0.0.1", limit).count == 1  # a new window
        assert purge_expired() == "3 expired rate counters removed"
        assert RateCount.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_limit_is_exact_when_many_hits_race():
    limit = Limit(7, 3600)

    results = run_together(*[lambda: hit("race", "192.0.2.1", limit)] * 24)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.count for r in results) == list(range(1, 25))
    assert sum(1 for r in results if r.allowed) == 7
    assert RateCount.objects.get().count == 24


HIT_IN_A_PROCESS = """
import django, os, sys
django.setup()
from fakturera.core.ratelimit import Limit, hit
print(" ".join(str(hit("processes", "198.51.100.7", Limit(5, 3600)).count) for _ in range(int(sys.argv[1]))))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_one_count():
    # given: a hit counted by this process
    assert hit("processes", "198.51.100.7", Limit(5, 3600)).count == 1
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "fakturera.settings"}
    root = Path(settings.BASE_DIR).resolve()

    # when: two other processes, each with its own connection, hit the same bucket at once
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", HIT_IN_A_PROCESS, "4"], cwd=root, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    counts = [int(n) for run in runs for n in run.communicate(timeout=60)[0].split()]

    # then: every process saw the others' hits: nine hits numbered 1 to 9, five allowed
    assert all(run.returncode == 0 for run in runs)
    assert sorted([1, *counts]) == list(range(1, 10))
    assert current_count("processes", "198.51.100.7", Limit(5, 3600)) == 9
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        purge_expired()
    assert RateCount.objects.count() == 0
