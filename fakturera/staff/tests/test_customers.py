"""Customer pages: list, search, create and edit persons and organisations,
members, and the card's basis and invoices."""

from decimal import Decimal

import pytest
from django.urls import reverse

from fakturera.billables.services import basis_item_add
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import Customer, OrganisationMember
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory, StaffFactory
from fakturera.staff.tests.staff_clients import field_errors, log_in

pytestmark = pytest.mark.django_db

ORGANISATION_POST = {
    "name": "Tandvården Syd AB",
    "org_number": "5567321707",
    "vat_number": "SE556732170701",
    "peppol_id": "0007:5567321707",
    "gln": "7359999000014",
    "address_line1": "Hamngatan 4",
    "address_line2": "",
    "postal_code": "211 22",
    "city": "Malmö",
    "country": "SE",
    "email": "faktura@tandsyd.se",
    "phone": "040-123 45",
    "language": "sv",
    "relationship_manager": "",
    "preferred_channel": "peppol",
    "payment_terms_days": "20",
    "notes": "",
}
PERSON_POST = {
    "name": "Eva Lind",
    "personnummer": "811218-9876",
    "email": "eva@example.se",
    "phone": "070-111 22 33",
    "address_line1": "Vägen 2",
    "address_line2": "",
    "postal_code": "222 33",
    "city": "Lund",
    "country": "SE",
    "language": "en",
    "relationship_manager": "",
    "preferred_channel": "email",
    "payment_terms_days": "",
    "notes": "Prefers mornings",
}


# --- list -------------------------------------------------------------------------------------


def test_list_searches_name_number_org_number_and_email(client, company):
    # given
    log_in(client, company)
    PersonFactory(company=company, name="Anna Berg", number=2001, email="anna@berg.se")
    OrganisationFactory(company=company, name="Berg Bygg AB", number=2002, org_number="556732-1707", email="x@bygg.se")
    PersonFactory(company=company, name="Carl Dahl", number=2003, email="carl@dahl.se")
    PersonFactory(company=CompanyFactory(), name="Anna Annan")
    url = reverse("staff:customer_list")

    def names(query: str) -> list[str]:
        return [c.name for c in client.get(url, {"q": query}).context["page"]]

    # when / then
    assert names("berg") == ["Anna Berg", "Berg Bygg AB"]
    assert names("2003") == ["Carl Dahl"]
    assert names("5567321707") == ["Berg Bygg AB"]
    assert names("556732-1707") == ["Berg Bygg AB"]
    assert names("carl@dahl") == ["Carl Dahl"]
    assert names("nothing here") == []


def test_list_filters_by_kind_and_paginates(client, company):
    # given
    log_in(client, company)
    for n in range(30):
        PersonFactory(company=company, name=f"Person {n:02d}")
    OrganisationFactory(company=company, name="Zeta AB")
    url = reverse("staff:customer_list")

    # when
    organisations = client.get(url, {"kind": "organisation"})
    second_page = client.get(url, {"kind": "person", "page": "2"})

    # then
    assert [c.name for c in organisations.context["page"]] == ["Zeta AB"]
    assert [c.name for c in second_page.context["page"]] == [f"Person {n:02d}" for n in range(25, 30)]
    assert second_page.context["page"].paginator.count == 30


def test_list_answers_htmx_with_the_table_only(client, company):
    # given
    log_in(client, company)
    PersonFactory(company=company, name="Anna Berg")

    # when
    response = client.get(reverse("staff:customer_list"), {"q": "anna"}, HTTP_HX_REQUEST="true")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<div id="customer-table">')
    assert "Anna Berg" in html
    assert "<html" not in html


# --- create -------------------------------------------------------------------------------------


