"""The search-as-you-type pickers (staff/pickers.py): the options endpoints search the
active company only and list at most LIMIT; the forms take the chosen id only from the
company, and without JavaScript take typed text that names exactly one row."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fakturera.catalog.tests.factories import ProductFactory
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import OrganisationMember
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory, UserFactory
from fakturera.staff.pickers import LIMIT
from fakturera.staff.tests.invoice_helpers import staff_client
from fakturera.staff.tests.test_invoice_views import _draft_data

pytestmark = pytest.mark.django_db


def _options(response) -> list[str]:
    return re.findall(r'<li role="option"[^>]*data-label="([^"]*)"', response.content.decode())


def test_customer_options_search_name_number_org_number_and_email_of_the_company_only(company):
    client, _user = staff_client(company)
    anna = PersonFactory(company=company, name="Anna Berg", email="anna@berg.se")
    org = OrganisationFactory(company=company, name="Berg Bygg AB", org_number="556036-0793")
    PersonFactory(company=company, name="Carl Dahl")
    PersonFactory(company=CompanyFactory(), name="Anna Berg of another company")
    url = reverse("staff:pick_customers")

    assert _options(client.get(url, {"q": "berg"})) == [f"Anna Berg ({anna.number})", f"Berg Bygg AB ({org.number})"]
    assert _options(client.get(url, {"q": str(anna.number)})) == [f"Anna Berg ({anna.number})"]
    assert _options(client.get(url, {"q": "5560360793"})) == [f"Berg Bygg AB ({org.number})"]
    assert _options(client.get(url, {"q": "anna@"})) == [f"Anna Berg ({anna.number})"]
    assert _options(client.get(reverse("staff:pick_organisations"), {"q": "berg"})) == [f"Berg Bygg AB ({org.number})"]
    assert _options(client.get(reverse("staff:pick_persons"), {"q": "berg"})) == [f"Anna Berg ({anna.number})"]


def test_options_are_limited_and_say_so(company):
    client, _user = staff_client(company)
    PersonFactory.create_batch(LIMIT + 5, company=company)

    response = client.get(reverse("staff:pick_customers"), {"q": "Person"})

    assert len(_options(response)) == LIMIT
    assert f"The first {LIMIT} shown" in response.content.decode()


def test_product_options_carry_what_fills_the_line(company):
    client, _user = staff_client(company)
    ProductFactory(company=company, name="Domän", unit="år", unit_price="150")
    ProductFactory(company=company, name="Domän gammal", is_active=False)

    html = client.get(reverse("staff:pick_products"), {"q": "dom"}).content.decode()

    assert _options_count(html) == 1
    assert 'data-description="Domän" data-price="150" data-vat="S:25" data-unit="år"' in html


def _options_count(html: str) -> int:
    return html.count('role="option"')


def test_user_options_are_the_company_users(company):
    client, user = staff_client(company)
    UserFactory(username="outsider")

    assert _options(client.get(reverse("staff:pick_users"), {"q": user.username[:4]})) == [
        user.get_full_name() + f" ({user.username})" if user.get_full_name() else user.username
    ]
    assert _options(client.get(reverse("staff:pick_users"), {"q": "outsider"})) == []


def test_the_new_draft_page_lists_no_customers(company):
    # A register of thousands: the page offers a search field, not an option per customer.
    client, _user = staff_client(company)
    PersonFactory.create_batch(30, company=company)

    html = client.get(reverse("staff:invoice_create")).content.decode()

    assert "<option" not in html.split('name="customer"', 1)[1].split("</div>", 1)[0]
    assert 'data-picker="/pick/customers/"' in html
    assert html.count("Person ") == 0


def test_a_draft_for_another_companys_customer_is_refused(company):
    client, _user = staff_client(company)
    stranger = PersonFactory(company=CompanyFactory())

    response = client.post(reverse("staff:invoice_create"), _draft_data(stranger.pk))

    assert response.context["form"].errors["customer"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not Invoice.objects.exists()


def test_without_javascript_typed_text_naming_one_customer_is_taken(company):
    client, _user = staff_client(company)
    anna = PersonFactory(company=company, name="Anna Berg")
    PersonFactory(company=company, name="Carl Dahl")
    data = _draft_data(None, customer_text="anna b")

    client.post(reverse("staff:invoice_create"), {**data, "customer": ""})

    assert Invoice.objects.get().customer == anna


def test_without_javascript_a_customer_number_is_taken_even_when_it_appears_elsewhere(company):
    client, _user = staff_client(company)
    anna = PersonFactory(company=company, name="Anna", number=12)
    PersonFactory(company=company, name="Bo", number=120)

    client.post(reverse("staff:invoice_create"), {**_draft_data(None, customer_text="12"), "customer": ""})

    assert Invoice.objects.get().customer == anna


def test_ambiguous_or_unknown_text_is_a_clear_error_and_keeps_what_was_typed(company):
    client, _user = staff_client(company)
    PersonFactory(company=company, name="Anna Berg")
    PersonFactory(company=company, name="Anna Dahl")

    ambiguous = client.post(reverse("staff:invoice_create"), {**_draft_data(None, customer_text="Anna")})
    unknown = client.post(reverse("staff:invoice_create"), {**_draft_data(None, customer_text="Zed")})

    assert ambiguous.context["form"].errors["customer"] == [
        "Several customers match what was typed (Anna): choose one from the list or type more."
    ]
    assert unknown.context["form"].errors["customer"] == ["No customer matches what was typed (Zed)."]
    assert 'value="Anna"' in ambiguous.content.decode()
    assert not Invoice.objects.exists()


def test_a_chosen_id_whose_text_was_changed_is_looked_up_by_the_text(company):
    client, _user = staff_client(company)
    anna = PersonFactory(company=company, name="Anna Berg")
    carl = PersonFactory(company=company, name="Carl Dahl")

    client.post(reverse("staff:invoice_create"), _draft_data(anna.pk, customer_text="Carl"))

    assert Invoice.objects.get().customer == carl


def test_a_person_joins_an_organisation_from_the_customer_form(company):
    client, _user = staff_client(company)
    org = OrganisationFactory(company=company, name="Berg Bygg AB")
    stranger_org = OrganisationFactory(company=CompanyFactory())
    data = {"name": "Eva Ek", "country": "SE", "language": "sv", "organisation": str(org.pk)}

    refused = client.post(
        reverse("staff:customer_create", args=["person"]), {**data, "organisation": str(stranger_org.pk)}
    )
    client.post(reverse("staff:customer_create", args=["person"]), data)

    assert refused.status_code == 400
    assert refused.context["form"].errors["organisation"]
    assert list(OrganisationMember.objects.values_list("organisation__name", "person__name")) == [
        ("Berg Bygg AB", "Eva Ek")
    ]


def test_the_course_registration_page_lists_no_register_of_organisations_and_takes_a_picked_payer(company):
    # Given a registration and many organisations that the registration does not suggest
    from fakturera.courses.models import Registration
    from fakturera.courses.tests.factories import make_occurrence, submit

    client, _user = staff_client(company)
    registration = submit(make_occurrence(company))
    OrganisationFactory.create_batch(30, company=company, name="Annan AB", org_number="")
    payer = OrganisationFactory(company=company, name="Betalaren AB", org_number="")
    url = reverse("staff:registration_process", args=[registration.pk])

    # When the page is opened, and the payer is then picked by searching without JavaScript
    html = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "participant": "new",
            "represented_organisation": "new",
            "paying_organisation": "represented",
            "paying_other": "",
            "paying_other_text": "Betalaren",
        },
    )

    # Then no select offers the register, and the picked organisation pays
    assert "Annan AB" not in html
    assert 'name="paying_other_text"' in html
    assert response.status_code == 302
    assert Registration.objects.get(pk=registration.pk).paying_organisation == payer


def test_a_tailored_courses_contacts_are_ticked_boxes_plus_one_picked_by_text(company):
    from fakturera.courses.models import CourseKind, OccurrenceCustomer
    from fakturera.courses.tests.factories import make_occurrence

    client, _user = staff_client(company)
    occurrence = make_occurrence(company, kind=CourseKind.TAILORED)
    customer = OrganisationFactory(company=company, name="Kommunen")
    kim = PersonFactory(company=company, name="Kim Kontakt")
    lo = PersonFactory(company=company, name="Lo Lind")
    PersonFactory.create_batch(25, company=company, name="Annan Person")
    stranger = PersonFactory(company=CompanyFactory())
    url = reverse("staff:occurrence_customers", args=[occurrence.pk])
    data = {"customer": customer.pk, "price": "85000", "project_number": "K-1", "contacts": [kim.pk]}

    page = client.get(url).content.decode()
    refused = client.post(url, {**data, "contacts": [kim.pk, stranger.pk]})
    client.post(url, {**data, "contacts_text": "Lo Lind"})

    assert "Annan Person" not in page
    assert refused.context["form"].errors["contacts"]
    assert 'value="' + str(kim.pk) + '" checked' in refused.content.decode()
    agreement = OccurrenceCustomer.objects.get(occurrence=occurrence)
    assert sorted(agreement.contacts.values_list("name", flat=True)) == ["Kim Kontakt", "Lo Lind"]
    assert lo in agreement.contacts.all()
