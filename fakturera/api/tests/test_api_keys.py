"""Requests authenticated by key: a missing, revoked or wrong key is a 401, a read-only
key may read but not write, last use is written at most once a minute. (The keys
themselves, and that only the hash is stored, are parties' own: parties/tests/test_keys.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from fakturera.api.tests.api_clients import ApiClient, error_of, new_key
from fakturera.parties.keys import api_key_revoke
from fakturera.parties.models import ApiKey, Customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "unauthenticated"),
        ("Bearer nonsense", "invalid_key"),
        ("Bearer fk_00000000_wrongsecret", "invalid_key"),
        ("Basic dXNlcjpwYXNz", "unauthenticated"),
    ],
)
def test_requests_without_a_valid_key_are_401(company, client, header, code):
    headers = {"Authorization": header} if header else {}

    response = client.get("/api/v1/persons", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_prefix_is_401(company):
    created = new_key(company)
    prefix = created.key.prefix

    response = ApiClient(f"fk_{prefix}_not-the-secret").get("/persons")

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_key"


def test_a_revoked_key_is_401(company):
    created = new_key(company)
    api = ApiClient(created.token)
    assert api.get("/persons").status_code == 200

    api_key_revoke(key=created.key)
    response = api.post("/persons", {"name": "Anna"})

    assert response.status_code == 401
    assert error_of(response)["code"] == "key_revoked"
    assert Customer.objects.count() == 0


def test_a_read_only_key_reads_but_cannot_write(company):
    api = ApiClient(new_key(company, is_read_only=True).token)

    read = api.get("/invoices")
    write = api.post("/persons", {"name": "Anna"})

    assert read.status_code == 200
    assert write.status_code == 403
    assert error_of(write)["code"] == "read_only_key"
    assert Customer.objects.count() == 0


def test_last_use_is_written_at_most_once_a_minute(company):
    created = new_key(company)
    api = ApiClient(created.token)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        api.get("/products")
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        api.get("/products")
    first = ApiKey.objects.get().last_used_at
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        api.get("/products")

    assert first == start
    assert ApiKey.objects.get().last_used_at == start + dt.timedelta(seconds=61)
