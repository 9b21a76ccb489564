"""The render task over many invoices: one whose stored text no document can carry fails
alone, recorded in its history; the others get their documents."""

from __future__ import annotations

import pytest

from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.tasks import render_documents
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.django_db

DOCUMENT_FAILED = "document_failed"  # the history's kind


def test_one_invoice_whose_ubl_cannot_be_built_fails_alone_in_the_render_task(company, admin_user):
    other = CompanyFactory()
    other_user = StaffFactory(company=other, role="admin").user
    first = issued_invoice(company, admin_user, "100.00")
    bad = issued_invoice(company, admin_user, "200.00")
    last = issued_invoice(other, other_user, "300.00")
    InvoiceLine.objects.filter(invoice=bad).update(description="Behandling\x0bdel 2")
    InvoiceDocument.objects.all().delete()

    stored = render_documents.call([first.pk, bad.pk, last.pk])

    formats = set(InvoiceDocument.objects.values_list("invoice_id", "format"))
    assert {(first.pk, DocumentFormat.PDF), (first.pk, DocumentFormat.UBL)} <= formats
    assert {(last.pk, DocumentFormat.PDF), (last.pk, DocumentFormat.UBL)} <= formats
    assert (bad.pk, DocumentFormat.UBL) not in formats
    assert stored == len(formats)
    [event] = Invoice.objects.get(pk=bad.pk).events.filter(kind=DOCUMENT_FAILED)
    assert "Peppol XML (UBL)" in describe(event)
    assert "could not be made" in describe(event)
    assert not Invoice.objects.get(pk=first.pk).events.filter(kind=DOCUMENT_FAILED).exists()
