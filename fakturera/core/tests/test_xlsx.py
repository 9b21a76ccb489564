"""The spreadsheet writer, read back with openpyxl: numbers are numbers, dates are dates, text is
text (never a formula), and many rows stream with flat memory."""

import datetime as dt
import io
import tracemalloc
import zoneinfo
from decimal import Decimal

from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from fakturera.core.xlsx import NOT_XML, sheet_title, xlsx_bytes, xlsx_chunks


def read(body: bytes):
    return load_workbook(io.BytesIO(body))


def test_numbers_are_numbers_dates_are_dates_and_none_is_empty():
    body = xlsx_bytes(
        sheet="Underlag",
        header=["Pris", "Antal", "Datum", "Tid", "Text", "Tom", "Tomt"],
        rows=[[Decimal("8900.50"), 3, dt.date(2026, 12, 7), dt.datetime(2026, 12, 7, 9, 30), "P-100", None, ""]],
    )
    book = read(body)
    assert book.sheetnames == ["Underlag"]
    header, row = book["Underlag"].iter_rows()
    assert [cell.value for cell in header] == ["Pris", "Antal", "Datum", "Tid", "Text", "Tom", "Tomt"]
    price, count, day, moment, text, *empty = row
    assert (price.data_type, price.value) == ("n", 8900.5)
    assert (count.data_type, count.value) == ("n", 3)
    assert day.is_date
    assert (day.value, day.number_format) == (dt.datetime(2026, 12, 7), "yyyy-mm-dd")
    assert moment.is_date
    assert moment.value == dt.datetime(2026, 12, 7, 9, 30)
    assert (text.data_type, text.value) == ("s", "P-100")
    assert [cell.value for cell in empty] == [None, None]


def test_the_header_rows_are_bold_and_the_rest_is_not():
    body = xlsx_bytes(sheet="S", header=[["Kund", "Belopp"], ["customer", "amount"]], rows=[["Anna", 1]])
    rows = list(read(body)["S"].iter_rows())
    assert [[cell.value for cell in row] for row in rows] == [["Kund", "Belopp"], ["customer", "amount"], ["Anna", 1]]
    assert [[cell.font.b for cell in row] for row in rows] == [[True, True], [True, True], [False, False]]


def test_an_aware_datetime_is_written_in_the_current_time_zone():
    moment = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Europe/Stockholm")):
        body = xlsx_bytes(sheet="S", header=["t"], rows=[[moment]])
    assert read(body)["S"]["A2"].value == dt.datetime(2026, 7, 1, 12, 0)


def test_text_that_looks_like_a_formula_stays_text():
    body = xlsx_bytes(sheet="S", header=["=HEADER()"], rows=[["=cmd|' /C calc'!A0", "=1+1"]])
    sheet = read(body)["S"]
    assert [(cell.data_type, cell.value) for cell in sheet["A"]] == [("s", "=HEADER()"), ("s", "=cmd|' /C calc'!A0")]
    assert (sheet["B2"].data_type, sheet["B2"].value) == ("s", "=1+1")


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_any_text_round_trips_without_what_xml_cannot_carry(values):
    """Control characters but tab, LF and CR, U+FFFE, U+FFFF and unpaired surrogates cannot be
    written in XML 1.0: they are left out, and a text of nothing else is an empty cell."""
    body = xlsx_bytes(sheet="Basis", header=["h"] * len(values), rows=[values])
    cells = list(read(body)["Basis"].iter_rows(min_row=2, max_col=len(values), values_only=True))
    carried = [NOT_XML.sub("", value) or None for value in values]
    assert list(cells[0] if cells else [None] * len(values)) == carried


def test_a_carriage_return_and_what_xml_cannot_carry():
    body = xlsx_bytes(sheet="S", header=["h"], rows=[["a\r\nb\tc"], ["x\x00y\x1b\ufffez"], ["\x07"], ["\ud800"]])
    column = read(body)["S"].iter_rows(max_row=5, max_col=1, values_only=True)
    assert [value for (value,) in column] == ["h", "a\r\nb\tc", "xyz", None, None]


def test_sheet_names_are_cut_to_31_characters_and_made_valid():
    assert sheet_title("Kundfordringar per förfallodag och kund") == "Kundfordringar per förfallodag "[:31].strip()
    assert len(sheet_title("x" * 40)) == 31
    assert sheet_title("2026/12: [Q4] a*b?c\\d") == "2026 12   Q4  a b c d"
    assert sheet_title("'citat'") == "citat"
    assert sheet_title("") == sheet_title("/") == sheet_title("\x00") == "Sheet1"
    body = xlsx_bytes(sheet="Åldersanalys 2026/12 [SEK] per kund och valuta", header=["h"], rows=[])
    assert read(body).sheetnames == ["Åldersanalys 2026 12  SEK  per"]


def test_the_chunks_make_the_same_workbook():
    rows = [[f"rad {n}", Decimal(n), dt.date(2026, 1, 1) + dt.timedelta(days=n)] for n in range(2_000)]
    chunks = list(xlsx_chunks(sheet="Journal", header=["text", "belopp", "datum"], rows=rows, chunk_bytes=4096))
    assert len(chunks) > 1
    assert all(len(chunk) == 4096 for chunk in chunks[:-1])
    sheet = read(b"".join(chunks))["Journal"]
    assert sheet.max_row == 2_001
    assert [cell.value for cell in sheet[2_001]] == ["rad 1999", 1999, dt.datetime(2031, 6, 23)]


def _peak_bytes(count: int) -> int:
    def rows():
        for n in range(count):
            yield [n, f"Verifikation {n}: kundfaktura", Decimal(n) / 100, dt.date(2026, 1, 1), None]

    tracemalloc.start()
    try:
        chunks = xlsx_chunks(sheet="Journal", header=["nr", "text", "belopp", "datum", "tom"], rows=rows())
        _current, peak = tracemalloc.get_traced_memory()
        for _chunk in chunks:
            pass
    finally:
        tracemalloc.stop()
    return peak


def test_many_rows_stream_with_flat_memory():
    few, many = _peak_bytes(1_000), _peak_bytes(10_000)
    assert many < few * 1.25, (few, many)
