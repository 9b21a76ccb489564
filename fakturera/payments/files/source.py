"""Opening what a reader reads, and cutting Bankgirot's fixed-width files into records.

A source is a path, bytes, or a binary file object that can seek (an uploaded file). Bankgirot's
files are 80-character records; what real and sample files do to that, and what is read anyway
(../shared/formats/README.md, "BgMax" and "Autogiro"): CRLF or LF line ends, or no line
separators at all (then every 80 bytes is a record); lines shorter than 80 (padded with blanks);
TAB characters inside a record (expanded to the next multiple of 8, which puts the fields of
Bankgirot's own sample back where they belong); blank lines (skipped).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO
from zoneinfo import ZoneInfo

from fakturera.payments.files.types import FileRefused

Source = str | os.PathLike | bytes | BinaryIO

RECORD_LENGTH = 80
STOCKHOLM = ZoneInfo("Europe/Stockholm")  # Bankgirot's timestamps are Swedish time
_ORE = Decimal("0.01")
_PROBE = 4096
_UTF8_REPLACEMENT = "\ufffd".encode()


@contextlib.contextmanager
def open_source(source: Source) -> Iterator[BinaryIO]:
    """A binary file positioned at its start. Paths are opened (and closed again); file objects are
    rewound and left open."""
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(source))
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as fileobj:
            yield fileobj
    else:
        source.seek(0)
        yield source


def head(fileobj: BinaryIO, size: int = _PROBE) -> bytes:
    """The first `size` bytes; the file is rewound afterwards."""
    fileobj.seek(0)
    data = fileobj.read(size)
    fileobj.seek(0)
    return data


def _raw_lines(fileobj: BinaryIO) -> Iterator[bytes]:
    probe = head(fileobj)
    if b"\n" not in probe and b"\r" not in probe and len(probe) > RECORD_LENGTH:
        # No line separators at all: a record every 80 bytes.
        while chunk := fileobj.read(RECORD_LENGTH):
            yield chunk
        return
    for raw in fileobj:
        yield raw.rstrip(b"\r\n")


def fixed_records(fileobj: BinaryIO, *, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, record) for every non-blank line: decoded, TABs expanded, padded to 80.

    A line that is UTF-8 where ISO-8859-1 is promised (UTF-8 replacement characters, or a valid
    UTF-8 sequence for å, ä, ö) is refused: its names and texts would be read wrong."""
    for number, raw in enumerate(_raw_lines(fileobj), start=1):
        if not raw.isascii():
            _check_not_utf8(raw, number)
        text = raw.decode(encoding)
        if "\t" in text:
            text = text.expandtabs(8)
        text = text.rstrip("\r\n\x1a")
        if not text.strip():
            continue
        if len(text) > RECORD_LENGTH:
            if text[RECORD_LENGTH:].strip():
                raise FileRefused(
                    "malformed",
                    f"The record is {len(text.rstrip())} characters long; Bankgirot's records have 80",
                    line=number,
                    length=len(text.rstrip()),
                )
            text = text[:RECORD_LENGTH]
        yield number, text.ljust(RECORD_LENGTH)


def _check_not_utf8(raw: bytes, number: int) -> None:
    if _UTF8_REPLACEMENT in raw:
        raise FileRefused(
            "encoding",
            "The record holds UTF-8 replacement characters (�) where ISO-8859-1 letters belong: "
            "the file was converted and its names are lost",
            line=number,
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    raise FileRefused(
        "encoding", "The record is UTF-8 text; Bankgirot's files are ISO-8859-1", line=number, encoding="utf-8"
    )


# --- fields of a fixed-width record, positions 1-based and inclusive as in Bankgirot's manuals ---


def field(record: str, start: int, end: int) -> str:
    return record[start - 1 : end]


def number_field(record: str, start: int, end: int, line: int, name: str) -> int:
    text = field(record, start, end)
    stripped = text.strip()
    if not stripped.isdigit() or not stripped.isascii():
        raise FileRefused(
            "invalid_value",
            f"{name} (positions {start}-{end}) is not a number: {text!r}",
            line=line,
            field=name,
            value=text,
        )
    return int(stripped)


def amount_field(record: str, start: int, end: int, line: int, name: str = "amount") -> Decimal:
    return (Decimal(number_field(record, start, end, line, name)) * _ORE).quantize(_ORE)


def date_field(record: str, start: int, line: int, name: str) -> dt.date:
    text = field(record, start, start + 7)
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise FileRefused(
            "invalid_value", f"{name} is not a date YYYYMMDD: {text!r}", line=line, field=name, value=text
        ) from None
