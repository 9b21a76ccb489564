"""Rendering and storing the documents of issued invoices.

`documents_render` renders what is missing for many invoices at once (after
issuing, in the task worker) and stores each document once; `document_get` returns
the stored document, rendering it first if it was never made (a template staff
picked later, or a worker that has not caught up yet). The unique (invoice,
format, template) constraint makes a race between the two harmless.

Where the bytes are (DESIGN.md): in the row by default; with an S3-compatible store
(core.storage.is_s3) each document is an object, written before the row that names it is
saved, under a key holding the company, the invoice and the bytes' SHA-256, so two racing
renderers never overwrite each other's object and the row that wins names its own bytes.
A crash between the two leaves an object no row names: garbage, never a row without its
object. Every reader reads through `document_bytes` (or `documents_bytes`), which serves
both, and documents stored in the row before the store was configured.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from fakturera.core.bulk import bulk_insert
from fakturera.core.claims import claim_wait, claimed
from fakturera.core.storage import StorageUnavailable, StoredObjectMissing, is_s3, object_get, object_put
from fakturera.documents.data import DocumentData, document_data, prepaid_amounts
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.pdf.render import BATCH_SIZE, merge_pdfs, render_pdfs, render_reminder_pdfs
from fakturera.documents.reminders import Reminder
from fakturera.documents.ubl.build import build_ubl
from fakturera.invoicing.history import Entry, history_add_many
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.states import InvoiceStatus

ISSUED = (InvoiceStatus.ISSUED, InvoiceStatus.CREDITED)
# Claims (core.claims) on the invoices whose documents a process is making: "FD".
RENDERING = 0x4644
# How long a process waits for another's claim before making those documents itself: a
# claim covers one Typst batch (BATCH_SIZE invoices at 2 to 5 ms each, under a second), so
# this is many times what a claim is held for on a busy machine.
CLAIM_WAIT_SECONDS = 30.0
# The history kind of a document that could not be made (registered in apps.py).
DOCUMENT_FAILED = "document_failed"

log = logging.getLogger(__name__)

# The store failing is never a document's fault: these propagate, where a document that cannot
# be made fails alone (DOCUMENT_FAILED in its history).
STORE_ERRORS = (StorageUnavailable, StoredObjectMissing)
SUFFIX = {DocumentFormat.PDF: "pdf", DocumentFormat.UBL: "xml"}
# Objects written and read side by side (the store answers over the network; boto3's clients
# are made per thread by django-storages). One pool per process, made when first needed.
STORE_THREADS = 8
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _store_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="document-store")
        return _pool


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


def storage_key(document: InvoiceDocument) -> str:
    """The document's object key in the S3 store: its company, invoice, format and layout, and
    the SHA-256 of its bytes (`documents/3/1042/pdf-standard-<sha256>.pdf`)."""
    kind = f"{document.format}-{document.template}" if document.template else document.format
    return f"documents/{document.company_id}/{document.invoice_id}/{kind}-{document.sha256}.{SUFFIX[document.format]}"


def _store(documents: Sequence[InvoiceDocument]) -> None:
    """With an S3 store: each document's bytes become an object before its row is saved (the
    caller saves the rows after this returns), and the row keeps the key, not the bytes.
    StorageUnavailable when the store cannot take them: no row is saved then, and the caller
    (the task) fails and is tried again. Without a store the bytes stay in the rows."""
    if not documents or not is_s3():
        return
    for document in documents:
        document.storage_key = storage_key(document)
    list(_store_pool().map(lambda d: object_put(d.storage_key, bytes(d.content)), documents))
    for document in documents:
        document.content = b""


def document_bytes(document: InvoiceDocument) -> bytes:
    """The stored document's bytes: the one way to read them, wherever they are (the object in
    the S3 store its row names, or the row itself: every document stored before the store was
    configured). StorageUnavailable when the store cannot be reached; StoredObjectMissing if
    its object is gone."""
    if document.storage_key:
        return object_get(document.storage_key)
    return bytes(document.content)


def documents_bytes(documents: Sequence[InvoiceDocument]) -> list[bytes]:
    """`document_bytes` of each document, in order; objects in the store are read side by side."""
    keyed = [document for document in documents if document.storage_key]
    # Only the store is read in the pool's threads; rows' bytes are read here (a deferred field
    # would otherwise be loaded on another thread's database connection).
    fetched = dict(zip(map(id, keyed), _store_pool().map(document_bytes, keyed), strict=True)) if keyed else {}
    return [fetched[id(document)] if document.storage_key else bytes(document.content) for document in documents]


def documents_verify(documents: QuerySet[InvoiceDocument], *, chunk_size: int = 500) -> tuple[int, list[int]]:
    """How many of `documents` were read, and the ids of those whose bytes (read through
    `document_bytes`) do not match their SHA-256 or size: the drills' and the month-end
    benchmark's check that what was stored is what is read back."""
    checked = 0
    wrong: list[int] = []
    rows = documents.only("pk", "content", "storage_key", "sha256", "size").order_by("pk")
    chunk: list[InvoiceDocument] = []
    for document in rows.iterator(chunk_size=chunk_size):
        chunk.append(document)
        if len(chunk) == chunk_size:
            checked += _verify(chunk, wrong)
            chunk = []
    checked += _verify(chunk, wrong)
    return checked, wrong


