"""The refusals in the staff design: a role that may not (403, with its reason), a page that
is not there or not the company's (404, saying no more), an error (500), a stale form (CSRF)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.staff.tests.staff_clients import log_in
from fakturera.staff.views.errors import server_error

pytestmark = pytest.mark.django_db


def test_a_role_that_may_not_gets_the_403_page_with_the_reason(client):
    log_in(client, CompanyFactory(), role="read_only")

    response = client.get("/settings/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Not allowed</h1>" in page
    assert "Your role in this company does not allow this." in page
    assert 'class="topbar"' in page  # the staff design
    assert 'class="mainnav"' in page  # with its menu


def test_another_companys_object_and_a_missing_page_get_the_same_404_page(client):
    other = CompanyFactory()
    log_in(client, CompanyFactory(), role="admin")

    theirs = client.get(f"/customers/{PersonFactory(company=other).pk}/")
    missing = client.get("/customers/999999/")

    assert theirs.status_code == missing.status_code == 404
    assert "<h1>Page not found</h1>" in theirs.content.decode()
    assert 'class="topbar"' in theirs.content.decode()


def test_the_500_page_needs_no_request():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "staff/fakturera.css" in response.content.decode()


def test_a_stale_form_gets_the_styled_csrf_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "someone", "password": "whatever"})

    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()
