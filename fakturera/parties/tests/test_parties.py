"""Companies, roles and customers: identifiers are checked before anything is written."""

import pytest
from django.http import Http404

from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.invoicing.models import NumberSeries
from fakturera.parties.models import Company, CompanyUser, Customer
from fakturera.parties.services import (
    company_create,
    company_update,
    customer_create,
    customer_update,
    organisation_member_add,
    organisation_member_remove,
)
from fakturera.parties.tenancy import get_for_company, role_allows
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_company_has_a_number_series_and_its_creator_as_admin():
    user = UserFactory()
    company = company_create(
        actor=user, name="Tandvården i Lund AB", org_number="5567321707", vat_number="SE556732170701"
    )
    assert company.org_number == "556732-1707"
    assert NumberSeries.objects.get(company=company).next_number == 1
    assert CompanyUser.objects.get(company=company).role == "admin"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"org_number": "5567321708"}, "org_number"),
        ({"vat_number": "SE556732170801"}, "vat_number"),
        ({"bankgiro": "991-2347"}, "bankgiro"),
        ({"iban": "SE4550000000058398257467"}, "iban"),
        ({"peppol_id": "0007:5567321708"}, "peppol_id"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_company_data_creates_nothing(fields, field):
    data = {"name": "Test AB", "org_number": "5567321707", **fields}
    with pytest.raises(ValidationFailed) as exc:
        company_create(actor=None, **data)
    assert field in exc.value.errors
    assert Company.objects.count() == 0


def test_danish_and_norwegian_companies():
    dk = company_create(actor=None, name="Klinik ApS", country="DK", org_number="13585628", vat_number="DK13585628")
    no = company_create(actor=None, name="Klinikk AS", country="NO", org_number="988077917")
    assert (dk.org_number, no.org_number) == ("13585628", "988 077 917")
    with pytest.raises(ValidationFailed):
        company_create(actor=None, name="Fel ApS", country="DK", org_number="13585627")


def test_company_update_keeps_the_old_data_on_error(company):
    with pytest.raises(ValidationFailed):
        company_update(company=company, bankgiro="123", name="Nytt namn")
    company.refresh_from_db()
    assert company.bankgiro == "991-2346"
    assert company.name.startswith("Klinik")


def test_customers_get_numbers_and_normalised_identifiers(company):
    person = customer_create(company=company, kind="person", name=" Anna Berg ", personnummer="8112289874")
    org = customer_create(
        company=company,
        kind="organisation",
        name="Acme AB",
        org_number="5560360793",
        vat_number="se556036079301",
        peppol_id="0007:5560360793",
        gln="7300010000001",
    )
    assert (person.name, person.personnummer, person.number) == ("Anna Berg", "19811228-9874", 1001)
    assert (org.org_number, org.vat_number, org.peppol_id, org.number) == (
        "556036-0793",
        "SE556036079301",
        "0007:5560360793",
        1002,
    )


@pytest.mark.parametrize(
    ("kind", "fields", "field", "message"),
    [
        ("organisation", {"org_number": "556036-0794"}, "org_number", "is not a valid Swedish organisation number"),
        ("organisation", {"peppol_id": "0192:5560360793"}, "peppol_id", "Norwegian organisation number"),
        ("organisation", {"peppol_id": "5560360793"}, "peppol_id", "scheme and an identifier"),
        ("organisation", {"gln": "123"}, "gln", "GLN"),
        ("person", {"personnummer": "811228-9875"}, "personnummer", "not a valid personnummer"),
        ("person", {"org_number": "556036-0793"}, "org_number", "Only organisations"),
        ("person", {"name": ""}, "name", "needs a name"),
    ],
)
def test_bad_customer_data_is_refused_with_a_clear_message(company, kind, fields, field, message):
    with pytest.raises(ValidationFailed) as exc:
        customer_create(company=company, kind=kind, **{"name": "X", **fields})
    assert any(message in m for m in exc.value.errors[field])
    assert Customer.objects.count() == 0


def test_customer_update_validates_and_keeps_old_values(company):
    org = customer_create(company=company, kind="organisation", name="Acme AB", org_number="5560360793")
    with pytest.raises(ValidationFailed):
        customer_update(customer=org, org_number="123", name="Other")
    org.refresh_from_db()
    assert (org.name, org.org_number) == ("Acme AB", "556036-0793")


def test_invoice_reference_and_relationship_manager_must_belong_to_the_company(company):
    org = customer_create(company=company, kind="organisation", name="Acme AB")
    stranger = PersonFactory()  # another company
    with pytest.raises(ValidationFailed) as exc:
        customer_update(customer=org, invoice_reference=stranger, relationship_manager=UserFactory())
    assert set(exc.value.errors) == {"invoice_reference", "relationship_manager"}


def test_membership(company):
    org = customer_create(company=company, kind="organisation", name="Acme AB")
    person = customer_create(company=company, kind="person", name="Bo")
    organisation_member_add(organisation=org, person=person, title="Ekonomichef")
    customer_update(customer=org, invoice_reference=person)

    organisation_member_remove(organisation=org, person=person)

    org.refresh_from_db()
    assert org.invoice_reference is None
    with pytest.raises(DomainError):
        organisation_member_add(organisation=person, person=org)


def test_objects_of_another_company_are_not_found(company):
    theirs = PersonFactory(company=CompanyFactory())
    with pytest.raises(Http404):
        get_for_company(Customer, company, pk=theirs.pk)
    with pytest.raises(Http404):
        get_for_company(Customer, company, pk="not-a-number")


def test_roles_rank():
    assert role_allows("admin", "accountant")
    assert role_allows("accountant", "read_only")
    assert not role_allows("read_only", "accountant")
    assert not role_allows(None, "read_only")
