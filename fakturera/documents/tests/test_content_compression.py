"""The stored bytes' compression on PostgreSQL (migration 0003): LZ4, read back the same."""

import hashlib

import pytest
from django.db import connection

from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_bytes, document_get
from fakturera.invoicing.tests.factories import CONSULTATION, issued_invoice
from fakturera.parties.tests.factories import OrganisationFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="TOAST compression is PostgreSQL's"),
]


def _lz4_available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        return bool(cursor.fetchone()[0])


def test_an_invoices_ubl_is_stored_compressed_with_lz4_and_read_back_whole(company, admin_user):
    if not _lz4_available():
        pytest.skip("this PostgreSQL is built without LZ4")
    customer = OrganisationFactory(company=company, peppol_id="0007:5560360793")
    invoice = issued_invoice(company, admin_user, customer=customer, lines=[CONSULTATION] * 3, issued_on=None)

    document = document_get(invoice=invoice, fmt=DocumentFormat.UBL)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(content), pg_column_size(content) FROM documents_invoicedocument "
            "WHERE id = %s",
            [document.pk],
        )
        method, stored = cursor.fetchone()
    assert method == "lz4"  # a UBL file of some kilobytes is compressed, and how says the database
    assert stored < document.size
    content = document_bytes(InvoiceDocument.objects.get(pk=document.pk))
    assert len(content) == document.size
    assert hashlib.sha256(content).hexdigest() == document.sha256
