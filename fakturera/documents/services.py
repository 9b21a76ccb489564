"""Rendering and storing the documents of issued invoices.

`documents_render` renders what is missing for many invoices at once (after
issuing, in the task worker) and stores each document once; `document_get` returns
the stored document, rendering it first if it was never made (a template staff
picked later, or a worker that has not caught up yet). The unique (invoice,
format, template) constraint makes a race between the two harmless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from fakturera.documents.data import DocumentData, document_data
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.pdf.render import merge_pdfs, render_pdfs
from fakturera.documents.ubl.build import build_ubl
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.states import InvoiceStatus

ISSUED = (InvoiceStatus.ISSUED, InvoiceStatus.CREDITED)


def _issued_invoices(invoice_ids: Iterable[int]) -> list[Invoice]:
    return list(
        Invoice.objects.filter(pk__in=list(invoice_ids), status__in=ISSUED)
        .select_related("company", "credited_invoice")
        .prefetch_related(Prefetch("lines", InvoiceLine.objects.order_by("position")), "vat_breakdown")
        .order_by("pk")
    )


def _document(invoice: Invoice, fmt: str, template: str, content: bytes) -> InvoiceDocument:
    return InvoiceDocument(
        company_id=invoice.company_id,
        invoice=invoice,
        customer_id=invoice.customer_id,
        format=fmt,
        template=template,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def _template_for(invoice: Invoice, template: str | None) -> str:
    return template or invoice.company.pdf_template


def documents_render(*, invoice_ids: Iterable[int], template: str | None = None) -> int:
    """Render and store the PDF (in the company's layout, or `template`) and the UBL
    of each issued invoice that lacks them. Returns how many documents were stored."""
    invoices = _issued_invoices(invoice_ids)
    if not invoices:
        return 0
    existing = set(InvoiceDocument.objects.filter(invoice__in=invoices).values_list("invoice_id", "format", "template"))
    data: dict[int, DocumentData] = {invoice.pk: document_data(invoice) for invoice in invoices}
    pdf_wanted = [
        invoice
        for invoice in invoices
        if (invoice.pk, DocumentFormat.PDF, _template_for(invoice, template)) not in existing
    ]
    by_template: dict[str, list[Invoice]] = {}
    for invoice in pdf_wanted:
        by_template.setdefault(_template_for(invoice, template), []).append(invoice)
    new: list[InvoiceDocument] = []
    pdfs: dict[int, bytes] = {}
    for name, group in by_template.items():
        for invoice, content in zip(group, render_pdfs([data[i.pk] for i in group], template=name), strict=True):
            pdfs[invoice.pk] = content
            new.append(_document(invoice, DocumentFormat.PDF, name, content))
    for invoice in invoices:
        if (invoice.pk, DocumentFormat.UBL, "") in existing:
            continue
        attachment = None
        if invoice.company.is_embedding_pdf_in_ubl:
            attachment = pdfs.get(invoice.pk) or document_get(invoice=invoice, fmt=DocumentFormat.PDF).content
        new.append(_document(invoice, DocumentFormat.UBL, "", build_ubl(data[invoice.pk], pdf=attachment)))
    InvoiceDocument.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)


def document_get(*, invoice: Invoice, fmt: str, template: str | None = None) -> InvoiceDocument:
    """The stored document, rendered now if it was never made. Same bytes on every call."""
    if invoice.status not in ISSUED:
        raise ValueError("Drafts have no documents")
    if fmt not in DocumentFormat.values:
        raise ValueError(f"Unknown document format {fmt!r}")
    wanted = _template_for(invoice, template) if fmt == DocumentFormat.PDF else ""
    lookup = {"invoice": invoice, "format": fmt, "template": wanted}
    document = InvoiceDocument.objects.filter(**lookup).first()
    if document is not None:
        return document
    if fmt == DocumentFormat.PDF:
        [full] = _issued_invoices([invoice.pk])
        content = render_pdfs([document_data(full)], template=wanted)[0]
        document = _document(full, fmt, wanted, content)
        try:
            with transaction.atomic():
                document.save()
            return document
        except IntegrityError:
            return InvoiceDocument.objects.get(**lookup)  # another process stored it first
    documents_render(invoice_ids=[invoice.pk])
    return InvoiceDocument.objects.get(**lookup)


def documents_merged_pdf(*, invoices: list[Invoice], template: str | None = None) -> bytes:
    """One PDF of the stored PDFs of `invoices` (issued, all of one company), in the given
    order: a print run for the company's own printer. Missing ones are rendered first."""
    if not invoices:
        raise ValueError("Nothing to print")
    wanted = _template_for(invoices[0], template)
    documents_render(invoice_ids=[invoice.pk for invoice in invoices], template=wanted)
    stored = dict(
        InvoiceDocument.objects.filter(invoice__in=invoices, format=DocumentFormat.PDF, template=wanted).values_list(
            "invoice_id", "content"
        )
    )
    return merge_pdfs([bytes(stored[invoice.pk]) for invoice in invoices])
