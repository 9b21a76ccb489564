"""Registrations from form to invoice, through the services (seed 000)."""

import re
from decimal import Decimal

import pytest
from django.core import mail

from fakturera.billables.models import BasisItem, BasisItemStatus, RemovedBecause
from fakturera.billables.selectors import basis_by_customer
from fakturera.core.errors import DomainError, StateConflict, ValidationFailed
from fakturera.courses import services
from fakturera.courses.models import CourseKind, FieldUse, Registration
from fakturera.courses.selectors import course_basis_rows, organisation_suggestions, person_suggestions
from fakturera.courses.states import RegistrationStatus
from fakturera.courses.tests.factories import ORG_B, VAT_B, make_occurrence, submit, submit_processed
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import Customer, CustomerKind, OrganisationMember
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_submit_normalises_identifiers_and_waits_for_processing(company):
    occurrence = make_occurrence(company)

    registration = submit(occurrence, org_number="5560360793", vat_number="se 5560 3607 9301")

    assert registration.status == RegistrationStatus.RECEIVED
    assert registration.org_number == "556036-0793"
    assert registration.vat_number == "SE556036079301"
    assert registration.peppol_id == "0007:5560360793"
    assert not BasisItem.objects.filter(company=company).exists()


def test_bad_identifiers_are_refused_all_at_once_and_nothing_is_stored(company):
    occurrence = make_occurrence(company)

    with pytest.raises(ValidationFailed) as refused:
        submit(occurrence, org_number="556036-0794", vat_number="SE123", peppol_id="0007:123", personnummer="x")

    assert set(refused.value.errors) == {"org_number", "vat_number", "peppol_id", "personnummer"}
    assert "check digit" in refused.value.errors["org_number"][0]
    assert Registration.objects.count() == 0


def test_form_configuration_decides_what_is_required_and_what_is_dropped(company):
    occurrence = make_occurrence(
        company, vat_number=FieldUse.REQUIRED, invoice_address=FieldUse.REQUIRED, peppol_id=FieldUse.HIDDEN
    )

    with pytest.raises(ValidationFailed) as refused:
        submit(occurrence)
    assert {"vat_number", "invoice_address_line1", "invoice_postal_code", "invoice_city"} <= set(refused.value.errors)

    registration = submit(
        occurrence,
        vat_number="SE556036079301",
        invoice_address_line1="Box 1",
        invoice_postal_code="111 11",
        invoice_city="Stockholm",
    )
    assert registration.peppol_id == ""  # not asked, so not kept


def test_closed_form_refuses(company):
    occurrence = make_occurrence(company)
    services.registration_form_update(form=occurrence.registration_form, is_open=False)
    with pytest.raises(StateConflict):
        submit(occurrence)
    assert Registration.objects.count() == 0


def test_manager_approval_mail_link_approves(company, django_capture_on_commit_callbacks):
    occurrence = make_occurrence(company, approval=True)
    with pytest.raises(ValidationFailed) as refused:
        submit(occurrence)
    assert "manager_email" in refused.value.errors

    with django_capture_on_commit_callbacks(execute=True):
        registration = submit(occurrence, manager_email="chef@firma.example")

    assert registration.status == RegistrationStatus.AWAITING_APPROVAL
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["chef@firma.example"]
    token = re.search(r"/register/approval/([^/\s]+)/", mail.outbox[0].body).group(1)
    services.registration_decide(token=token, is_approved=True)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RECEIVED
    with pytest.raises(StateConflict):
        services.registration_decide(token=token, is_approved=False)


def test_forged_or_expired_approval_link_is_refused(company, settings, django_capture_on_commit_callbacks):
    occurrence = make_occurrence(company, approval=True)
    registration = submit(occurrence, manager_email="chef@firma.example")
    token = services.approval_token(registration)
    with pytest.raises(DomainError, match="not valid"):
        services.registration_decide(token=token[:-2] + "xx", is_approved=True)
    settings.COURSE_APPROVAL_MAX_AGE_DAYS = -1
    with pytest.raises(DomainError, match="expired"):
        services.registration_decide(token=token, is_approved=True)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.AWAITING_APPROVAL


