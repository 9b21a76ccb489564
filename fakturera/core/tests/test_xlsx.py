"""The minimal XLSX writer: a valid package whose sheet holds the cells as written."""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from fakturera.core.xlsx import _column, xlsx_bytes

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def test_columns_are_named_as_spreadsheets_name_them():
    assert [_column(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=5))
def test_any_text_round_trips_without_what_xml_cannot_carry(values):
    body = xlsx_bytes(sheet="Basis", header=["h"] * len(values), rows=[values])
    sheet = etree.fromstring(zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml"))
    cells = sheet.findall(f".//{MAIN}row")[1].findall(f"{MAIN}c")
    carried = [re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", value) for value in values]
    written = [value for value in carried if value]
    assert [cell.findtext(f"{MAIN}is/{MAIN}t") for cell in cells] == written


def test_numbers_stay_numbers_and_the_package_is_complete():
    body = xlsx_bytes(sheet="Underlag", header=["Pris", "Datum"], rows=[[Decimal("8900.00"), dt.date(2026, 12, 7)]])
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert set(archive.namelist()) == {
        "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    }  # fmt: skip
    for name in archive.namelist():
        etree.fromstring(archive.read(name))  # well-formed XML
    sheet = etree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    price, day = sheet.findall(f".//{MAIN}row")[1].findall(f"{MAIN}c")
    assert (price.get("r"), price.get("t"), price.findtext(f"{MAIN}v")) == ("A2", None, "8900.00")
    assert day.findtext(f"{MAIN}is/{MAIN}t") == "2026-12-07"
