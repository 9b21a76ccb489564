"""The services refuse text UBL, a PDF or an e-mail cannot carry (core/text.py) themselves,
whoever calls them (the forms and the API refuse it first): the last line of defence for
paths that reach the database without a form, and nothing is written."""

from __future__ import annotations

import pytest
from lxml import etree

from fakturera.billables.models import BasisItem
from fakturera.billables.services import basis_item_add
from fakturera.catalog.models import Product
from fakturera.catalog.services import catalog_item_save
from fakturera.core.errors import ValidationFailed
from fakturera.courses.models import Registration
from fakturera.courses.selectors import registration_form_forget
from fakturera.courses.services import registration_submit
from fakturera.courses.tests.factories import make_occurrence
from fakturera.distribution.services import email_template_save
from fakturera.documents.data import document_data
from fakturera.documents.ubl.build import build_ubl
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.invoicing.services import (
    credit_note_create,
    invoice_create_draft,
    invoice_create_issued,
    invoice_email_set,
)
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.models import Customer
from fakturera.parties.services import customer_create
from fakturera.parties.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

CONTROL = "Remove the character U+000B: it is a control character that invoices, PDFs and e-mail cannot carry."
LINE = {"description": "Konsultation", "quantity": "1", "unit_price": "100", "vat_category": "S", "vat_rate": "25"}


def test_an_invoice_with_a_control_character_is_refused_and_takes_no_number(company, admin_user):
    customer = PersonFactory(company=company)
    series_before = NumberSeries.objects.get(company=company).next_number
    bad_line = [LINE, {**LINE, "description": "Konsul\x0btation"}]

    with pytest.raises(ValidationFailed) as issued:
        invoice_create_issued(company=company, customer=customer, actor=admin_user, lines=bad_line)
    with pytest.raises(ValidationFailed) as draft:
        invoice_create_draft(company=company, customer=customer, actor=admin_user, lines=[LINE], note="a\x1bb")

    assert issued.value.errors == {"lines.1.description": [CONTROL]}
    assert set(draft.value.errors) == {"note"}
    assert not Invoice.objects.filter(company=company).exists()
    assert NumberSeries.objects.get(company=company).next_number == series_before


def test_a_note_keeps_its_lines_and_a_reference_takes_one(company, admin_user):
    customer = PersonFactory(company=company)
    draft = invoice_create_draft(
        company=company, customer=customer, actor=admin_user, lines=[LINE], note="Rad 1\r\nRad 2\tslut"
    )
    assert draft.note == "Rad 1\r\nRad 2\tslut"
    with pytest.raises(ValidationFailed) as caught:
        invoice_create_draft(company=company, customer=customer, actor=admin_user, lines=[LINE], buyer_reference="P\n1")
    assert caught.value.errors == {
        "buyer_reference": ["This field takes a single line: remove the line break or tab (U+000A)."]
    }


def test_a_credit_reason_and_an_invoice_address_are_checked(company, admin_user):
    invoice = issued_invoice(company, admin_user, "800")
    with pytest.raises(ValidationFailed):
        credit_note_create(invoice=invoice, actor=admin_user, reason="Fel\x0bkund")
    with pytest.raises(ValidationFailed):
        invoice_email_set(invoice=invoice, actor=admin_user, email='"a\x0bb"@example.se')
    assert not Invoice.objects.filter(credited_invoice=invoice).exists()
    assert Invoice.objects.get(pk=invoice.pk).email == ""


def test_customers_products_and_basis_lines_are_checked(company, admin_user):
    before = Customer.objects.filter(company=company).count()
    with pytest.raises(ValidationFailed) as customer:
        customer_create(company=company, kind="person", name="Bo\u202eEk", notes="ok\nok")
    with pytest.raises(ValidationFailed):
        catalog_item_save(model=Product, company=company, name="Te\x0brapi", unit_price="100")
    person = PersonFactory(company=company)
    with pytest.raises(ValidationFailed):
        basis_item_add(company=company, customer=person, description="Sam\x0btal", unit_price="100")

    assert set(customer.value.errors) == {"name"}
    assert Customer.objects.filter(company=company).count() == before + 1  # the person made here
    assert not Product.objects.filter(company=company).exists()
    assert not BasisItem.objects.filter(company=company).exists()


def test_a_registration_and_an_e_mail_template_are_checked(company):
    registration_form_forget()
    occurrence = make_occurrence(company)
    with pytest.raises(ValidationFailed) as caught:
        registration_submit(
            form=occurrence.registration_form,
            name="Anna\x0bLind",
            email="anna.lind@firma.example",
            organisation_name="Firma\nEtt AB",
            message="Rad 1\nRad 2",
        )
    assert set(caught.value.errors) >= {"name", "organisation_name"}
    assert "message" not in caught.value.errors
    assert Registration.objects.count() == 0
    registration_form_forget()
    with pytest.raises(ValidationFailed) as template:
        email_template_save(company=company, purpose="invoice", language="sv", subject="Faktura\r\nBcc: x", body="Hej")
    assert set(template.value.errors) == {"subject"}


ALLOWED = "Zoë «café» \u200fشركة\u200e 日本語 😀 a\u00a0b – 5 €"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def test_text_the_rule_allows_builds_the_invoice_ubl(company, admin_user):
    customer = PersonFactory(company=company, name=f"Åsa {ALLOWED}")
    invoice = invoice_create_issued(
        company=company,
        customer=customer,
        actor=admin_user,
        lines=[{**LINE, "description": ALLOWED}],
        note="Rad 1\r\nRad 2\tslut",
        buyer_reference=ALLOWED[:100],
    )

    tree = etree.fromstring(build_ubl(document_data(Invoice.objects.get(pk=invoice.pk))))

    assert tree.xpath("//cac:InvoiceLine/cac:Item/cbc:Name/text()", namespaces=NS) == [ALLOWED]
    assert tree.xpath("/*/cbc:Note/text()", namespaces=NS) in (["Rad 1\r\nRad 2\tslut"], ["Rad 1\nRad 2\tslut"])
