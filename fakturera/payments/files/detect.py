"""Which format a file is, from its content (never its name).

camt.053 / camt.054: XML whose root namespace is urn:iso:std:iso:20022:tech:xsd:camt.05[34].001.NN;
BgMax: the opening record `01BGMAX`; Autogiro reports: their opening record (new layout
`01AUTOGIRO` + label in 45-64, old layout `01`+date+`AUTOGIRO9900`). Only the first 4 KB are read.
"""

from __future__ import annotations

import re

from fakturera.payments.files.autogiro import read_opening
from fakturera.payments.files.camt import NAMESPACE
from fakturera.payments.files.source import RECORD_LENGTH
from fakturera.payments.files.types import FileFormat, FileRefused

_XML_START = re.compile(rb"^\s*<")
_ROOT = re.compile(rb"<(?:\w+:)?Document\b([^>]*)>", re.DOTALL)
_XMLNS = re.compile(rb"xmlns(?::\w+)?\s*=\s*[\"']([^\"']+)[\"']")
_CAMT = {"camt.053": FileFormat.CAMT_053, "camt.054": FileFormat.CAMT_054}
_BOM = b"\xef\xbb\xbf"


def detect_format(head: bytes) -> FileFormat:
    """The format of a file from its first bytes; FileRefused (`empty`, `unknown_format`,
    `unsupported`) when it is none this package reads."""
    data = head.removeprefix(_BOM)
    if not data.strip():
        raise FileRefused("empty", "The file is empty")
    if _XML_START.match(data):
        root = _ROOT.search(data)
        namespaces = [m.decode("ascii", "replace") for m in _XMLNS.findall(root.group(1))] if root else []
        for namespace in namespaces:
            match = NAMESPACE.fullmatch(namespace)
            if match:
                return _CAMT[match.group(1)]
        found = next((n for n in namespaces if "camt" in n or "20022" in n), None)
        if found:
            raise FileRefused(
                "unsupported", f"An ISO 20022 message this reader does not read ({found})", namespace=found
            )
        raise FileRefused("unknown_format", "An XML file, but no camt.053 or camt.054 message")
    for number, raw in enumerate(_first_records(data), start=1):
        record = raw.decode("iso-8859-1").expandtabs(8).ljust(RECORD_LENGTH)
        if not record[:2].isdigit():
            continue  # a title line in Bankgirot's example files
        if record.startswith("01BGMAX"):
            return FileFormat.BGMAX
        if record.startswith("01"):
            return read_opening(record, number)[0]
        break
    raise FileRefused(
        "unknown_format", "Not a file this system reads: neither camt.053/054, BgMax nor an Autogiro report"
    )


def _first_records(data: bytes) -> list[bytes]:
    if b"\n" not in data and b"\r" not in data:
        return [data[i : i + RECORD_LENGTH] for i in range(0, min(len(data), 5 * RECORD_LENGTH), RECORD_LENGTH)]
    return [line.rstrip(b"\r") for line in data.split(b"\n")[:10] if line.strip()]
