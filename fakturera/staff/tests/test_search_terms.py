"""A search term is typed text too: what the text rule refuses (a NUL, a control character)
finds nothing and is answered like any other term, on PostgreSQL as on SQLite."""

import pytest
from django.urls import reverse

from fakturera.parties.tests.factories import PersonFactory
from fakturera.staff.tests.invoice_helpers import staff_client


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["staff:pick_customers", "staff:pick_products", "staff:pick_users"])
def test_a_picker_answers_a_term_with_a_nul_or_control_character(company, url_name):
    PersonFactory(company=company, name="Anna Berg")
    client, _user = staff_client(company)

    for term in ["An\x00na", "\x0b", "Anna\u202e"]:
        response = client.get(reverse(url_name), {"q": term})
        assert response.status_code == 200


@pytest.mark.django_db
def test_the_customer_and_invoice_lists_answer_a_term_with_a_nul(company):
    PersonFactory(company=company, name="Anna Berg")
    client, _user = staff_client(company)

    assert client.get(reverse("staff:customer_list"), {"q": "An\x00na"}).status_code == 200
    assert client.get(reverse("staff:invoice_list"), {"q": "An\x00na"}).status_code == 200


@pytest.mark.django_db
def test_typed_picker_text_with_a_nul_is_looked_up_without_it_and_nothing_is_a_clear_error(company):
    from django import forms

    from fakturera.parties.models import Customer
    from fakturera.staff.pickers import lookup

    anna = PersonFactory(company=company, name="Anna Berg")
    customers = Customer.objects.filter(company=company)

    assert lookup(customers, "customers", "Anna\x00 Berg") == anna
    with pytest.raises(forms.ValidationError):
        lookup(customers, "customers", "\x00\x0b")
