"""The `recurring` benchmark's code path at a tiny scale, so `make bench` cannot rot unnoticed."""

import pytest

from bench.recurring import recurring_run, recurring_setup, recurring_verify
from bench.run import MEASUREMENTS

pytestmark = pytest.mark.django_db


def test_the_recurring_benchmark_generates_issues_and_verifies_a_small_month():
    case = recurring_setup(n=30)

    seconds = recurring_run(case)

    recurring_verify(case)
    assert seconds > 0
    assert "recurring" in MEASUREMENTS


def test_a_verification_failure_is_reported():
    case = recurring_setup(n=3)

    with pytest.raises(AssertionError, match="invoices"):
        recurring_verify(case)  # nothing generated yet
