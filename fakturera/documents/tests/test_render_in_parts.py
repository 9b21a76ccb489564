"""documents_render stores a Typst batch at a time and looks afresh before each one: what
another process stored meanwhile (a delivery worker that caught up with the render task) is not
made twice, and a batch's documents can be sent before the task's last batch is laid out."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

from fakturera.documents import services
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.pdf import render
from fakturera.documents.services import documents_render
from fakturera.invoicing.tests.factories import issued_invoice

pytestmark = pytest.mark.django_db


def test_each_batch_is_stored_before_the_next_and_what_was_stored_meanwhile_is_not_made_again(
    company, admin_user, monkeypatch
):
    invoices = [issued_invoice(company, admin_user, f"{100 * n}.00") for n in range(1, 6)]
    InvoiceDocument.objects.all().delete()
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    laid_out: list[list[str]] = []
    stored_before: list[int] = []
    real_render_batch = render._render_batch

    def render_batch(template, contents, pages, logo=None):
        laid_out.append([content["number"] for content in contents])
        stored_before.append(InvoiceDocument.objects.count())
        if len(laid_out) == 1:
            # Meanwhile another process stores the fourth invoice's documents.
            documents_render(invoice_ids=[invoices[3].pk])
        return real_render_batch(template, contents, pages, logo)

    monkeypatch.setattr(render, "_render_batch", render_batch)

    stored = documents_render(invoice_ids=[invoice.pk for invoice in invoices])

    numbers = [invoice.display_number for invoice in invoices]
    assert laid_out == [numbers[0:2], [numbers[3]], [numbers[2]], [numbers[4]]]
    # the first batch's two documents each were stored before the third invoice was laid out
    assert stored_before[2] == 2 * 2 + 2
    assert stored == 2 * 4
    assert sorted(InvoiceDocument.objects.values_list("invoice_id", "format")) == sorted(
        (invoice.pk, fmt) for invoice in invoices for fmt in (DocumentFormat.PDF, DocumentFormat.UBL)
    )


def test_documents_another_process_stored_while_the_batch_was_laid_out_are_kept_and_the_rest_stored(
    company, admin_user, monkeypatch
):
    # The batch's rows go in one COPY; a row another process stored after the batch looked
    # (a delivery worker rendering what it is about to send) makes the unique constraint
    # refuse it, and the batch is saved again without that one.
    invoices = [issued_invoice(company, admin_user, f"{100 * n}.00") for n in range(1, 4)]
    InvoiceDocument.objects.all().delete()
    real_render_batch = render._render_batch

    def render_batch(template, contents, pages, logo=None):
        monkeypatch.setattr(render, "_render_batch", real_render_batch)
        documents_render(invoice_ids=[invoices[1].pk])  # meanwhile, the other process
        return real_render_batch(template, contents, pages, logo)

    monkeypatch.setattr(render, "_render_batch", render_batch)

    stored = documents_render(invoice_ids=[invoice.pk for invoice in invoices])

    assert stored == 2 * 3  # what this call made, the two it did not store included
    assert sorted(InvoiceDocument.objects.values_list("invoice_id", "format")) == sorted(
        (invoice.pk, fmt) for invoice in invoices for fmt in (DocumentFormat.PDF, DocumentFormat.UBL)
    )
    first = InvoiceDocument.objects.order_by("pk").first()
    assert first.invoice_id == invoices[1].pk  # the other process's rows, stored first, stay


RENDER_FROM_STDIN = """
import pickle, sys
import django
django.setup()
from fakturera.documents.pdf.render import render_pdfs
documents, template = pickle.load(sys.stdin.buffer)
sys.stdout.buffer.write(pickle.dumps(render_pdfs(documents, template=template)))
"""


def test_the_same_bytes_whatever_the_number_of_layout_threads(company, admin_user):
    invoices = [issued_invoice(company, admin_user, f"{100 * n}.00") for n in range(1, 4)]
    documents = [services.document_data(invoice) for invoice in services._issued_invoices([i.pk for i in invoices])]
    given = pickle.dumps((documents, company.pdf_template))

    def rendered(threads: str) -> list[bytes]:
        env = {**os.environ, "RAYON_NUM_THREADS": threads, "FAKTURERA_DEBUG": "1"}
        env.pop("DATABASE_URL", None)  # nothing is read from the database
        done = subprocess.run(
            [sys.executable, "-c", RENDER_FROM_STDIN], input=given, capture_output=True, env=env, check=True
        )
        return pickle.loads(done.stdout)  # noqa: S301 - our own child's output

    assert rendered("1") == rendered("4")


def test_typst_lays_out_in_as_many_threads_as_the_setting_says(settings, monkeypatch):
    monkeypatch.setattr(render, "_compilers", {})
    monkeypatch.delenv("RAYON_NUM_THREADS", raising=False)
    settings.PDF_LAYOUT_THREADS = 0
    render._compiler("standard")
    assert "RAYON_NUM_THREADS" not in os.environ  # Typst's own default: a thread per core

    monkeypatch.setattr(render, "_compilers", {})
    settings.PDF_LAYOUT_THREADS = 1
    render._compiler("standard")
    assert os.environ["RAYON_NUM_THREADS"] == "1"

    monkeypatch.setattr(render, "_compilers", {})
    monkeypatch.setenv("RAYON_NUM_THREADS", "3")  # the operator's own
    render._compiler("standard")
    assert os.environ["RAYON_NUM_THREADS"] == "3"
