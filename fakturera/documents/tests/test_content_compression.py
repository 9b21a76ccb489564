"""How documents are stored on PostgreSQL: the bytes compressed with LZ4 (migration 0003) and read
back the same; the table's statistics refreshed after a batch (core.analyze)."""

import hashlib

import pytest
from django.db import connection

from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_bytes, document_get, documents_render
from fakturera.invoicing.tests.factories import CONSULTATION, issued_invoice, issued_invoices_with_pdfs
from fakturera.parties.tests.factories import OrganisationFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="TOAST and planner statistics: PostgreSQL"),
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


def test_a_batch_of_stored_documents_leaves_the_tables_statistics_fresh(
    company, admin_user, django_capture_on_commit_callbacks
):
    # A month-end stores documents a batch at a time, and each batch first looks up what is
    # stored: planned from an empty table's statistics, that lookup read the whole table.
    table = InvoiceDocument._meta.db_table
    invoice_ids = issued_invoices_with_pdfs(company=company, actor=admin_user, n=60)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    before = InvoiceDocument.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        stored = documents_render(invoice_ids=invoice_ids)

    assert stored == 60  # their UBL files (the PDFs were stored with them)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        assert cursor.fetchone()[0] == before + stored
