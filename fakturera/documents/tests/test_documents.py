"""Documents of issued invoices: rendered once after issuing, stored with their hash,
served as the same bytes everywhere (UI, command line), never across companies."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_get
from fakturera.invoicing.tests.factories import CONSULTATION, credit_note, draft_invoice, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def issue(company, user, customer=None, **header):
    """Two consultations issued today, by default to an organisation with a Peppol ID."""
    customer = customer or OrganisationFactory(company=company, peppol_id="0007:5560360793")
    return issued_invoice(company, user, customer=customer, lines=[CONSULTATION], issued_on=None, **header)


def test_issuing_stores_the_pdf_and_the_ubl_once_after_commit(company, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue(company, admin_user)

    documents = {d.format: d for d in InvoiceDocument.objects.filter(invoice=invoice)}
    assert set(documents) == {DocumentFormat.PDF, DocumentFormat.UBL}
    for document in documents.values():
        content = bytes(document.content)
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert document.size == len(content)
        assert document.customer_id == invoice.customer_id
    assert bytes(documents["pdf"].content).startswith(b"%PDF")
    assert b"<cbc:ID>1</cbc:ID>" in bytes(documents["ubl"].content)
    assert documents["pdf"].template == company.pdf_template


def test_a_credit_note_gets_its_documents_too(company, admin_user, django_capture_on_commit_callbacks):
    invoice = issue(company, admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note(invoice, admin_user)
    assert InvoiceDocument.objects.filter(invoice=note).count() == 2


def test_the_same_bytes_on_every_request(company, admin_user):
    invoice = issue(company, admin_user)  # no commit callbacks: rendered on first request

    first = document_get(invoice=invoice, fmt=DocumentFormat.PDF)
    second = document_get(invoice=invoice, fmt=DocumentFormat.PDF)
    window = document_get(invoice=invoice, fmt=DocumentFormat.PDF, template="window")

    assert first.pk == second.pk
    assert window.pk != first.pk
    assert InvoiceDocument.objects.filter(invoice=invoice, format="pdf").count() == 2


def test_download_through_the_ui(client, company, admin_user):
    invoice = issue(company, admin_user)
    client.force_login(admin_user)

    first = client.get(reverse("staff:invoice_document", args=[invoice.pk, "pdf"]))
    again = client.get(reverse("staff:invoice_document", args=[invoice.pk, "pdf"]))
    ubl = client.get(reverse("staff:invoice_document", args=[invoice.pk, "ubl"]))

    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first.content == again.content
    assert first["ETag"] == f'"{hashlib.sha256(first.content).hexdigest()}"'
    assert ubl["Content-Type"] == "application/xml"
    assert 'filename="faktura-1.xml"' in ubl["Content-Disposition"]


def test_a_drafts_document_is_refused(client, company, admin_user):
    draft = draft_invoice(company, admin_user, "1", customer=OrganisationFactory(company=company), description="x")
    client.force_login(admin_user)
    response = client.get(reverse("staff:invoice_document", args=[draft.pk, "pdf"]), follow=True)
    assert "issue it first" in response.content.decode()
    assert not InvoiceDocument.objects.exists()


def test_another_companys_documents_are_not_found(client, company, admin_user):
    theirs_company = CompanyFactory()
    theirs_user = StaffFactory(company=theirs_company, role="admin").user
    theirs = issue(theirs_company, theirs_user)
    client.force_login(admin_user)

    for fmt in ("pdf", "ubl"):
        assert client.get(reverse("staff:invoice_document", args=[theirs.pk, fmt])).status_code == 404
    response = client.post(reverse("staff:invoice_print"), {"invoice": [theirs.pk]}, follow=True)
    assert "Select at least one issued invoice" in response.content.decode()


def test_print_a_selection_as_one_pdf(client, company, admin_user):
    invoices = [issue(company, admin_user) for _ in range(3)]
    client.force_login(admin_user)

    response = client.post(reverse("staff:invoice_print"), {"invoice": [i.pk for i in invoices]})

    assert response.status_code == 200
    merged = PdfReader(io.BytesIO(response.content))
    singles = [PdfReader(io.BytesIO(bytes(document_get(invoice=i, fmt="pdf").content))) for i in invoices]
    assert len(merged.pages) == sum(len(reader.pages) for reader in singles)


def test_the_customer_page_lists_the_documents(client, company, admin_user):
    invoice = issue(company, admin_user)
    document_get(invoice=invoice, fmt=DocumentFormat.PDF)
    client.force_login(admin_user)
    page = client.get(reverse("staff:customer_detail", args=[invoice.customer_id])).content.decode()
    assert "faktura-1.pdf" in page


def test_the_document_command_writes_the_stored_bytes(company, admin_user, capsysbinary):
    invoice = issue(company, admin_user)
    stored = document_get(invoice=invoice, fmt=DocumentFormat.UBL)

    call_command("document", "--format", "ubl", "--company", company.org_number, "1")

    assert capsysbinary.readouterr().out == bytes(stored.content)


def test_the_document_command_writes_every_document(company, admin_user, tmp_path):
    issue(company, admin_user)
    credit_note(issue(company, admin_user), admin_user)

    call_command("document", "--format", "pdf", "--all", "--out", str(tmp_path))

    org = company.org_number.replace("-", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{org}-faktura-1.pdf",
        f"{org}-faktura-2.pdf",
        f"{org}-kreditfaktura-3.pdf",
    ]


def test_the_document_command_explains_what_it_cannot_find(company):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="has no issued invoice or credit note 99"):
        call_command("document", "--format", "pdf", "--company", company.org_number, "99")
    with pytest.raises(CommandError, match="No company has organisation number"):
        call_command("document", "--format", "pdf", "--company", "000000-0000", "1")


def test_the_company_setting_embeds_the_stored_pdf_in_the_ubl(company, admin_user):
    import base64

    from lxml import etree

    company.is_embedding_pdf_in_ubl = True
    company.save()
    invoice = issue(company, admin_user)

    ubl = etree.fromstring(bytes(document_get(invoice=invoice, fmt=DocumentFormat.UBL).content))
    pdf = document_get(invoice=invoice, fmt=DocumentFormat.PDF)

    [embedded] = ubl.xpath("//*[local-name()='EmbeddedDocumentBinaryObject']")
    assert embedded.get("mimeCode") == "application/pdf"
    assert base64.b64decode(embedded.text) == bytes(pdf.content)
