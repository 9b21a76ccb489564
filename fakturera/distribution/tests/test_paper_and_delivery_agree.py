"""The address on the paper is the address the delivery uses (issue 13): a person whose
invoices go to their organisation gets a PDF addressed to the organisation, for the
person's attention, and the letter is posted to that same address; a person's invoice
e-mail is where the e-mail goes."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from fakturera.distribution.models import Delivery
from fakturera.distribution.services import invoices_send
from fakturera.distribution.tests.factories import email_channel, service_channel
from fakturera.distribution.transports.testing import FakeLetterService
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel, PdfTemplate
from fakturera.parties.services import organisation_member_add
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory
from fakturera.staff.tests.invoice_helpers import staff_client

pytestmark = pytest.mark.django_db


def pdf_lines(pdf: bytes) -> list[str]:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [line.replace("\u00a0", " ").strip() for line in text.splitlines()]


def contains_run(lines: list[str], run: list[str]) -> bool:
    return any(lines[start : start + len(run)] == run for start in range(len(lines)))


@pytest.fixture
def letter_service():
    with FakeLetterService() as service:
        yield service


@pytest.mark.parametrize("layout", [PdfTemplate.WINDOW, PdfTemplate.STANDARD])
def test_a_person_invoiced_at_their_organisation_gets_paper_and_letter_to_the_organisation(
    company, admin_user, letter_service, layout
):
    # given a company that invoices a person's organisation, and Per, a member of Firma AB
    company.is_invoicing_organisation_of_person = True
    company.pdf_template = layout
    company.save()
    firma = OrganisationFactory(
        company=company, name="Firma AB", address_line1="Box 1", postal_code="211 20", city="Malmö"
    )
    per = PersonFactory(company=company, name="Per Son", address_line1="Hemvägen 3", postal_code="222 33")
    organisation_member_add(organisation=firma, person=per)
    service_channel(company, Channel.LETTER, letter_service)

    # when Per's basis is registered and the invoice is sent by letter
    invoice = basis_registered(company, admin_user, "250.00", customer=per)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert deliveries_work(now=timezone.now() + dt.timedelta(minutes=6)).sent == 1

    # then the letter goes to the organisation ...
    [letter] = letter_service.received
    assert letter["recipient"] == {
        "name": "Firma AB",
        "address_lines": ["Box 1"],
        "postal_code": "211 20",
        "city": "Malmö",
        "country": "SE",
    }
    # ... and the paper in the envelope is addressed exactly so, for Per's attention
    recipient = letter["recipient"]
    block = [
        recipient["name"],
        "Att: Per Son",
        *recipient["address_lines"],
        f"{recipient['postal_code']} {recipient['city']}",
    ]
    assert contains_run(pdf_lines(letter["pdf"]), block), pdf_lines(letter["pdf"])[:20]
    # the buyer stays the person (the one who bought), the address block is the organisation's,
    # and the invoice's page says so
    assert invoice.buyer["name"] == "Per Son"
    assert invoice.buyer["recipient"]["name"] == "Firma AB"
    client, _user = staff_client(company)
    page = client.get(f"/invoices/{invoice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Addressed to" in page
    assert "For the attention of Per Son" in page


def test_a_person_without_an_organisation_gets_paper_and_letter_at_home(company, admin_user, letter_service):
    company.is_invoicing_organisation_of_person = True
    company.save()
    per = PersonFactory(company=company, name="Per Son", address_line1="Hemvägen 3", postal_code="222 33")
    service_channel(company, Channel.LETTER, letter_service)

    invoice = basis_registered(company, admin_user, "250.00", customer=per)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    deliveries_work(now=timezone.now() + dt.timedelta(minutes=6))

    [letter] = letter_service.received
    assert letter["recipient"]["name"] == "Per Son"
    assert contains_run(pdf_lines(letter["pdf"]), ["Per Son", "Hemvägen 3", "222 33 Lund"])


def test_a_person_s_invoice_email_comes_before_their_own(company, admin_user):
    per = PersonFactory(company=company, name="Per Son", email="per@hem.example", invoice_email="per@firma.example")
    invoice = basis_registered(company, admin_user, "250.00", customer=per)
    email_channel(company, 25)

    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

    assert Delivery.objects.get(invoice=invoice).address["email"] == "per@firma.example"
    assert invoice.buyer["recipient"]["email"] == "per@firma.example"
