"""Invoice PDFs with Typst: `render_pdfs` (one file per invoice) and `merge_pdfs`
(one file for the company's own printer); reminder letters the same way
(`render_reminder_pdfs`, templates/reminder.typ over the invoice's common.typ).

What makes it fast (issue 3 asks for 100 PDFs a second per process; measured in
bench/pdf.py):
- One `typst.Compiler` per template and process, made from the template's file
  path (one made from bytes fails on its second compile) with the bundled fonts
  only, so fonts are read once and output is the same on every machine.
- Many invoices are laid out in one compile (a batch) and the PDF is cut into one
  file per invoice by copying objects (pdffile.py): alone, an invoice takes
  about 20 ms; in a batch, 3 to 4 ms, and Typst lays out page runs in parallel.
- No introspection in the common case: "Page 1 of 3" needs it, and it makes Typst
  lay the whole batch out again, three times slower. So the first pass prints no
  page numbers; invoices that turn out longer than a page are laid out again in a
  second pass, knowing their page count. The footer sits in the bottom margin,
  so the second pass breaks pages exactly where the first did.

The same documents give the same bytes: Typst's output is deterministic for one
input, and the cut files carry the invoice date as their date and a hash of
their content as their identifier. A cut file holds the font subset of its whole
batch, so the same invoice rendered in another batch reads the same but differs
in bytes; documents are stored once, so a download never sees that. Batches hold
one seller's invoices, so no file carries another company's glyphs or logo.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import typst
from django.conf import settings

from fakturera.core.storage import file_bytes
from fakturera.documents.data import DocumentData, Party
from fakturera.documents.pdf import pdffile
from fakturera.documents.pdf.content import document_content
from fakturera.documents.pdf.reminder_content import reminder_content
from fakturera.documents.reminders import Reminder

PDF_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PDF_DIR / "templates"
FONTS_DIR = PDF_DIR / "fonts"
COMMON = "common"
# The reminder letter's entry file; it is laid out in an invoice layout, and is not one.
REMINDER = "reminder"
# Invoices per compile. Measured on sample invoices: 50 a second one at a time,
# 170 in tens, 260 in fifties, 300 in hundreds, flat beyond; the bench's 1,000
# invoices ran about 20 % faster at 100 than at 50. Typst's memo cache keeps
# what the last few compiles made, so a rendering process's memory grows with
# the batch and then stays flat (about 260 MB at 25, 390 MB at 50, 660 MB at 100).
BATCH_SIZE = 100
# Page label prefixes, alternating between neighbouring invoices of a batch.
PREFIXES = ("x", "y")

_compilers: dict[str, tuple[typst.Compiler, threading.Lock]] = {}
_compilers_lock = threading.Lock()


def template_names() -> list[str]:
    """The invoice layouts (parties.PdfTemplate)."""
    return sorted(path.stem for path in TEMPLATES_DIR.glob("*.typ") if path.stem not in (COMMON, REMINDER))


def _limit_layout_threads() -> None:
    """Typst lays out in a thread pool (rayon's), made at its first use with a thread per core
    unless RAYON_NUM_THREADS says otherwise. The workers are processes, several a machine: in
    each, one thread does the same work for about 13 % less CPU (measured on the month-end's
    invoices; no thread waits for another's part) and the same bytes. PDF_LAYOUT_THREADS (0:
    a thread per core) is set before the first compiler is made; an operator's own
    RAYON_NUM_THREADS is left as it is."""
    threads = getattr(settings, "PDF_LAYOUT_THREADS", 1)
    if threads > 0:
        os.environ.setdefault("RAYON_NUM_THREADS", str(threads))


def _compiler(template: str) -> tuple[typst.Compiler, threading.Lock]:
    with _compilers_lock:
        if template not in _compilers:
            if template not in [*template_names(), REMINDER]:
                raise ValueError(f"Unknown PDF template {template!r}; the templates are {template_names()}")
            _limit_layout_threads()
            # Root: the templates' folder. The compiler reads no other file: the logo's
            # bytes come with the data (`_compile`), and invoice text is data.
            compiler = typst.Compiler(
                str(TEMPLATES_DIR / f"{template}.typ"),
                root=str(TEMPLATES_DIR),
                font_paths=[str(FONTS_DIR)],
                ignore_system_fonts=True,
            )
            _compilers[template] = (compiler, threading.Lock())
        return _compilers[template]


def _compile(template: str, contents: list[dict[str, Any]], logo: bytes | None = None) -> bytes:
    compiler, lock = _compiler(template)
    data = json.dumps(
        {
            "title": contents[0]["pdf-title"],
            "date": contents[0]["date"],
            # The seller's logo as a list of byte values (sys.inputs are text; Typst's
            # `bytes(array)` makes the image's bytes again), once for the whole batch.
            "logo": list(logo) if logo else None,
            "documents": contents,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # A Compiler is one Typst world: one compile at a time.
    with lock:
        return compiler.compile(sys_inputs={"data": data}, pdf_tags=False)


def _render_batch(
    template: str, contents: list[dict[str, Any]], pages: Sequence[int], logo: bytes | None = None
) -> list[tuple[pdffile.PdfObjects, tuple[int, ...]]]:
    """Lay out a batch in one compile: per invoice, the parsed file and its pages."""
    batch = [
        {**content, "index": index, "prefix": PREFIXES[index % 2], "pages": count}
        for index, (content, count) in enumerate(zip(contents, pages, strict=True))
    ]
    parsed = pdffile.read(_compile(template, batch, logo))
    prefixes = pdffile.page_label_prefixes(parsed)
    runs: list[list[int]] = []
    previous = None
    for page, prefix in zip(parsed.pages, prefixes, strict=True):
        if prefix != previous:
            runs.append([])
            previous = prefix
        runs[-1].append(page)
    if len(runs) != len(contents):
        raise pdffile.PdfStructureError(f"{len(runs)} page runs for {len(contents)} invoices")
    return [(parsed, tuple(run)) for run in runs]


def _info(content: dict[str, Any]) -> pdffile.Info:
    return pdffile.Info(
        title=content["pdf-title"],
        author=content["seller"]["name"],
        language=content["lang"],
        created_on=dt.date(*content["date"]),
    )


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def render_pdfs(documents: list[DocumentData], *, template: str) -> list[bytes]:
    """One PDF per document, in order."""
    _compiler(template)  # an unknown template fails before any work
    contents = [document_content(document) for document in documents]
    return _render_all(template, contents, [_seller_key(document.seller) for document in documents])


def render_reminder_pdfs(reminders: list[Reminder], *, template: str) -> list[bytes]:
    """One PDF per reminder letter, in order, laid out in the invoice layout `template`
    (the letterhead and window envelope placement of the company's invoices)."""
    if template not in template_names():
        raise ValueError(f"Unknown PDF template {template!r}; the templates are {template_names()}")
    contents = [reminder_content(reminder, layout=template) for reminder in reminders]
    return _render_all(REMINDER, contents, [_seller_key(reminder.seller) for reminder in reminders])


def _seller_key(seller: Party) -> tuple[str, str, str]:
    return (seller.name, seller.org_number, seller.logo)


def _render_all(template: str, contents: list[dict[str, Any]], sellers: list[tuple[str, str, str]]) -> list[bytes]:
    """Batches of one seller's documents (no file carries another company's glyphs or logo);
    a second pass, with page numbers, for those longer than a page."""
    results: list[bytes | None] = [None] * len(contents)
    by_seller: dict[tuple[str, str, str], list[int]] = {}
    for index, seller in enumerate(sellers):
        by_seller.setdefault(seller, []).append(index)
    for (_name, _org_number, logo_name), indices in by_seller.items():
        logo = _logo(logo_name)
        long: dict[int, int] = {}
        for chunk in _chunks(indices, BATCH_SIZE):
            batch = _render_batch(template, [contents[i] for i in chunk], [1] * len(chunk), logo)
            for index, (parsed, pages) in zip(chunk, batch, strict=True):
                if len(pages) == 1:
                    results[index] = pdffile.write([(parsed, pages)], _info(contents[index]))
                else:
                    long[index] = len(pages)
        for chunk in _chunks(list(long), BATCH_SIZE):
            batch = _render_batch(template, [contents[i] for i in chunk], [long[i] for i in chunk], logo)
            for index, (parsed, pages) in zip(chunk, batch, strict=True):
                if len(pages) != long[index]:
                    raise pdffile.PdfStructureError("page numbers moved a page break")
                results[index] = pdffile.write([(parsed, pages)], _info(contents[index]))
    return [result for result in results if result is not None]


def _logo(name: str) -> bytes | None:
    """The seller's logo from the file storage (core.storage: the database or the S3 store), or
    None when it has none or the file went missing: the invoice still renders, with the
    company's name in its place. A store that cannot be reached raises (StorageUnavailable):
    a PDF stored without its logo would stay so, so the rendering fails and is tried again."""
    return file_bytes(name)


def merge_pdfs(pdfs: list[bytes]) -> bytes:
    """All pages of the given PDFs in one file, in order (a print run)."""
    if not pdfs:
        raise ValueError("Nothing to merge")
    try:
        parts = [pdffile.read(pdf) for pdf in pdfs]
        return pdffile.write([(parsed, parsed.pages) for parsed in parts], pdffile.Info(title="", author=""))
    except pdffile.PdfStructureError:
        return _merge_with_pypdf(pdfs)


def _merge_with_pypdf(pdfs: list[bytes]) -> bytes:
    # Files this renderer did not write (never the case for stored documents).
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
