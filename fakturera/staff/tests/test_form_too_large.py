"""A staff form over the size Django reads is said on the page, and nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fakturera.parties.models import Customer
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    company = CompanyFactory()
    log_in(client, company)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_form_over_the_size_limit_returns_to_its_page_with_a_message(staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    page = reverse("staff:customer_create", args=["person"])

    # when a person's notes are longer than a request may carry
    response = staff.post(
        page, {"name": "Anna Andersson", "notes": "x" * 20_000}, HTTP_REFERER=f"http://testserver{page}"
    )

    # then the form page comes back with a message, and no customer was made
    assert (response.status_code, response["Location"]) == (303, f"http://testserver{page}")
    shown = staff.get(page)
    assert shown.status_code == 200
    assert any("larger than 0.0095 MB" in message and "nothing was saved" in message for message in _messages(shown))
    assert Customer.objects.count() == 0


def test_an_htmx_form_over_the_limit_reloads_the_page_with_the_message(staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    page = reverse("staff:customer_create", args=["person"])

    response = staff.post(page, {"name": "Anna", "notes": "x" * 20_000}, HTTP_HX_REQUEST="true")

    assert (response.status_code, response["HX-Redirect"]) == (200, page)
    assert Customer.objects.count() == 0


def test_a_form_with_too_many_fields_says_to_select_fewer(staff, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    page = reverse("staff:customer_list")

    response = staff.post(page, {f"f{i}": "1" for i in range(20)})

    assert response.status_code == 303
    assert any("more than 10 fields" in message for message in _messages(staff.get(page)))


def test_a_referer_on_another_site_is_not_followed(staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    page = reverse("staff:customer_create", args=["person"])

    response = staff.post(page, {"notes": "x" * 20_000}, HTTP_REFERER="https://evil.example/")

    assert response["Location"] == page
