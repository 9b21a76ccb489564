"""Documents and uploaded files in an S3-compatible store (documents/DESIGN.md, "Where the bytes
are"; core/storage.py), against moto's server over real HTTP: the object is written before the
row that names it, every reader gets the same bytes from it, documents kept in their rows before
the store was configured are still read, and a store that cannot be reached fails the rendering
task, which is tried again, with nothing half-written."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from fakturera.core.models import StoredFile
from fakturera.core.storage import StorageUnavailable
from fakturera.core.tests.api_client import ApiClient
from fakturera.core.tests.s3 import new_store, unreachable_store
from fakturera.core.tests.smtp import SmtpServer
from fakturera.core.tests.test_task_retries import DATABASE_BACKEND, work
from fakturera.distribution.services import invoices_send
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_bytes, document_get, documents_render, documents_verify
from fakturera.documents.tasks import render_documents
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.keys import api_key_create
from fakturera.parties.models import Company
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db


def after_window() -> timezone.datetime:
    return timezone.now() + timezone.timedelta(minutes=6)


def png(colour: tuple[int, int, int] = (31, 78, 121)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_documents_go_to_the_store_and_staff_api_and_email_read_the_same_bytes(company, admin_user, client, s3):
    # given an issued invoice whose documents are rendered with the store configured
    invoice = basis_registered(company, admin_user, "500.00", name="Anna Berg")

    assert documents_render(invoice_ids=[invoice.pk]) == 2

    # then each document is an object under the company and invoice, and its row keeps the key,
    # size and SHA-256 of those bytes, not the bytes
    rows = {row.format: row for row in InvoiceDocument.objects.filter(invoice=invoice)}
    objects = {}
    for fmt, row in rows.items():
        assert row.storage_key.startswith(f"documents/{company.pk}/{invoice.pk}/{fmt}")
        assert bytes(row.content) == b""
        objects[fmt] = s3.read(f"test/{row.storage_key}")  # below FAKTURERA_S3_PREFIX
        assert (hashlib.sha256(objects[fmt]).hexdigest(), len(objects[fmt])) == (row.sha256, row.size)
    assert objects[DocumentFormat.PDF].startswith(b"%PDF")
    assert s3.keys() == sorted(f"test/{row.storage_key}" for row in rows.values())
    assert documents_verify(InvoiceDocument.objects.all()) == (2, [])

    # and the staff download answers the object's bytes
    log_in(client, company, role="read_only")
    staff_pdf = client.get(reverse("staff:invoice_document", args=[invoice.pk, "pdf"]))
    assert staff_pdf.status_code == 200
    assert staff_pdf.content == objects[DocumentFormat.PDF]
    assert staff_pdf["ETag"] == f'"{rows[DocumentFormat.PDF].sha256}"'

    # and the API too
    api = ApiClient(api_key_create(company=company, name="CRM", actor=admin_user).token)
    assert api.get(f"/invoices/{invoice.pk}/pdf").content == objects[DocumentFormat.PDF]
    assert api.get(f"/invoices/{invoice.pk}/ubl").content == objects[DocumentFormat.UBL]

    # and the e-mail carries it as its attachment
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        assert deliveries_work(now=after_window()).sent == 1
    [received] = smtp.received
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content() == objects[DocumentFormat.PDF]


def test_a_document_kept_in_its_row_before_the_store_was_configured_is_still_read(
    company, admin_user, client, settings, moto_endpoint
):
    # given a document stored in its row, before the installation had a store
    invoice = basis_registered(company, admin_user, "500.00", name="Anna Berg")
    old = document_get(invoice=invoice, fmt=DocumentFormat.PDF)
    kept = bytes(old.content)
    assert old.storage_key == ""
    assert kept.startswith(b"%PDF")

    # when the store is configured
    store = new_store(moto_endpoint).use(settings)

    # then the old document is read from its row, by every reader, and nothing is written to the store
    log_in(client, company)
    assert client.get(reverse("staff:invoice_document", args=[invoice.pk, "pdf"])).content == kept
    assert document_bytes(InvoiceDocument.objects.get(pk=old.pk)) == kept
    # and the documents made from now on go to the store
    assert documents_render(invoice_ids=[invoice.pk]) == 1  # the UBL, which was missing
    ubl = InvoiceDocument.objects.get(invoice=invoice, format=DocumentFormat.UBL)
    assert store.keys() == [ubl.storage_key]
    assert documents_verify(InvoiceDocument.objects.all()) == (2, [])


def test_a_logo_uploaded_to_the_store_is_on_the_settings_page_and_in_the_pdf(company, admin_user, client, s3):
    # given an administrator uploading the logo
    log_in(client, company, role="admin")
    from fakturera.staff.tests.test_company_settings import settings_post

    logo = png()
    response = client.post(
        reverse("staff:company_settings"),
        settings_post(company, logo=SimpleUploadedFile("logo.png", logo, content_type="image/png")),
    )
    assert response.status_code == 302

    # then it is an object in the store under the company's id, not a row nor a file
    company = Company.objects.get(pk=company.pk)
    assert company.logo.name == f"logos/{company.pk}/logo.png"
    assert s3.read(f"test/logos/{company.pk}/logo.png") == logo
    assert not StoredFile.objects.exists()
    # and the settings page shows it through the staff view
    assert client.get(reverse("staff:company_logo")).content == logo
    # and the invoice's PDF carries it
    invoice = basis_registered(company, admin_user, "500.00", name="Anna Berg")
    pdf = document_bytes(document_get(invoice=invoice, fmt=DocumentFormat.PDF))
    assert b"/Subtype/Image" in pdf


def test_an_unreachable_store_is_a_clear_error_and_the_download_answers_503(company, admin_user, client, settings):
    invoice = basis_registered(company, admin_user, "500.00", name="Anna Berg")
    unreachable_store().use(settings)

    with pytest.raises(StorageUnavailable, match=r"The file store \(bucket 'nowhere' at http://127\.0\.0\.1:\d+\)"):
        documents_render(invoice_ids=[invoice.pk])
    assert not InvoiceDocument.objects.exists()  # no row without its object

    log_in(client, company)
    response = client.get(reverse("staff:invoice_document", args=[invoice.pk, "pdf"]))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert not InvoiceDocument.objects.exists()


def test_a_missing_bucket_is_the_same_clear_error(company, admin_user, settings, moto_endpoint):
    invoice = basis_registered(company, admin_user, "500.00", name="Anna Berg")
    store = new_store(moto_endpoint)
    store.client.delete_bucket(Bucket=store.bucket)
    store.use(settings)

    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        documents_render(invoice_ids=[invoice.pk])
    assert not InvoiceDocument.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_rendering_task_fails_while_the_store_is_away_and_its_retry_stores_everything(
    company, admin_user, settings, moto_endpoint
):
    # given the database task backend and a store that refuses every connection
    settings.TASKS = DATABASE_BACKEND
    unreachable_store().use(settings)
    # when an invoice is issued (its rendering is queued with it) and a worker runs the task
    invoice = basis_registered(company, admin_user, "500.00", name="Anna Berg")
    work()

    # then the attempt failed with the store's error, nothing is stored, and a retry is queued
    renders = DBTaskResult.objects.filter(task_path=render_documents.module_path).order_by("enqueued_at")
    assert [row.status for row in renders] == ["FAILED", "READY"]
    assert "could not be used" in renders[0].exception_class_path + renders[0].traceback
    assert not InvoiceDocument.objects.exists()

    # when the store answers again and the retry is due
    store = new_store(moto_endpoint).use(settings)
    renders.filter(status="READY").update(run_after=timezone.now())
    work()

    # then the retry stored both documents, each with its object
    assert [row.status for row in renders.all()] == ["FAILED", "SUCCESSFUL"]
    rows = list(InvoiceDocument.objects.filter(invoice=invoice))
    assert len(rows) == 2
    assert store.keys() == sorted(row.storage_key for row in rows)
    assert documents_verify(InvoiceDocument.objects.all()) == (2, [])