def test_create_organisation_stores_normalised_identifiers(client, company):
    # given
    log_in(client, company)
    manager = StaffFactory(company=company, role="accountant").user

    # when
    response = client.post(
        reverse("staff:customer_create", args=["organisation"]),
        {**ORGANISATION_POST, "relationship_manager": str(manager.pk)},
    )

    # then
    customer = Customer.objects.get(company=company)
    assert response.status_code == 302
    assert response.url == reverse("staff:customer_detail", args=[customer.pk])
    assert customer.kind == "organisation"
    assert customer.number == 1001
    assert customer.name == "Tandvården Syd AB"
    assert customer.org_number == "556732-1707"
    assert customer.vat_number == "SE556732170701"
    assert customer.peppol_id == "0007:5567321707"
    assert customer.gln == "7359999000014"
    assert customer.email == "faktura@tandsyd.se"
    assert customer.address_lines() == ["Hamngatan 4", "211 22 Malmö"]
    assert customer.relationship_manager == manager
    assert customer.preferred_channel == "peppol"
    assert customer.payment_terms_days == 20


def test_create_person_stores_personnummer_with_century(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(reverse("staff:customer_create", args=["person"]), PERSON_POST)

    # then
    person = Customer.objects.get(company=company)
    assert response.status_code == 302
    assert person.kind == "person"
    assert person.personnummer == "19811218-9876"
    assert person.language == "en"
    assert person.preferred_channel == "email"
    assert person.payment_terms_days is None
    assert person.notes == "Prefers mornings"
    assert person.org_number == ""


def test_person_form_has_no_organisation_fields(client, company):
    # given
    log_in(client, company)

    # when
    form = client.get(reverse("staff:customer_create", args=["person"])).context["form"]

    # then
    assert "org_number" not in form.fields
    assert "peppol_id" not in form.fields
    assert "invoice_reference" not in form.fields
    assert "personnummer" in form.fields


def test_bad_org_number_is_explained_next_to_the_field_and_nothing_is_written(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(
        reverse("staff:customer_create", args=["organisation"]), {**ORGANISATION_POST, "org_number": "556732-1708"}
    )

    # then
    message = "“556732-1708” is not a valid Swedish organisation number: the check digit does not match."
    assert response.status_code == 400
    assert field_errors(response, "org_number") == [message]
    assert message in response.content.decode()
    assert Customer.objects.count() == 0


def test_bad_personnummer_is_explained_and_nothing_is_written(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(
        reverse("staff:customer_create", args=["person"]), {**PERSON_POST, "personnummer": "811218-9877"}
    )

    # then
    assert response.status_code == 400
    assert field_errors(response, "personnummer") == [
        "“811218-9877” is not a valid personnummer: the check digit does not match."
    ]
    assert Customer.objects.count() == 0


def test_bad_peppol_id_is_explained_and_nothing_is_written(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(
        reverse("staff:customer_create", args=["organisation"]), {**ORGANISATION_POST, "peppol_id": "0007:5567321708"}
    )

    # then
    assert response.status_code == 400
    assert field_errors(response, "peppol_id") == [
        "“5567321708” is not a valid Swedish organisation number, which scheme 0007 requires."
    ]
    assert Customer.objects.count() == 0


def test_every_bad_identifier_is_reported_at_once(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(
        reverse("staff:customer_create", args=["organisation"]),
        {**ORGANISATION_POST, "org_number": "12", "vat_number": "SE1", "peppol_id": "5567321707", "gln": "123"},
    )

    # then
    errors = response.context["form"].errors
    assert response.status_code == 400
    assert sorted(errors) == ["gln", "org_number", "peppol_id", "vat_number"]
    assert errors["peppol_id"] == ["A Peppol ID is a scheme and an identifier, such as 0007:5567321707."]
    assert Customer.objects.count() == 0


def test_relationship_manager_must_work_for_the_company(client, company):
    # given
    log_in(client, company)
    outsider = StaffFactory(company=CompanyFactory()).user

    # when
    response = client.post(
        reverse("staff:customer_create", args=["person"]), {**PERSON_POST, "relationship_manager": str(outsider.pk)}
    )

    # then
    assert response.status_code == 400
    assert field_errors(response, "relationship_manager") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Customer.objects.count() == 0


def test_unknown_customer_kind_is_404(client, company):
    # given
    log_in(client, company)

    # when
    response = client.get(reverse("staff:customer_create", args=["robot"]))

    # then
    assert response.status_code == 404


# --- edit ----------------------------------------------------------------------------------------


def test_edit_organisation_sets_a_member_as_invoice_reference(client, company):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company, name="Old Name AB")
    person = PersonFactory(company=company, name="Eva Lind")
    OrganisationMember.objects.create(organisation=organisation, person=person)

    # when
    response = client.post(
        reverse("staff:customer_edit", args=[organisation.pk]),
        {**ORGANISATION_POST, "name": "New Name AB", "invoice_reference": str(person.pk)},
    )

    # then
    organisation.refresh_from_db()
    assert response.status_code == 302
    assert organisation.name == "New Name AB"
    assert organisation.invoice_reference == person
    assert organisation.org_number == "556732-1707"


def test_edit_offers_only_members_as_invoice_reference(client, company):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company)
    member = PersonFactory(company=company, name="Member")
    PersonFactory(company=company, name="Stranger")
    OrganisationMember.objects.create(organisation=organisation, person=member)

    # when
    form = client.get(reverse("staff:customer_edit", args=[organisation.pk])).context["form"]

    # then
    assert list(form.fields["invoice_reference"].queryset) == [member]


def test_edit_with_a_bad_vat_number_changes_nothing(client, company):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company, name="Keep AB", vat_number="SE556036079301")

    # when
    response = client.post(
        reverse("staff:customer_edit", args=[organisation.pk]),
        {**ORGANISATION_POST, "name": "Changed AB", "vat_number": "SE556036079399"},
    )

    # then
    organisation.refresh_from_db()
    assert response.status_code == 400
    assert field_errors(response, "vat_number") == [
        "“SE556036079399” is not a valid Swedish VAT number: it contains characters that do not belong there."
    ]
    assert organisation.name == "Keep AB"
    assert organisation.vat_number == "SE556036079301"


# --- detail and members ----------------------------------------------------------------------------


def test_detail_shows_facts_members_basis_and_invoices(client, company, admin_user):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company, name="Berg Bygg AB", peppol_id="0007:5560360793")
    person = PersonFactory(company=company, name="Eva Lind")
    OrganisationMember.objects.create(organisation=organisation, person=person, title="Controller")
    basis_item_add(
        company=company, customer=organisation, description="Consulting", unit_price=Decimal("1000"), vat_rate="25"
    )
    [invoice] = invoices_register_from_basis(company=company, actor=admin_user, customer_ids=[organisation.pk])
    basis_item_add(
        company=company, customer=organisation, description="Workshop", unit_price=Decimal("200"), vat_rate="25"
    )

    # when
    response = client.get(reverse("staff:customer_detail", args=[organisation.pk]))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "0007:5560360793" in html
    assert [m.person.name for m in response.context["memberships"]] == ["Eva Lind"]
    assert "Controller" in html
    assert [item.description for item in response.context["basis"].items] == ["Workshop"]
    assert response.context["basis"].totals.total_amount == Decimal("250.00")
    assert list(response.context["invoices"]) == [invoice]
    assert reverse("staff:invoice_detail", args=[invoice.pk]) in html
    assert reverse("staff:basis") in html


def test_person_detail_lists_their_organisations(client, company):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company, name="Berg Bygg AB")
    person = PersonFactory(company=company, name="Eva Lind")
    OrganisationMember.objects.create(organisation=organisation, person=person)

    # when
    response = client.get(reverse("staff:customer_detail", args=[person.pk]))

    # then
    assert [m.organisation.name for m in response.context["memberships"]] == ["Berg Bygg AB"]
    assert response.context["member_form"] is None


