"""The `issue` benchmark's code path at a tiny scale, so `make bench` cannot rot unnoticed."""

import pytest

from bench.issue import issue_run, issue_setup, issue_verify
from bench.run import MEASUREMENTS, result_line

pytestmark = pytest.mark.django_db


def test_the_issue_benchmark_registers_and_verifies_a_small_batch():
    case = issue_setup(n=20)

    seconds = issue_run(case)

    issue_verify(case)
    assert seconds > 0


def test_a_verification_failure_is_reported():
    case = issue_setup(n=3)

    with pytest.raises(AssertionError, match="invoices"):
        issue_verify(case)  # nothing registered yet


def test_each_measurement_prints_the_agreed_line():
    assert "issue" in MEASUREMENTS
    assert result_line("issue", 10_000, 4.0) == "bench issue n=10000 seconds=4.000 per_sec=2500.0"
