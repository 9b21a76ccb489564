from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakturera.core.errors import DomainError
from fakturera.core.identifiers import (
    clean_bankgiro,
    clean_iban,
    clean_organisation_number,
    clean_peppol_id,
    clean_personnummer,
    clean_vat_number,
)
from fakturera.core.money import clean_quantity, clean_unit_price, round_money, round_whole
from fakturera.core.ocr import is_valid_ocr, ocr_reference


def test_round_money_is_half_up_to_the_minor_unit():
    assert round_money(Decimal("0.005"), "SEK") == Decimal("0.01")
    assert round_money(Decimal("0.0049"), "SEK") == Decimal("0.00")
    assert round_money(Decimal("-0.005"), "EUR") == Decimal("-0.01")
    assert round_money(Decimal("2.675"), "NOK") == Decimal("2.68")


def test_round_whole_keeps_two_decimals():
    assert round_whole(Decimal("100.50"), "SEK") == Decimal("101.00")
    assert round_whole(Decimal("100.49"), "SEK") == Decimal("100.00")


@pytest.mark.parametrize(
    ("base", "plain", "with_length"),
    [("1234", "12344", "123463"), ("12345", "123455", "1234574"), ("4711", "47118", "471169"),
     ("123456789", "1234567897", "12345678911")],
)  # fmt: skip
def test_ocr_vectors_from_shared_formats(base, plain, with_length):
    assert ocr_reference(base) == plain
    assert ocr_reference(base, with_length_digit=True) == with_length
    assert is_valid_ocr(with_length, with_length_digit=True)


@pytest.mark.parametrize("reference", ["655969", "657866", "658765", "801266", "801464"])
def test_bankgirot_sample_references_validate(reference):
    assert is_valid_ocr(reference, with_length_digit=True)


@pytest.mark.parametrize("reference", ["89853", "12345678", "1", "12a4"])
def test_invalid_references(reference):
    assert not is_valid_ocr(reference)


@given(st.integers(min_value=1, max_value=10**20), st.booleans())
def test_every_generated_reference_validates(number, with_length):
    reference = ocr_reference(str(number), with_length_digit=with_length)
    assert is_valid_ocr(reference, with_length_digit=with_length)


def test_organisation_numbers_by_country():
    assert clean_organisation_number("5567321707", country="SE") == "556732-1707"
    assert clean_organisation_number("13585628", country="DK") == "13585628"
    assert clean_organisation_number("988077917", country="NO") == "988 077 917"
    with pytest.raises(DomainError, match="check digit") as exc:
        clean_organisation_number("556732-1708", country="SE")
    assert exc.value.field == "org_number"


def test_vat_numbers():
    assert clean_vat_number("se556732170701", country="SE") == "SE556732170701"
    assert clean_vat_number("DK13585628", country="SE") == "DK13585628"  # an EU customer
    with pytest.raises(DomainError):
        clean_vat_number("SE556732170801", country="SE")


def test_personnummer_bankgiro_iban():
    assert clean_personnummer("811228-9874") == "19811228-9874"
    with pytest.raises(DomainError, match="personnummer"):
        clean_personnummer("811228-9875")
    assert clean_bankgiro("9912346") == "991-2346"
    with pytest.raises(DomainError):
        clean_bankgiro("991-2347")
    assert clean_iban("SE45 5000 0000 0583 9825 7466") == "SE4550000000058398257466"
    with pytest.raises(DomainError):
        clean_iban("SE45 5000 0000 0583 9825 7467")


@pytest.mark.parametrize(
    ("value", "normal"),
    [("0007:5567321707", "0007:5567321707"), ("0088:7300010000001", "0088:7300010000001"),
     ("0184:13585628", "0184:13585628"), ("0192:988077917", "0192:988077917"),
     # 9955 left Peppol's code list: the same participant under 0007 (issue 13).
     ("9955:SE556732170701", "0007:5567321707")],
)  # fmt: skip
def test_peppol_ids_checked_by_scheme(value, normal):
    assert clean_peppol_id(value) == normal


@pytest.mark.parametrize(
    ("value", "message"),
    [("5567321707", "scheme and an identifier"), ("0007:5567321708", "Swedish organisation number"),
     ("1234:5567321707", "not one we know"), ("0088:7300010000002", "GLN")],
)  # fmt: skip
def test_bad_peppol_ids(value, message):
    with pytest.raises(DomainError, match=message):
        clean_peppol_id(value)


@pytest.mark.parametrize("value", ["-1", "abc", "1e12", "NaN", "0.00001"])
def test_bad_prices(value):
    with pytest.raises(DomainError):
        clean_unit_price(value)


@pytest.mark.parametrize("value", ["0", "-2", "x", "1000001"])
def test_bad_quantities(value):
    with pytest.raises(DomainError):
        clean_quantity(value)


def test_prices_accept_swedish_decimal_comma():
    assert clean_unit_price("1 250,50") == Decimal("1250.50")


def test_a_swedish_vat_number_under_9955_is_addressed_by_its_org_number_under_0007():
    from fakturera.core.identifiers import peppol_endpoint

    assert peppol_endpoint("9955:SE556016068001") == "0007:5560160680"
    assert peppol_endpoint("0007:5560160680") == "0007:5560160680"
    assert peppol_endpoint("0088:7300010000001") == "0088:7300010000001"
    assert peppol_endpoint("") == ""


def test_the_ocr_check_agrees_with_stdnums_luhn():
    import random

    from stdnum import luhn

    rng = random.Random(7)
    for _ in range(5000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 25)))
        assert is_valid_ocr(digits) == luhn.is_valid(digits), digits
    assert not is_valid_ocr("²3")  # a digit, but not an ASCII one
