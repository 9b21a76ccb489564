"""A delivery whose PDF was not rendered yet (the task worker has not come to its invoice, or
the documents went missing): the worker renders the chunk's missing documents together, in
one rendering, stores them once, and sends the stored bytes; one that cannot be made fails
its own delivery alone, as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import invoices_send
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.pdf import render
from fakturera.documents.services import DOCUMENT_FAILED
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import basis_registered

pytestmark = pytest.mark.django_db


def later() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10)


def attached_pdfs(received) -> list[bytes]:
    return [
        part.get_payload(decode=True)
        for item in received
        for part in item.message.walk()
        if part.get_content_type() == "application/pdf"
    ]


def test_missing_documents_of_a_chunk_are_rendered_in_one_rendering_and_the_stored_bytes_sent(
    company, admin_user, monkeypatch
):
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices = [basis_registered(company, admin_user, price) for price in ("100.00", "200.00", "300.00")]
        InvoiceDocument.objects.filter(invoice__in=invoices).delete()
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk for invoice in invoices])
        compiles = []
        real_render_batch = render._render_batch

        def counting(template, contents, pages, logo=None):
            compiles.append(len(contents))
            return real_render_batch(template, contents, pages, logo)

        monkeypatch.setattr(render, "_render_batch", counting)

        done = deliveries_work(now=later())

        assert (done.claimed, done.sent, done.failed) == (3, 3, 0)
        assert compiles == [3]  # not one compile per invoice
        received = attached_pdfs(smtp.received)
    stored = InvoiceDocument.objects.filter(invoice__in=invoices)
    assert sorted(stored.values_list("invoice_id", "format")) == sorted(
        (invoice.pk, fmt) for invoice in invoices for fmt in (DocumentFormat.PDF, DocumentFormat.UBL)
    )
    pdfs = {bytes(content) for content in stored.filter(format=DocumentFormat.PDF).values_list("content", flat=True)}
    assert len(received) == 3
    assert set(received) == pdfs
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_an_invoice_whose_pdf_cannot_be_made_fails_its_delivery_alone(company, admin_user, monkeypatch):
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        good, bad, other = (basis_registered(company, admin_user, price) for price in ("100.00", "200.00", "300.00"))
        InvoiceDocument.objects.filter(invoice__in=[good, bad, other]).delete()
        invoices_send(company=company, actor=admin_user, invoice_ids=[good.pk, bad.pk, other.pk])
        real_render_batch = render._render_batch

        def failing(template, contents, pages, logo=None):
            if any(content["number"] == bad.display_number for content in contents):
                raise ValueError("Typst could not lay this invoice out")
            return real_render_batch(template, contents, pages, logo)

        monkeypatch.setattr(render, "_render_batch", failing)

        done = deliveries_work(now=later())

        assert len(smtp.received) == 2
    assert (done.claimed, done.sent, done.failed) == (3, 2, 1)
    states = dict(Delivery.objects.values_list("invoice_id", "state"))
    assert states == {good.pk: DeliveryState.SENT, bad.pk: DeliveryState.FAILED, other.pk: DeliveryState.SENT}
    assert "could not be made" in Delivery.objects.get(invoice=bad).error
    assert not InvoiceDocument.objects.filter(invoice=bad, format=DocumentFormat.PDF).exists()
    # The delivery says what failed; the documents' own failure entry is the task worker's to write.
    assert not InvoiceEvent.objects.filter(kind=DOCUMENT_FAILED).exists()