def test_suggestions_find_likely_duplicates(company):
    occurrence = make_occurrence(company)
    by_email = PersonFactory(company=company, name="A. Lind", email="ANNA.LIND@firma.example")
    PersonFactory(company=company, name="Someone Else", email="x@y.example")
    org = OrganisationFactory(company=company, name="Annat namn AB", org_number="556036-0793", vat_number="")
    registration = submit(occurrence)

    people = person_suggestions(registration=registration)
    orgs = organisation_suggestions(registration=registration)

    assert [s.customer for s in people] == [by_email]
    assert "email" in people[0].reasons
    assert [s.customer for s in orgs] == [org]


def test_a_strong_match_is_ranked_first_however_many_names_match(company):
    occurrence = make_occurrence(company)
    # Eight organisations whose names contain the registration's, all before it by name.
    for letter in "ABCDEFGH":
        OrganisationFactory(company=company, name=f"{letter} Firma Ett AB filial", org_number="", vat_number="")
    by_number = OrganisationFactory(company=company, name="Ö Firma Ett AB", org_number="556036-0793", vat_number="")
    registration = submit(occurrence)

    orgs = organisation_suggestions(registration=registration, limit=8)

    assert orgs[0].customer == by_number
    assert orgs[0].reasons == ("org_number", "similar_name")
    assert len(orgs) == 8


def test_process_with_a_different_paying_organisation_bills_it_with_the_project_number(company, admin_user):
    occurrence = make_occurrence(company)
    registration = submit(occurrence)
    payer = OrganisationFactory(company=company, name="Betalaren AB", org_number=ORG_B, vat_number="")

    services.registration_process(
        registration=registration,
        actor=admin_user,
        participant=services.NEW,
        represented_organisation=services.NEW,
        paying_organisation=payer,
        paying_changes={"vat_number": VAT_B, "address_line1": "Fakturavägen 9"},
    )

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PROCESSED
    represented = registration.represented_organisation
    assert represented.org_number == "556036-0793"
    assert represented.peppol_id == "0007:5560360793"
    assert OrganisationMember.objects.filter(organisation=represented, person=registration.participant).exists()
    payer.refresh_from_db()
    assert payer.vat_number == VAT_B
    assert payer.address_line1 == "Fakturavägen 9"
    item = BasisItem.objects.get(course_registration=registration)
    assert (item.customer, item.unit_price, item.buyer_reference) == (payer, Decimal("4900.0000"), "P-100")
    assert [group.customer for group in basis_by_customer(company=company)] == [payer]

    [invoice] = invoices_register_from_basis(company=company, actor=admin_user)

    assert invoice.customer_id == payer.pk
    assert Invoice.objects.get(pk=invoice.pk).buyer_reference == "P-100"
    [row] = course_basis_rows(company=company, occurrence=occurrence)
    assert row["paying_organisation"] == "Betalaren AB"
    assert row["vat_number"] == VAT_B
    assert row["represented_organisation"] == "Firma Ett AB"
    assert row["project_number"] == "P-100"
    assert row["vat_amount"] == Decimal("1225.00")
    assert row["invoice_number"] == invoice.display_number


def test_bad_correction_of_the_paying_organisation_writes_nothing(company, admin_user):
    occurrence = make_occurrence(company)
    registration = submit(occurrence)
    payer = OrganisationFactory(company=company, org_number=ORG_B, vat_number="")
    customers_before = Customer.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        services.registration_process(
            registration=registration,
            actor=admin_user,
            participant=services.NEW,
            represented_organisation=services.NEW,
            paying_organisation=payer,
            paying_changes={"vat_number": "SE556703748599"},
        )

    assert "paying_vat_number" in refused.value.errors
    assert Customer.objects.count() == customers_before
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RECEIVED
    assert not BasisItem.objects.exists()


def test_two_project_numbers_of_one_payer_make_two_invoices(company, admin_user):
    occurrence = make_occurrence(company)
    payer = OrganisationFactory(company=company)
    for project in ("P-1", "P-2"):
        registration = submit(occurrence, project_number=project, email=f"{project}@firma.example")
        services.registration_process(
            registration=registration,
            actor=admin_user,
            participant=services.NEW,
            represented_organisation=payer,
            paying_organisation=services.SAME,
        )
    invoices = invoices_register_from_basis(company=company, actor=admin_user)
    assert sorted(Invoice.objects.get(pk=i.pk).buyer_reference for i in invoices) == ["P-1", "P-2"]


