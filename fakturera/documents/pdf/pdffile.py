"""Cutting Typst's PDFs into one file per invoice, and joining files for printing.

Typst writes plain PDF 1.7: numbered objects, a classic cross-reference table, no
object streams, no encryption. That lets a file be cut by copying objects as
bytes: a page and everything it references (content stream, resources, fonts,
images) go into a new file with a new catalog, page tree and info dictionary,
objects renumbered in the order they are reached, so the result does not depend
on where the invoice sat in the batch. Streams are copied compressed as they are.
This is about ten times faster than pypdf's object model, and the batch renderer
cuts every PDF it makes; a file this module cannot read raises `PdfStructureError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

HEADER = b"%PDF-1.7\n%\x80\x80\x80\x80\n"
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_OBJECT_HEAD = re.compile(rb"\s*(\d+) 0 obj\s*")
# An indirect reference, not the tail of a name or a number ("/f0 ..." or "1.0 ...").
_REFERENCE = re.compile(rb"(?<![\w.])(\d+) 0 R\b")
_PARENT = re.compile(rb"/Parent (\d+) 0 R")
_KIDS = re.compile(rb"/Kids\[([^\]]*)\]")
_ROOT = re.compile(rb"/Root (\d+) 0 R")
_PAGES = re.compile(rb"/Pages (\d+) 0 R")
_PAGE_LABELS = re.compile(rb"/PageLabels (\d+) 0 R")
_NUMS = re.compile(rb"/Nums\[([^\]]*)\]")
_PREFIX = re.compile(rb"/P\(([^)]*)\)")
_TYPE_PAGE = re.compile(rb"/Type/Page(?![s\w])")


class PdfStructureError(ValueError):
    """The PDF is not laid out the way Typst writes it."""


@dataclass(frozen=True)
class _Object:
    pieces: tuple[bytes, ...]  # the dictionary cut around its references
    references: tuple[int, ...]  # pieces[0] ref[0] pieces[1] ... ref[-1] pieces[-1]
    stream: bytes  # b"\nstream\n...endstream" or b""
    is_page: bool  # a page, its /Parent left out


@dataclass(frozen=True)
class PdfObjects:
    """A parsed file: each object's bytes (without "N 0 obj"/"endobj") and the pages in order."""

    objects: dict[int, bytes]
    pages: tuple[int, ...]
    root: int
    _cut: dict[int, _Object] = field(default_factory=dict, compare=False, repr=False)

    def head(self, number: int) -> bytes:
        """An object's dictionary (for a stream, the part before the data)."""
        body = self.objects[number]
        end = body.find(b"\nstream\n")
        return body if end < 0 else body[:end]

    def cut(self, number: int) -> _Object:
        # Cut once per batch: the fonts every invoice of a batch shares are long.
        if number not in self._cut:
            body = self.objects[number]
            end = body.find(b"\nstream\n")
            head, stream = (body, b"") if end < 0 else (body[:end], body[end:])
            is_page = _TYPE_PAGE.search(head) is not None
            if is_page:
                head = _PARENT.sub(b"", head)
            parts = _REFERENCE.split(head)
            self._cut[number] = _Object(
                pieces=tuple(parts[0::2]),
                references=tuple(int(ref) for ref in parts[1::2]),
                stream=stream,
                is_page=is_page,
            )
        return self._cut[number]


def read(pdf: bytes) -> PdfObjects:
    found = _STARTXREF.search(pdf, len(pdf) - 64)
    if found is None:
        raise PdfStructureError("no startxref")
    xref_at = int(found.group(1))
    trailer_at = pdf.find(b"trailer", xref_at)
    if not pdf.startswith(b"xref", xref_at) or trailer_at < 0:
        raise PdfStructureError("no classic cross-reference table")
    section = pdf[xref_at:trailer_at]
    first_line = section.split(b"\n", 2)[1].split()
    first_number = int(first_line[0])
    offsets: dict[int, int] = {}
    for index, (offset, _generation, kind) in enumerate(_XREF_ENTRY.findall(section)):
        if kind == b"n":
            offsets[first_number + index] = int(offset)
    ordered = sorted(offsets.items(), key=lambda item: item[1])
    objects: dict[int, bytes] = {}
    for position, (number, start) in enumerate(ordered):
        end = ordered[position + 1][1] if position + 1 < len(ordered) else xref_at
        chunk = pdf[start:end]
        head = _OBJECT_HEAD.match(chunk)
        tail = chunk.rfind(b"endobj")
        if head is None or int(head.group(1)) != number or tail < 0:
            raise PdfStructureError(f"object {number} is not where the table says")
        objects[number] = chunk[head.end() : tail].rstrip(b"\r\n")
    root_match = _ROOT.search(pdf, trailer_at)
    if root_match is None:
        raise PdfStructureError("no /Root")
    root = int(root_match.group(1))
    parsed = PdfObjects(objects, (), root)
    pages_match = _PAGES.search(parsed.head(root))
    if pages_match is None:
        raise PdfStructureError("no page tree")
    return PdfObjects(objects, tuple(_page_list(parsed, int(pages_match.group(1)))), root)