def test_add_and_remove_a_member(client, company):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company, name="Berg Bygg AB")
    person = PersonFactory(company=company, name="Eva Lind")
    organisation.invoice_reference = None
    organisation.save()

    # when
    added = client.post(reverse("staff:member_add", args=[organisation.pk]), {"person": person.pk, "title": "CFO"})

    # then
    assert added.status_code == 302
    assert list(OrganisationMember.objects.values_list("organisation", "person", "title")) == [
        (organisation.pk, person.pk, "CFO")
    ]

    # when
    Customer.objects.filter(pk=organisation.pk).update(invoice_reference=person)
    removed = client.post(reverse("staff:member_remove", args=[organisation.pk, person.pk]))

    # then
    organisation.refresh_from_db()
    assert removed.status_code == 302
    assert OrganisationMember.objects.count() == 0
    assert organisation.invoice_reference is None


def test_an_organisation_cannot_be_a_member(client, company):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company)
    other = OrganisationFactory(company=company)

    # when
    response = client.post(reverse("staff:member_add", args=[organisation.pk]), {"person": other.pk})

    # then
    assert response.status_code == 400
    assert response.context["member_form"].errors["person"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert OrganisationMember.objects.count() == 0


# --- tenancy and roles ------------------------------------------------------------------------------


def test_another_companys_customers_are_404_everywhere(client, company):
    # given
    log_in(client, company)
    other = CompanyFactory()
    organisation = OrganisationFactory(company=other, name="Theirs AB")
    person = PersonFactory(company=other)
    OrganisationMember.objects.create(organisation=organisation, person=person)
    mine = OrganisationFactory(company=company)

    # when
    responses = [
        client.get(reverse("staff:customer_detail", args=[organisation.pk])),
        client.get(reverse("staff:customer_edit", args=[organisation.pk])),
        client.post(reverse("staff:customer_edit", args=[organisation.pk]), {**ORGANISATION_POST, "name": "Mine"}),
        client.post(reverse("staff:member_add", args=[organisation.pk]), {"person": person.pk}),
        client.post(reverse("staff:member_remove", args=[organisation.pk, person.pk])),
        client.post(reverse("staff:member_remove", args=[mine.pk, person.pk])),
    ]

    # then
    assert [r.status_code for r in responses] == [404] * 6
    organisation.refresh_from_db()
    assert organisation.name == "Theirs AB"
    assert OrganisationMember.objects.count() == 1


def test_another_companys_person_cannot_be_added_as_member(client, company):
    # given
    log_in(client, company)
    organisation = OrganisationFactory(company=company)
    theirs = PersonFactory(company=CompanyFactory())

    # when
    response = client.post(reverse("staff:member_add", args=[organisation.pk]), {"person": theirs.pk})

    # then
    assert response.status_code == 400
    assert OrganisationMember.objects.count() == 0


def test_read_only_users_may_look_but_not_post(client, company):
    # given
    log_in(client, company, role="read_only")
    organisation = OrganisationFactory(company=company, name="Keep AB")
    person = PersonFactory(company=company)
    OrganisationMember.objects.create(organisation=organisation, person=person)

    # when
    looks = [
        client.get(reverse("staff:customer_list")),
        client.get(reverse("staff:customer_detail", args=[organisation.pk])),
    ]
    posts = [
        client.post(reverse("staff:customer_create", args=["person"]), PERSON_POST),
        client.post(reverse("staff:customer_edit", args=[organisation.pk]), {**ORGANISATION_POST, "name": "X"}),
        client.post(reverse("staff:member_add", args=[organisation.pk]), {"person": person.pk}),
        client.post(reverse("staff:member_remove", args=[organisation.pk, person.pk])),
    ]

    # then
    assert [r.status_code for r in looks] == [200, 200]
    assert [r.status_code for r in posts] == [403] * 4
    assert Customer.objects.count() == 2
    assert Customer.objects.get(pk=organisation.pk).name == "Keep AB"
    assert OrganisationMember.objects.count() == 1
    assert "Edit" not in looks[1].content.decode()