def _verify(chunk: list[InvoiceDocument], wrong: list[int]) -> int:
    for document, data in zip(chunk, documents_bytes(chunk), strict=True):
        if hashlib.sha256(data).hexdigest() != document.sha256 or len(data) != document.size:
            wrong.append(document.pk)
    return len(chunk)


def _template_for(invoice: Invoice, template: str | None) -> str:
    return template or invoice.company.pdf_template


def documents_render(*, invoice_ids: Iterable[int], template: str | None = None, record_failures: bool = True) -> int:
    """Render and store the PDF (in the company's layout, or `template`) and the UBL
    of each issued invoice that lacks them. Returns how many documents were stored.

    One invoice whose document cannot be made (stored text a PDF or UBL cannot carry)
    fails alone: the others are stored, and its history says which document failed
    (unless `record_failures` is off: a caller that reports the failure itself, as the
    delivery worker does for the delivery it fails).

    The invoices are read at once and rendered and stored a Typst batch at a time
    (BATCH_SIZE), each batch looking afresh for what is stored already: documents come out
    as they are made, and those another process stored meanwhile (a delivery worker that
    caught up with this task) are not made twice. Invoices another process is making
    documents for at this moment (claimed: core.claims) are left to it; once it is done
    they are looked at again, and what it did not store (it died) is made here."""
    invoices = _issued_invoices(invoice_ids)
    if not invoices:
        return 0
    failed: dict[int, list[str]] = {}
    prepaid = prepaid_amounts(invoices)
    stored = 0
    pending = invoices
    waiting = True
    while pending:
        # A Typst batch at a time, the invoices no other process is making documents for right
        # now claimed (one statement) until the batch is stored; the others are left to their
        # holder, and looked at again once it is done.
        contended: list[Invoice] = []
        for start in range(0, len(pending), BATCH_SIZE):
            batch = pending[start : start + BATCH_SIZE]
            with claimed(RENDERING, [invoice.pk for invoice in batch], enabled=waiting) as taken:
                ours = [invoice for invoice in batch if invoice.pk in taken]
                if ours:
                    stored += _render_part(ours, template, prepaid, failed)
            contended += [invoice for invoice in batch if invoice.pk not in taken]
        if contended and not claim_wait(RENDERING, contended[0].pk, seconds=CLAIM_WAIT_SECONDS):
            # Its holder is taking long (a machine under load, a very long invoice): made here
            # too rather than waited for; whichever is stored first is kept.
            log.warning(
                "The documents of invoice %s stayed claimed over %s s; made here too",
                contended[0].pk,
                CLAIM_WAIT_SECONDS,
            )
            waiting = False
        pending = contended
    if failed and record_failures:
        history_add_many(
            Entry(invoice_id, DOCUMENT_FAILED, timezone.now(), None, {"formats": formats})
            for invoice_id, formats in failed.items()
        )
    return stored


