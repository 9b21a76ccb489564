"""The public form's limit per client address, counted in the database (core.ratelimit):
one count for every server process, exact when requests race."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from fakturera.core.tests.concurrency import run_together
from fakturera.courses.models import Registration
from fakturera.courses.tests.factories import make_occurrence
from fakturera.parties.tests.factories import CompanyFactory

GOOD = {
    "name": "Anna Lind",
    "organisation_name": "Firma Ett AB",
    "org_number": "556036-0793",
    "lang": "en",
}


def _post(occurrence, address: str, n: int):
    url = reverse("course_register", args=[occurrence.registration_form.token])
    return Client(REMOTE_ADDR=address).post(url, {**GOOD, "email": f"a{n}@firma.example"})


@pytest.mark.django_db
def test_the_count_is_shared_not_kept_in_one_process(company, settings):
    settings.COURSE_REGISTRATION_RATE_LIMIT = "3/600"
    occurrence = make_occurrence(company)
    statuses = []
    for n in range(5):
        statuses.append(_post(occurrence, "10.0.0.7", n).status_code)
        # Another server process has a cache of its own: whatever a cache holds is not the count.
        cache.clear()

    assert statuses == [302, 302, 302, 429, 429]
    assert Registration.objects.count() == 3
    assert _post(occurrence, "10.0.0.8", 9).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_limit_is_exact_when_requests_from_one_address_race(settings):
    settings.COURSE_REGISTRATION_RATE_LIMIT = "4/600"
    occurrence = make_occurrence(CompanyFactory())

    results = run_together(*[lambda n=n: _post(occurrence, "10.0.0.9", n).status_code for n in range(12)])

    assert connection.vendor == "postgresql"
    assert sorted(results) == [302] * 4 + [429] * 8, results
    assert Registration.objects.count() == 4
