"""Seed 000: invoicing contract education, from a participant's registration to the
invoice basis, for open and tailored courses (../shared/seeds/000_*.txt).

Each step quotes the document between « and » and then checks what staff, the
participant, the manager or the accounting system would see. Built through the public
services and selectors of courses, billables, invoicing and api.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from fakturera.core.errors import ValidationFailed
from fakturera.courses import services as courses
from fakturera.courses.models import CourseKind, FieldUse
from fakturera.courses.selectors import (
    course_basis_rows,
    organisation_suggestions,
    person_suggestions,
    registration_list,
)
from fakturera.courses.states import RegistrationStatus
from fakturera.invoicing.selectors import basis_with_totals
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import CustomerKind, OrganisationMember
from fakturera.parties.services import company_create, customer_create
from fakturera.parties.tests.factories import UserFactory
from fakturera.scenarios.tests.seeds import assert_quotes_are_the_documents
from fakturera.webhooks.services import webhook_endpoint_create
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

INVOICED_ON = dt.date(2026, 12, 9)


@pytest.fixture
def academy():
    """Kursakademin, a training provider, and its administrator."""
    admin = UserFactory(username="admin")
    company = company_create(
        actor=admin,
        name="Kursakademin Norden AB",
        org_number="556703-7485",
        vat_number="SE556703748501",
        bankgiro="991-2346",
        address_line1="Kungsgatan 1",
        postal_code="111 43",
        city="Stockholm",
        email="kurser@kursakademin.example",
    )
    return company, admin


def test_an_open_course_from_the_web_form_to_the_invoice(academy, django_capture_on_commit_callbacks):
    company, admin = academy
    # The CRM already knows the participant, her employer and the group that pays for its training.
    anna = customer_create(company=company, kind=CustomerKind.PERSON, name="Anna Lind", email="anna.lind@firma.example")
    firma = customer_create(
        company=company, kind=CustomerKind.ORGANISATION, name="Firma Ett AB", org_number="5560360793"
    )
    group = customer_create(company=company, kind=CustomerKind.ORGANISATION, name="Koncernen Ett AB")
    course = courses.course_create(company=company, name="Projektledning i praktiken", kind=CourseKind.OPEN)
    occurrence = courses.occurrence_create(
        course=course,
        starts_on=dt.date(2026, 12, 7),
        ends_on=dt.date(2026, 12, 8),
        place="Linköping",
        price=Decimal("4900"),
    )
    form = occurrence.registration_form

    # «Dessutom går det att konfigurera vilka fält som ska användas för fakturering (t.ex.
    # Peppol-ID eller momsnummer) på anmälningsformuläret»: this form requires a Peppol ID
    # and a project number, and does not ask for a VAT number.
    # «I vissa fall behöver anmälan bekräftas av en chef»: here the manager approves.
    courses.registration_form_update(
        form=form,
        needs_manager_approval=True,
        peppol_id=FieldUse.REQUIRED,
        project_number=FieldUse.REQUIRED,
        vat_number=FieldUse.HIDDEN,
    )

    # «1. Deltagaren anmäler sig» «Deltagaren registrerar sig vanligtvis via ett
    # anmälningsformulär på webben.» Without the Peppol ID the form refuses, saying where.
    typed = {
        "name": "Anna Lind",
        "email": "anna.lind@firma.example",
        "organisation_name": "Firma Ett AB",
        "org_number": "556036-0793",
        "project_number": "P-100",
        "manager_email": "chef@firma.example",
    }
    with pytest.raises(ValidationFailed) as refused:
        courses.registration_submit(form=form, **typed)
    assert list(refused.value.errors) == ["peppol_id"]
    assert not registration_list(company=company, occurrence=occurrence).exists()

    with django_capture_on_commit_callbacks(execute=True):
        registration = courses.registration_submit(
            form=form, **typed, peppol_id="0007:5560360793", vat_number="SE556036079301"
        )
    assert registration.status == RegistrationStatus.AWAITING_APPROVAL
    assert registration.vat_number == ""  # not asked, so not kept

    # The manager gets an e-mail with a link, and approves: the registration waits for staff.
    [approval] = mail.outbox
    assert approval.to == ["chef@firma.example"]
    token = re.search(r"/register/approval/([^/\s]+)/", approval.body).group(1)
    courses.registration_decide(token=token, is_approved=True)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RECEIVED

    # «2. Administratören behandlar anmälan» «I samband med att anmälan behandlas kopplas
    # deltagaren till:» «en befintlig eller ny personpost i CRM-systemet» «den organisation
    # personen representerar» «en betalande organisation (kan vara samma eller en annan än
    # den representerade)». The processing screen suggests the person by her e-mail and the
    # employer by its organisation number.
    [person, *_others] = person_suggestions(registration=registration)
    [employer, *_rest] = organisation_suggestions(registration=registration)
    assert (person.customer, person.reasons) == (anna, ("email", "name"))
    assert (employer.customer, employer.reasons[0]) == (firma, "org_number")

    # «administratören enkelt kan uppdatera och kvalitetssäkra informationen på den betalande
    # organisationen, exempelvis adress, organisationsnummer, momsnummer och Peppol-ID – direkt
    # i samband med behandlingen.» The group pays; its card lacked all four until now.
    courses.registration_process(
        registration=registration,
        actor=admin,
        participant=person.customer,
        represented_organisation=employer.customer,
        paying_organisation=group,
        paying_changes={
            "address_line1": "Box 100",
            "postal_code": "111 22",
            "city": "Stockholm",
            "org_number": "556000-4615",
            "vat_number": "SE556000461501",
            "peppol_id": "0007:5560004615",
        },
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PROCESSED
    # «Organisationer och deltagare är kopplade till varandra i databasen»
    assert (registration.participant, registration.represented_organisation) == (anna, firma)
    assert registration.paying_organisation == group != firma
    assert OrganisationMember.objects.filter(organisation=firma, person=anna).exists()
    group.refresh_from_db()
    assert (group.address_line1, group.org_number, group.vat_number, group.peppol_id) == (
        "Box 100",
        "556000-4615",
        "SE556000461501",
        "0007:5560004615",
    )

    # «3. Skapa fakturaunderlag» «När den betalande organisationen är kopplad till anmälan
    # finns alla uppgifter som behövs för fakturering.» The group is in the invoice basis at
    # the course's price, with the project number as its reference.
    [basis] = basis_with_totals(company=company)
    [item] = basis.items
    assert basis.customer == group
    assert (item.unit_price, item.buyer_reference) == (Decimal("4900.0000"), "P-100")
    assert "Anna Lind" in item.description
    assert basis.totals.total_amount == Decimal("6125.00")

    # «Underlaget innehåller information om deltagaren samt nödvändig information om den
    # betalande organisationen som projektnummer, Peppol-ID, momsnummer och organisationsnummer.»
    [row] = course_basis_rows(company=company, occurrence=occurrence)
    assert {key: row[key] for key in ("participant", "represented_organisation", "paying_organisation")} == {
        "participant": "Anna Lind",
        "represented_organisation": "Firma Ett AB",
        "paying_organisation": "Koncernen Ett AB",
    }
    assert (row["project_number"], row["peppol_id"], row["vat_number"], row["org_number"]) == (
        "P-100",
        "0007:5560004615",
        "SE556000461501",
        "556000-4615",
    )
    assert (row["price"], row["vat_amount"], row["status"]) == (Decimal("4900.00"), Decimal("1225.00"), "In the basis")

    # «Utan integration:» «Administratören laddar ner en rapport med alla nödvändiga uppgifter
    # och förmedlar den till ekonomiavdelningen.»
    staff = Client()
    staff.force_login(admin)
    url = reverse("staff:course_report") + f"?occurrence={occurrence.pk}&format=csv"
    download = list(csv.reader(io.StringIO(staff.get(url).content.decode("utf-8-sig")), delimiter=";"))
    assert len(download) == 2
    assert {"Anna Lind", "Koncernen Ett AB", "P-100", "0007:5560004615", "SE556000461501"} <= set(download[1])

    # «Med integration till ekonomisystem:** Fakturaunderlaget skickas direkt vidare.» The
    # accounting system listens for the basis and receives the same rows.
    with Receiver() as accounting:
        webhook_endpoint_create(company=company, url=accounting.url, events=["course_basis.exported"])
        with django_capture_on_commit_callbacks(execute=True):
            sent_to = courses.course_basis_export(
                company=company, rows=course_basis_rows(company=company, occurrence=occurrence), scope={}
            )
    assert sent_to == 1
    [(_headers, body)] = accounting.requests
    [exported] = json.loads(body)["data"]["rows"]
    assert (exported["paying_organisation"], exported["project_number"], exported["price"]) == (
        "Koncernen Ett AB",
        "P-100",
        "4900.00",
    )

    # Registering the basis makes the invoice to the paying organisation, with its reference.
    [invoice] = invoices_register_from_basis(company=company, actor=admin, issued_on=INVOICED_ON)
    assert (invoice.customer_id, invoice.buyer_reference, invoice.total_amount) == (
        group.pk,
        "P-100",
        Decimal("6125.00"),
    )
    assert invoice.buyer["peppol_id"] == "0007:5560004615"
    [row] = course_basis_rows(company=company, occurrence=occurrence)
    assert (row["status"], row["invoice_number"]) == ("Invoiced", invoice.display_number)
    assert basis_with_totals(company=company) == []


def test_a_tailored_course_bills_each_customer_its_agreed_price(academy):
    company, admin = academy
    course = courses.course_create(company=company, name="Ledarskap för kommunen", kind=CourseKind.TAILORED)
    occurrence = courses.occurrence_create(course=course, starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 2, 3))
    municipality = customer_create(company=company, kind=CustomerKind.ORGANISATION, name="Mälarkommunen")
    region = customer_create(company=company, kind=CustomerKind.ORGANISATION, name="Region Mälardalen")
    kim = customer_create(company=company, kind=CustomerKind.PERSON, name="Kim Kontakt", email="kim@kommun.example")
    lo = customer_create(company=company, kind=CustomerKind.PERSON, name="Lo Länsson", email="lo@region.example")
    mo = customer_create(company=company, kind=CustomerKind.PERSON, name="Mo Mattsson", email="mo@region.example")

    # «1. Pris anges per kund» «Administratören lägger in priset för varje kund direkt på
    # utbildningsomgången, i fliken “Kunder”, tillsammans med kontaktpersoner för dessa.»
    courses.occurrence_customer_set(
        occurrence=occurrence, customer=municipality, price="85000", project_number="K-7", contacts=[kim]
    )
    courses.occurrence_customer_set(occurrence=occurrence, customer=region, price="60000", contacts=[lo, mo])
    # A price agreed again before invoicing is the one billed.
    courses.occurrence_customer_set(occurrence=occurrence, customer=municipality, price="90000", project_number="K-7")

    # «2. Automatiska beräkningar och export» «Mira CRM räknar automatiskt ut fakturaunderlaget
    # baserat på inmatade priser. Underlaget kan enkelt exporteras och skickas vidare till kund
    # eller ekonomiavdelning.»
    basis = {group.customer.name: group for group in basis_with_totals(company=company)}
    assert {name: group.totals.total_amount for name, group in basis.items()} == {
        "Mälarkommunen": Decimal("112500.00"),
        "Region Mälardalen": Decimal("75000.00"),
    }
    rows = {row["paying_organisation"]: row for row in course_basis_rows(company=company, occurrence=occurrence)}
    assert (rows["Mälarkommunen"]["participant"], rows["Mälarkommunen"]["project_number"]) == ("Kim Kontakt", "K-7")
    assert rows["Region Mälardalen"]["participant"] == "Lo Länsson, Mo Mattsson"
    assert rows["Region Mälardalen"]["vat_amount"] == Decimal("15000.00")

    # Registered, each customer gets its invoice at its price.
    invoices = invoices_register_from_basis(company=company, actor=admin, issued_on=INVOICED_ON)
    assert sorted((i.customer.name, i.buyer_reference, i.total_amount) for i in invoices) == [
        ("Mälarkommunen", "K-7", Decimal("112500.00")),
        ("Region Mälardalen", "", Decimal("75000.00")),
    ]


@pytest.mark.needs_shared("the seed documents")
def test_the_quoted_steps_are_the_documents_own_words():
    assert_quotes_are_the_documents(__file__, "000")