def _render_part(
    invoices: list[Invoice], template: str | None, prepaid: dict[int, Decimal], failed: dict[int, list[str]]
) -> int:
    existing = set(InvoiceDocument.objects.filter(invoice__in=invoices).values_list("invoice_id", "format", "template"))
    invoices = [
        invoice
        for invoice in invoices
        if (invoice.pk, DocumentFormat.PDF, _template_for(invoice, template)) not in existing
        or (invoice.pk, DocumentFormat.UBL, "") not in existing
    ]
    data: dict[int, DocumentData] = {}
    for invoice in invoices:
        try:
            data[invoice.pk] = document_data(invoice, prepaid_amount=prepaid.get(invoice.pk, Decimal("0.00")))
        except Exception as exc:
            _failure(invoice, DocumentFormat.PDF, exc, failed)
            failed[invoice.pk].append(DocumentFormat.UBL)
    pdf_wanted = [
        invoice
        for invoice in invoices
        if invoice.pk in data and (invoice.pk, DocumentFormat.PDF, _template_for(invoice, template)) not in existing
    ]
    by_template: dict[str, list[Invoice]] = {}
    for invoice in pdf_wanted:
        by_template.setdefault(_template_for(invoice, template), []).append(invoice)
    new: list[InvoiceDocument] = []
    pdfs: dict[int, bytes] = {}
    for name, group in by_template.items():
        for invoice, content in _render_each(group, data, name, failed):
            pdfs[invoice.pk] = content
            new.append(_document(invoice, DocumentFormat.PDF, name, content))
    for invoice in invoices:
        if invoice.pk not in data or (invoice.pk, DocumentFormat.UBL, "") in existing:
            continue
        try:
            attachment = None
            if invoice.company.is_embedding_pdf_in_ubl:
                stored_pdf = pdfs.get(invoice.pk)
                if stored_pdf is None:
                    stored_pdf = document_bytes(document_get(invoice=invoice, fmt=DocumentFormat.PDF))
                attachment = stored_pdf
            new.append(_document(invoice, DocumentFormat.UBL, "", build_ubl(data[invoice.pk], pdf=attachment)))
        except STORE_ERRORS:
            raise  # not the document's fault: the task fails and is tried again
        except Exception as exc:
            _failure(invoice, DocumentFormat.UBL, exc, failed)
    _store(new)  # the objects first (with an S3 store), then the rows that name them
    _save(new)
    return len(new)


# What a stored document's row holds (its id and created_at are the database's and the model's).
ROW = ("company_id", "invoice_id", "customer_id", "format", "template", "content", "storage_key", "sha256", "size")


def _save(documents: list[InvoiceDocument]) -> None:
    """The rows in one COPY (bulk_insert, which also refreshes the table's statistics when the
    batch makes them stale: each batch looks up what is stored first). When another process
    stored one of them meanwhile (a delivery worker rendering what it is about to send), the
    unique constraint refuses the COPY: the batch is saved again skipping those. The COPY
    costs the worker 0.05 ms of CPU a document against 0.085 ms for the ORM's INSERT of a
    batch (whose 2,000 placeholders the driver parses each time), and the database 0.1 ms of
    wall time against 0.15. It is binary: the bytes go as they are, not as hex text, which
    cost 30 to 50 µs of the worker's CPU and 55 µs of the database's a document (PDFs and UBL
    files of the month-end's size)."""
    if not documents:
        return
    try:
        with transaction.atomic():
            bulk_insert(InvoiceDocument, ROW, [tuple(getattr(d, name) for name in ROW) for d in documents], binary=True)
    except IntegrityError:
        InvoiceDocument.objects.bulk_create(documents, batch_size=500, ignore_conflicts=True)


def _render_each(
    group: list[Invoice], data: dict[int, DocumentData], template: str, failed: dict[int, list[str]]
) -> list[tuple[Invoice, bytes]]:
    """The group's PDFs in one rendering; if that fails, each alone, so only the bad ones fail."""
    try:
        return list(zip(group, render_pdfs([data[i.pk] for i in group], template=template), strict=True))
    except STORE_ERRORS:
        raise  # the logo could not be read: not the invoices' fault, tried again
    except Exception as exc:
        if len(group) == 1:
            _failure(group[0], DocumentFormat.PDF, exc, failed)
            return []
    rendered = []
    for invoice in group:
        try:
            rendered.append((invoice, render_pdfs([data[invoice.pk]], template=template)[0]))
        except STORE_ERRORS:
            raise
        except Exception as exc:
            _failure(invoice, DocumentFormat.PDF, exc, failed)
    return rendered


def _failure(invoice: Invoice, fmt: str, exc: Exception, failed: dict[int, list[str]]) -> None:
    # The details for the operator's log; the history says only which document failed.
    log.warning("The %s of invoice %s could not be made: %s: %s", fmt, invoice.pk, type(exc).__name__, exc)
    failed.setdefault(invoice.pk, []).append(fmt)


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
        _store([document])
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
    stored = {
        document.invoice_id: document
        for document in InvoiceDocument.objects.filter(
            invoice__in=invoices, format=DocumentFormat.PDF, template=wanted
        ).only("invoice_id", "content", "storage_key")
    }
    return merge_pdfs(documents_bytes([stored[invoice.pk] for invoice in invoices]))


def reminder_pdfs(*, reminders: Sequence[Reminder], template: str) -> list[bytes]:
    """The reminder letters as PDFs, in order, in the invoice layout `template` (the
    company's `pdf_template`). Nothing is stored here: the caller (collections) keeps the
    letter with its reminder. A `Reminder` that would be a wrong letter cannot be made
    (documents.reminders), so every input here renders; many are laid out in batches as
    invoices are."""
    if not reminders:
        return []
    return render_reminder_pdfs(list(reminders), template=template)
