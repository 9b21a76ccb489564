"""The `register_form` benchmark's client at a tiny scale, against the live test server
instead of gunicorn, so `make bench` cannot rot unnoticed."""

from urllib.parse import urlsplit

import pytest

from bench.register_form import register_form_run, register_form_setup, register_form_verify
from bench.run import MEASUREMENTS


@pytest.mark.django_db(transaction=True)
def test_the_registration_benchmark_submits_and_verifies(live_server, settings):
    # As the benchmark's gunicorn runs: every registration comes from one loopback address.
    settings.COURSE_REGISTRATION_RATE_LIMIT = "0"
    case = register_form_setup(n=6, start_server=False)
    case.port = urlsplit(live_server.url).port

    seconds = register_form_run(case, concurrency=1)

    register_form_verify(case)
    assert seconds > 0
    assert case.p99_ms > 0
    assert "register_form" in MEASUREMENTS