def _page_list(parsed: PdfObjects, node: int) -> list[int]:
    head = parsed.head(node)
    kids = _KIDS.search(head)
    if kids is None:
        return [node]
    pages: list[int] = []
    for kid in _REFERENCE.findall(kids.group(1)):
        pages += _page_list(parsed, int(kid))
    return pages


def page_label_prefixes(parsed: PdfObjects) -> list[bytes]:
    """Each page's label prefix (the batch template alternates it between invoices)."""
    labels = _PAGE_LABELS.search(parsed.head(parsed.root))
    if labels is None:
        raise PdfStructureError("no page labels")
    nums = _NUMS.search(parsed.head(int(labels.group(1))))
    if nums is None:
        raise PdfStructureError("no /Nums in the page labels")
    items = nums.group(1).split()
    # "<page index> <n> 0 R" triples: Typst writes one range per page.
    starts: list[tuple[int, bytes]] = []
    for at in range(0, len(items), 4):
        index, number = int(items[at]), int(items[at + 1])
        prefix = _PREFIX.search(parsed.head(number))
        starts.append((index, prefix.group(1) if prefix else b""))
    result: list[bytes] = []
    for position, (index, prefix) in enumerate(starts):
        until = starts[position + 1][0] if position + 1 < len(starts) else len(parsed.pages)
        result += [prefix] * (until - index)
    if len(result) != len(parsed.pages):
        raise PdfStructureError("page labels do not cover the pages")
    return result


@dataclass(frozen=True)
class Info:
    """The document information dictionary; empty fields are left out."""

    title: str = ""
    author: str = ""
    language: str = ""
    created_on: dt.date | None = None
    producer: str = "Fakturera"


def _text(value: str) -> bytes:
    # A PDF text string as UTF-16BE with its byte-order mark, written as hex.
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def write(parts: Sequence[tuple[PdfObjects, Sequence[int]]], info: Info) -> bytes:
    """A new file holding the given pages of the given files, in order.

    Objects are numbered 1 catalog, 2 page tree, 3 info, then in the order the
    pages reach them; pages outside the selection are never followed."""
    numbering: list[dict[int, int]] = []
    order: list[tuple[int, int]] = []  # (part, old number) in new-number order
    next_number = 4
    for part_index, (parsed, pages) in enumerate(parts):
        mapping: dict[int, int] = {}
        chosen = set(pages)
        stack = list(reversed(pages))
        while stack:
            number = stack.pop()
            if number in mapping:
                continue
            cut = parsed.cut(number)
            if cut.is_page and number not in chosen:
                raise PdfStructureError(f"page object {number} is referenced from another page")
            mapping[number] = next_number
            order.append((part_index, number))
            next_number += 1
            stack += [ref for ref in reversed(cut.references) if ref not in mapping]
        numbering.append(mapping)

    kids = b" ".join(b"%d 0 R" % numbering[i][page] for i, (_parsed, pages) in enumerate(parts) for page in pages)
    page_count = sum(len(pages) for _parsed, pages in parts)
    catalog = b"<</Type/Catalog/Pages 2 0 R"
    if info.language:
        catalog += b"/Lang(" + info.language.encode("ascii", "replace") + b")"
    details = b"".join(
        b"/" + key + _text(value)
        for key, value in ((b"Title", info.title), (b"Author", info.author), (b"Producer", info.producer))
        if value
    )
    if info.created_on:
        date = info.created_on.strftime("D:%Y%m%d000000Z").encode()
        details += b"/CreationDate(" + date + b")/ModDate(" + date + b")"
    fixed = [
        catalog + b">>",
        b"<</Type/Pages/Count %d/Kids[" % page_count + kids + b"]>>",
        b"<<" + details + b">>",
    ]
    out = bytearray(HEADER)
    offsets = []
    for number, body in enumerate(fixed, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    for part_index, old in order:
        cut, mapping = parts[part_index][0].cut(old), numbering[part_index]
        offsets.append(len(out))
        out += b"%d 0 obj\n" % mapping[old]
        out += b"<</Parent 2 0 R" + cut.pieces[0][2:] if cut.is_page else cut.pieces[0]
        for reference, piece in zip(cut.references, cut.pieces[1:], strict=True):
            out += b"%d 0 R" % mapping[reference]
            out += piece
        out += cut.stream + b"\nendobj\n"
    xref_at = len(out)
    # The file's identifier is a hash of its content, so the same pages give the same bytes.
    identifier = hashlib.md5(out, usedforsecurity=False).hexdigest().upper().encode()
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n\r\n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R/Info 3 0 R/ID[<%s><%s>]>>\n" % (len(offsets) + 1, identifier, identifier)
    out += b"startxref\n%d\n%%%%EOF" % xref_at
    return bytes(out)
