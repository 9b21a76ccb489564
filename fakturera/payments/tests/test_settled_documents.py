"""An invoice a credit balance covers is no demand to pay: its PDF says it is settled, its UBL
carries the paid amount (BT-113) and passes Peppol's rules, and no reminder goes out for it."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from pypdf import PdfReader

from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent
from fakturera.distribution.tests.factories import email_channel
from fakturera.documents.data import document_data
from fakturera.documents.pdf.render import render_pdfs
from fakturera.documents.ubl.build import build_ubl
from fakturera.documents.ubl.validator import fatal_rules, validate_files, validator_path
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import issued_invoice, overdue_invoice
from fakturera.parties.tests.factories import OrganisationFactory
from fakturera.payments.services import payment_register
from fakturera.payments.tests.test_services import PAID_ON

pytestmark = pytest.mark.django_db
UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def settled_invoice(company, user, *, over: str = "1300") -> Invoice:
    customer = OrganisationFactory(company=company)
    first = issued_invoice(company, user, "1000", customer=customer)
    payment_register(company=company, actor=user, amount=over, currency="SEK", booked_on=PAID_ON, invoice_id=first.pk)
    return issued_invoice(company, user, "40", customer=customer)  # 50.00 with VAT, from the 50.00 over


def pdf_text(invoice: Invoice) -> str:
    [pdf] = render_pdfs([document_data(Invoice.objects.get(pk=invoice.pk))], template="standard")
    return " ".join(page.extract_text().replace("\u00a0", " ") for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_says_the_credit_balance_settled_it(company, admin_user):
    invoice = settled_invoice(company, admin_user)

    text = pdf_text(invoice)

    assert "Betald med ert tillgodohavande – inget att betala" in text
    assert "Betalt med tillgodohavande" in text


def test_a_part_covered_invoice_says_what_is_left(company, admin_user):
    invoice = settled_invoice(company, admin_user, over="1280")  # 30.00 of 50.00 covered

    text = pdf_text(invoice)

    assert "inget att betala" not in text
    assert "20,00" in text


@pytest.mark.needs_shared("the Peppol validator")
def test_the_ubl_carries_the_prepaid_amount_and_passes_peppol(company, admin_user, tmp_path):
    if not validator_path().is_file():
        pytest.fail("The Peppol validator is missing: run ../shared/peppol/validate --setup")
    invoice = settled_invoice(company, admin_user, over="1280")
    xml = build_ubl(document_data(Invoice.objects.get(pk=invoice.pk)))
    tree = etree.fromstring(xml)
    assert tree.findtext(".//cbc:PrepaidAmount", namespaces=UBL) == "30.00"
    assert tree.findtext(".//cbc:PayableAmount", namespaces=UBL) == "20.00"
    path = tmp_path / "prepaid.xml"
    path.write_bytes(xml)

    [report] = validate_files([path]).values()

    assert fatal_rules(report) == []


def test_no_reminder_for_a_paid_invoice(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "1000")
    payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    email_channel(company, 25, reminder_channel="email")

    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk], purpose="reminder")

    assert (batch.queued_count, batch.unsent_count) == (0, 1)
    assert "It is paid" in describe(invoice.events.get(kind=SendingEvent.NOT_SENT))
