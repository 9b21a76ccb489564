"""Spreadsheets (XLSX) for people: the one place that writes them, on openpyxl's write-only mode
(rows go to a temporary file as they come, so memory stays flat however many there are).

One sheet, bold header rows, then the rows. Cell values:

- Decimal, int and float are numbers (sums work in the spreadsheet); a bool stays a boolean;
- dates and datetimes are real dates (an aware datetime in the current time zone, as Excel
  knows no time zones), shown as `yyyy-mm-dd` (`yyyy-mm-dd hh:mm:ss`);
- None and "" are empty cells;
- anything else is text, and always text: a value that starts with `=` is never a formula.
  XML 1.0 cannot carry most control characters, U+FFFE, U+FFFF or unpaired surrogates; they are
  left out (tab, line feed and carriage return stay). Excel holds at most 32,767 characters in a
  cell; openpyxl cuts longer text there.

`xlsx_bytes` returns a small file whole; `xlsx_chunks` writes the file to a temporary file before
it returns (so nothing is sent when writing fails) and then yields it in chunks, for a streamed
response.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_BYTES = 256 * 1024
MAX_SHEET_TITLE = 31

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel refuses these in a sheet's name, and a name that begins or ends with an apostrophe.
_NOT_IN_TITLE = re.compile(r"[\\/*?:\[\]]")

Row = Sequence[Any]


def sheet_title(name: Any) -> str:
    """A valid sheet name: what Excel refuses replaced by a space, at most 31 characters."""
    title = _NOT_IN_TITLE.sub(" ", NOT_XML.sub("", str(name)))
    title = title[:MAX_SHEET_TITLE].strip().strip("'").strip()
    return title or "Sheet1"


def _value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.time)):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.make_naive(value)
        return value
    return NOT_XML.sub("", str(value)) or None


def _header_rows(header: Row | Sequence[Row]) -> list[Row]:
    if not header:
        return []
    if all(isinstance(row, (list, tuple)) for row in header):
        return list(header)
    return [header]


def write_xlsx(target: IO[bytes], *, sheet: str, header: Row | Sequence[Row], rows: Iterable[Row]) -> None:
    """Writes the workbook to `target`. `header` is one row, or a list of rows (all bold)."""
    # Imported when a spreadsheet is written, not at start-up.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet_title(sheet))
    bold = Font(bold=True)

    def cell(value: Any, font: Font | None = None) -> WriteOnlyCell:
        value = _value(value)
        written = WriteOnlyCell(worksheet, value)
        if isinstance(value, str):
            written.data_type = "s"  # text, even when it starts with "=" (openpyxl would make it a formula)
        if font is not None:
            written.font = font
        return written

    for row in _header_rows(header):
        worksheet.append([cell(value, bold) for value in row])
    for row in rows:
        worksheet.append([cell(value) for value in row])
    book.save(target)


def xlsx_bytes(*, sheet: str, header: Row | Sequence[Row], rows: Iterable[Row]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheet=sheet, header=header, rows=rows)
    return buffer.getvalue()


def xlsx_chunks(
    *, sheet: str, header: Row | Sequence[Row], rows: Iterable[Row], chunk_bytes: int = CHUNK_BYTES
) -> Iterator[bytes]:
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the last chunk has gone
    try:
        write_xlsx(spool, sheet=sheet, header=header, rows=rows)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(chunk_bytes):
                yield chunk

    return chunks()
