"""A database briefly away answers 503 with Retry-After, never 500: staff pages, the public
pages and the API (core.unavailable)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from fakturera.core.db import RetriesExhausted
from fakturera.core.tests.api_client import ApiClient
from fakturera.parties.keys import api_key_create

REFUSED = OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 failed: refused')


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "briefly unavailable" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_a_view_meeting_a_refused_connection_answers_503(db):
    with mock.patch("django.contrib.auth.views.LoginView.get", side_effect=REFUSED):
        response = Client().get("/login/")
    assert_unavailable_page(response)


def test_a_middleware_meeting_it_answers_503_too(db):
    with mock.patch("fakturera.parties.tenancy.ActiveCompanyMiddleware.__call__", side_effect=REFUSED):
        response = Client(raise_request_exception=False).get("/login/")
    assert_unavailable_page(response)


def test_a_deadlock_still_there_after_every_retry_answers_503(db):
    with mock.patch("django.contrib.auth.views.LoginView.get", side_effect=RetriesExhausted("deadlock detected")):
        response = Client().get("/login/")
    assert_unavailable_page(response)


def test_any_other_error_is_still_a_500(db):
    with mock.patch("django.contrib.auth.views.LoginView.get", side_effect=ValueError("a bug")):
        response = Client(raise_request_exception=False).get("/login/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_the_api_answers_503_in_its_error_format(company, admin_user):
    token = api_key_create(company=company, name="ERP", actor=admin_user).token
    with mock.patch("fakturera.api.v1.auth.api_key_authenticate", side_effect=REFUSED):
        response = ApiClient(token).get("/invoices")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert response.json()["error"]["message"] == "The service is briefly unavailable. Try again in a moment."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_unreachable_database_staff_page_and_api(company, admin_user):
    token = api_key_create(company=company, name="ERP", actor=admin_user).token
    staff = Client(raise_request_exception=False)
    staff.force_login(admin_user)
    api = ApiClient(token)
    settings = connection.settings_dict
    port = settings["PORT"]
    connection.close()
    settings["PORT"] = "1"
    try:
        page = staff.get("/")
        answer = api.get("/invoices")
    finally:
        connection.close()
        settings["PORT"] = port

    assert_unavailable_page(page)
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert answer.json()["error"]["code"] == "unavailable"
