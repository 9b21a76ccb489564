"""OCR references (Luhn, length digit), RF creditor references (ISO 11649) and references found in
a payer's free text: vectors from ../shared/formats/ocr and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakturera.core.ocr import (
    ReferenceKind,
    classify_reference,
    find_references,
    is_valid_ocr,
    is_valid_rf,
    ocr_has_length_digit,
    ocr_reference,
    rf_reference,
)


@pytest.mark.parametrize(
    "reference",
    ["655969", "657866", "658765", "657767", "657965", "650861", "659763", "658260", "658369", "658468", "801266"],
)
def test_bankgirot_sample_references_have_check_and_length_digits(reference):
    assert is_valid_ocr(reference, with_length_digit=True)
    assert ocr_has_length_digit(reference)
    assert classify_reference(reference) is ReferenceKind.OCR


@pytest.mark.parametrize("reference", ["89853", "12345678"])
def test_invalid_sample_references(reference):
    assert not is_valid_ocr(reference)
    assert classify_reference(reference) is ReferenceKind.NUMBER


def test_rf_vectors():
    assert rf_reference("539007547034") == "RF18539007547034"
    assert is_valid_rf("RF18 5390 0754 7034")
    assert is_valid_rf("rf18539007547034")
    assert not is_valid_rf("RF19539007547034")
    assert not is_valid_rf("539007547034")
    assert classify_reference("RF18 5390 0754 7034") is ReferenceKind.RF
    assert classify_reference("ISR ref number V1") is ReferenceKind.OTHER
    with pytest.raises(ValueError, match="RF reference base"):
        rf_reference("x" * 22)


def change_one_digit(reference: str, position: int, delta: int) -> str:
    digits = [c for c in reference]
    index = [i for i, c in enumerate(digits) if c.isdigit()][position % sum(c.isdigit() for c in digits)]
    digits[index] = str((int(digits[index]) + delta) % 10)
    return "".join(digits)


@given(st.integers(0, 10**20), st.booleans(), st.integers(0, 30), st.integers(1, 9))
def test_generated_ocr_is_valid_and_one_changed_digit_is_not(base, length_digit, position, delta):
    reference = ocr_reference(str(base), with_length_digit=length_digit)
    assert is_valid_ocr(reference, with_length_digit=length_digit)
    assert classify_reference(reference) is ReferenceKind.OCR
    # Luhn finds every single changed digit.
    assert not is_valid_ocr(change_one_digit(reference, position, delta))


@given(
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21),
    st.integers(0, 40),
    st.integers(1, 9),
)
def test_generated_rf_is_valid_and_one_changed_digit_is_not(base, position, delta):
    reference = rf_reference(base)
    assert is_valid_rf(reference)
    assert classify_reference(reference) is ReferenceKind.RF
    assert not is_valid_rf(change_one_digit(reference, position, delta))
    spaced = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    assert [(r.kind, r.value) for r in find_references(f"Betalning {spaced} tack")] == [(ReferenceKind.RF, reference)]


@given(st.integers(1, 10**12), st.sampled_from(["Faktura", "faktura nr", "Fakt.nr:", "Invoice no.", "inv #"]))
def test_a_labelled_invoice_number_is_found(number, label):
    [found] = find_references(f"Hej! {label} {number}, mvh Anna")
    assert (found.kind, found.value, found.labelled) == (ReferenceKind.INVOICE_NUMBER, str(number), True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Faktura 10023", [("invoice_number", "10023", True)]),
        ("OCR 100263", [("ocr", "100263", True)]),
        ("ocr-nr: 100264", [("number", "100264", True)]),
        ("Betalning med extra refnr 665869 657775 665661", [
            ("ocr", "665869", True), ("ocr", "657775", False), ("ocr", "665661", False)
        ]),
        (" Faktura8014573", [("invoice_number", "8014573", True)]),
        ("Faktura65581 Kundnr1233", [("invoice_number", "65581", True)]),
        ("RF18 5390 0754 7034", [("rf", "RF18539007547034", False)]),
        ("Tack för senast!", []),
        ("Fakturor 1001 och 1002", [("number", "1001", False), ("number", "1002", False)]),
    ],
)  # fmt: skip
def test_references_in_free_text(text, expected):
    assert [(r.kind.value, r.value, r.labelled) for r in find_references(text)] == expected