def test_cancel_before_invoicing_removes_the_item(company, admin_user):
    occurrence = make_occurrence(company)
    registration = submit_processed(occurrence, admin_user)
    services.registration_cancel(registration=registration)
    item = BasisItem.objects.get(course_registration=registration)
    assert (item.status, item.removed_because) == (BasisItemStatus.REMOVED, RemovedBecause.CANCELLED)
    with pytest.raises(StateConflict):
        services.registration_credit(registration=registration, actor=admin_user)


def test_cancel_after_invoicing_offers_a_credit_note(company, admin_user):
    occurrence = make_occurrence(company)
    registration = submit_processed(occurrence, admin_user)
    [invoice] = invoices_register_from_basis(company=company, actor=admin_user)
    services.registration_cancel(registration=registration)
    assert BasisItem.objects.get(course_registration=registration).status == BasisItemStatus.INVOICED

    note = services.registration_credit(registration=registration, actor=admin_user)

    assert note.credited_invoice_id == invoice.pk
    assert abs(note.total_amount) == invoice.total_amount
    with pytest.raises(StateConflict):
        services.registration_credit(registration=registration, actor=admin_user)


def test_tailored_customers_are_billed_their_agreed_price(company, admin_user):
    occurrence = make_occurrence(company, kind=CourseKind.TAILORED)
    customer = OrganisationFactory(company=company, name="Kommunen")
    contact = PersonFactory(company=company, name="Kim Kontakt")

    services.occurrence_customer_set(
        occurrence=occurrence, customer=customer, price="85000", project_number="K-7", contacts=[contact]
    )
    agreement = services.occurrence_customer_set(occurrence=occurrence, customer=customer, price="90000")

    item = BasisItem.objects.get(course_customer=agreement)
    assert (item.customer, item.unit_price, item.status) == (customer, Decimal("90000.0000"), BasisItemStatus.OPEN)
    [row] = course_basis_rows(company=company, occurrence=occurrence)
    assert row["participant"] == "Kim Kontakt"
    invoices_register_from_basis(company=company, actor=admin_user)
    with pytest.raises(StateConflict):
        services.occurrence_customer_set(occurrence=occurrence, customer=customer, price="1")
    with pytest.raises(StateConflict):
        services.occurrence_customer_remove(agreement=agreement)


def test_tailored_customer_must_be_an_organisation_of_a_tailored_course(company):
    open_occurrence = make_occurrence(company)
    with pytest.raises(DomainError):
        services.occurrence_customer_set(
            occurrence=open_occurrence, customer=OrganisationFactory(company=company), price="1"
        )
    tailored = make_occurrence(company, kind=CourseKind.TAILORED)
    with pytest.raises(ValidationFailed):
        services.occurrence_customer_set(occurrence=tailored, customer=PersonFactory(company=company), price="1")


def test_other_company_customers_are_refused(company, admin_user):
    from fakturera.parties.tests.factories import CompanyFactory

    occurrence = make_occurrence(company)
    registration = submit(occurrence)
    stranger = OrganisationFactory(company=CompanyFactory())
    with pytest.raises(DomainError):
        services.registration_process(
            registration=registration,
            actor=admin_user,
            participant=services.NEW,
            represented_organisation=None,
            paying_organisation=stranger,
        )
    assert Customer.objects.filter(company=company, kind=CustomerKind.PERSON).count() == 0


def test_price_category_is_billed(company, admin_user):
    occurrence = make_occurrence(company)
    member = services.price_category_add(occurrence=occurrence, name="Medlem", price="3900")
    with pytest.raises(ValidationFailed):
        submit(occurrence)
    registration = submit_processed(occurrence, admin_user, price_category=str(member.pk))
    assert BasisItem.objects.get(course_registration=registration).unit_price == Decimal("3900")


def test_a_new_represented_organisation_that_pays_reports_bad_corrections_on_the_paying_fields(company, admin_user):
    registration = submit(make_occurrence(company))
    with pytest.raises(ValidationFailed) as refused:
        services.registration_process(
            registration=registration,
            actor=admin_user,
            participant=services.NEW,
            represented_organisation=services.NEW,
            paying_organisation=services.SAME,
            paying_changes={"peppol_id": "0007:5560360794"},
        )
    assert list(refused.value.errors) == ["paying_peppol_id"]
    assert Customer.objects.filter(company=company).count() == 0
