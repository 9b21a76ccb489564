"""The payment-order writer against Bankgirot's own example files: every opening and TK82
record of the samples is read field by field at the manual's positions, written again with
our writer, and must come out byte for byte the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from fakturera.autogiro.files import (
    ENCODING,
    RECORD_LENGTH,
    Collection,
    collection_record,
    opening_record,
    payment_order_file_content,
)
from fakturera.conftest import shared_path

SAMPLES = shared_path("formats", "autogiro")
PAYMENT_ORDERS = SAMPLES / "new_layout" / "autogiro_exempelfil-betalningsunderlag_sv.txt"
OLD_LAYOUT = (
    SAMPLES / "old_layout" / "autogiro_gl_betalningsunderlag_till-bankgirot-medgivanden-kontonummer_exempelfil_sv.txt"
)
SEAL_BASIC = SAMPLES / "seal" / "basic.txt"


def records(path: Path) -> list[str]:
    """The records of a sample: title and blank lines dropped, cut trailing blanks restored to 80."""
    if not path.is_file():
        pytest.fail(f"Bankgirot's sample is missing at {path.resolve()} (the shared material beside the repository)")
    lines = path.read_bytes().decode(ENCODING).splitlines()
    return [line.rstrip().ljust(RECORD_LENGTH) for line in lines if line[:2].isdigit()]


def ymd(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def field(record: str, start: int, end: int) -> str:
    """Positions 1-based and inclusive, as in Bankgirot's manual."""
    return record[start - 1 : end]


def parse_opening(record: str) -> dict:
    assert field(record, 1, 2) == "01"
    assert field(record, 11, 18) == "AUTOGIRO"
    assert field(record, 19, 62).strip() == ""
    assert field(record, 79, 80).strip() == ""
    return {
        "written_on": ymd(field(record, 3, 10)),
        "customer_number": field(record, 63, 68),
        "bankgiro": field(record, 69, 78),
    }


def parse_collection(record: str) -> tuple[Collection, str]:
    assert field(record, 1, 2) == "82"
    assert field(record, 15, 15) == " "
    assert field(record, 70, 80).strip() == ""
    date = field(record, 3, 10)
    occurrences = field(record, 12, 14)
    collection = Collection(
        payer_number=field(record, 16, 31),
        amount=Decimal(int(field(record, 32, 43))) / 100,
        payment_on=None if date.strip() == "GENAST" else ymd(date),
        reference=field(record, 54, 69).rstrip(),
        period_code=int(field(record, 11, 11)),
        occurrences=None if not occurrences.strip() else int(occurrences),
    )
    return collection, field(record, 44, 53)


@pytest.mark.needs_shared("Bankgirot's sample files")
@pytest.mark.parametrize("path", [PAYMENT_ORDERS, OLD_LAYOUT, SEAL_BASIC], ids=["new", "old", "seal"])
def test_our_records_equal_bankgirots_samples(path):
    sample = records(path)
    collections = [record for record in sample if record.startswith("82")]
    assert sample[0].startswith("01")
    assert collections, "the sample has payment orders"

    opening = parse_opening(sample[0])
    assert opening_record(**opening) == sample[0]
    for record in collections:
        collection, bankgiro = parse_collection(record)
        assert bankgiro == opening["bankgiro"]
        assert collection_record(collection, bankgiro=bankgiro) == record


@pytest.mark.needs_shared("Bankgirot's sample files")
def test_the_whole_file_equals_the_sealed_sample_before_its_seal():
    sample = records(SEAL_BASIC)
    opening = parse_opening(sample[0])
    collections = [parse_collection(record)[0] for record in sample[1:]]

    content = payment_order_file_content(collections=collections, **opening)

    assert content == SEAL_BASIC.read_bytes().rstrip(b"\r\n") + b"\r\n"


@pytest.mark.needs_shared("Bankgirot's sample files")
def test_the_samples_cover_the_fields_we_write():
    """GENAST, a self-renewing order and an amount with öre are in the samples: our reading holds."""
    parsed = [parse_collection(record)[0] for record in records(PAYMENT_ORDERS) if record.startswith("82")]
    assert any(c.payment_on is None for c in parsed)
    assert any(c.occurrences == 6 and c.period_code == 5 for c in parsed)
    assert Decimal("5000.25") in {c.amount for c in parsed}


def test_records_are_80_characters_latin1_with_crlf():
    content = payment_order_file_content(
        written_on=dt.date(2026, 11, 20),
        customer_number="4711",
        bankgiro="991-2346",
        collections=[
            Collection(
                payer_number="1042", amount=Decimal("1250.50"), payment_on=dt.date(2026, 12, 20), reference="10428"
            ),
            Collection(payer_number="77", amount=Decimal("99"), payment_on=None, reference="Årskort 2026"),
        ],
    )

    lines = content.split(b"\r\n")
    assert lines[-1] == b""
    assert [len(line) for line in lines[:-1]] == [80, 80, 80]
    assert lines[0].decode(ENCODING) == f"0120261120AUTOGIRO{'':44}0047110009912346  "
    assert (
        lines[1][:69].decode(ENCODING) == "82202612200    000000000000104200000012505000099123461042" + "8" + " " * 11
    )
    assert lines[2].decode(ENCODING).startswith("82GENAST  0    0000000000000077000000009900")
    assert "Årskort 2026" in lines[2].decode(ENCODING)


@pytest.mark.parametrize(
    ("collection", "problem"),
    [
        (Collection(payer_number="1" * 17, amount=Decimal("1"), payment_on=None, reference="x"), "payer number"),
        (Collection(payer_number="12a", amount=Decimal("1"), payment_on=None, reference="x"), "payer number"),
        (Collection(payer_number="1", amount=Decimal("0.001"), payment_on=None, reference="x"), "öre"),
        (Collection(payer_number="1", amount=Decimal("0"), payment_on=None, reference="x"), "öre"),
        (Collection(payer_number="1", amount=Decimal("1"), payment_on=None, reference="x" * 17), "reference"),
        (Collection(payer_number="1", amount=Decimal("1"), payment_on=None, reference="x", period_code=1), "GENAST"),
    ],
)
def test_what_does_not_fit_the_layout_is_refused(collection, problem):
    with pytest.raises(ValueError, match=problem):
        collection_record(collection, bankgiro="9912346")
