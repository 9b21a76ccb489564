"""Idempotency-Key: a retry gets the first response and creates nothing; the same
key with another body is a 409; a failed write keeps no record; two requests
racing with one key create one invoice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from fakturera.api.idempotency import KEEP, records_purge
from fakturera.api.models import IdempotencyRecord
from fakturera.api.tests.api_clients import LINES, ApiClient, api_for, error_of, new_key
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Customer
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_same_key_same_body_returns_the_first_response(company):
    api = api_for(company)
    customer = PersonFactory(company=company)
    body = {"customer_id": customer.pk, "lines": LINES, "issue": True}

    first = api.post("/invoices", body, idempotency_key="order-4711")
    retry = api.post("/invoices", body, idempotency_key="order-4711")

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"
    assert Invoice.objects.count() == 1


def test_key_order_and_spacing_of_the_body_do_not_matter(company):
    api = api_for(company)

    first = api.post("/persons", raw=b'{"name": "Anna", "city": "Lund"}', idempotency_key="k1")
    retry = api.post("/persons", raw=b'{"city":"Lund","name":"Anna"}', idempotency_key="k1")

    assert retry.content == first.content
    assert Customer.objects.count() == 1


def test_same_key_other_body_is_409(company):
    api = api_for(company)
    api.post("/persons", {"name": "Anna"}, idempotency_key="k1")

    response = api.post("/persons", {"name": "Bo"}, idempotency_key="k1")
    other_path = api.post("/products", {"name": "Bo", "unit_price": "1"}, idempotency_key="k1")

    assert response.status_code == other_path.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert list(Customer.objects.values_list("name", flat=True)) == ["Anna"]


def test_a_refused_write_keeps_no_record_so_the_key_can_be_retried(company):
    api = api_for(company)

    refused = api.post("/persons", {"name": ""}, idempotency_key="k1")
    corrected = api.post("/persons", {"name": ""}, idempotency_key="k1")

    assert refused.status_code == corrected.status_code == 422
    assert IdempotencyRecord.objects.count() == 0


def test_keys_are_per_company(company):
    other = CompanyFactory()

    first = api_for(company).post("/persons", {"name": "Anna"}, idempotency_key="k1")
    second = api_for(other).post("/persons", {"name": "Anna"}, idempotency_key="k1")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_an_overlong_key_is_422(company):
    api = api_for(company)

    long = api.post("/persons", {"name": "Anna"}, idempotency_key="x" * 256)

    assert long.status_code == 422
    assert error_of(long)["code"] == "invalid_idempotency_key"
    assert Customer.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_invoice():
    company = CompanyFactory()
    token = new_key(company).token
    customer = PersonFactory(company=company)
    body = {"customer_id": customer.pk, "lines": LINES, "issue": True}
    barrier = threading.Barrier(4)
    responses = []

    def send() -> None:
        try:
            barrier.wait()
            responses.append(ApiClient(token).post("/invoices", body, idempotency_key="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.content for r in responses}) == 1
    assert Invoice.objects.count() == 1


def test_records_older_than_a_week_are_forgotten_and_the_key_is_new_again(company):
    api = api_for(company)
    customer = {"name": "Bo Ek"}
    first = api.post("/persons", customer, idempotency_key="k-1")
    assert first.status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - KEEP - dt.timedelta(minutes=1))

    assert records_purge() == 1

    again = api.post("/persons", customer, idempotency_key="k-1")
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
