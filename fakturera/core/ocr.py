"""Swedish OCR payment references (Bankgirot "OCR-referenskontroll").

Rules (../shared/formats/README.md, section 1): digits only, 2-25 long; the last
digit is a Luhn check digit over everything before it; with the optional length
digit, the second-to-last digit is the total length (including both control
digits) modulo 10, and the check digit is computed over base + length digit.

Also the RF creditor reference (ISO 11649) and finding candidate references (OCR, RF,
invoice numbers) in a payer's free text, for matching incoming payments.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from stdnum import iso11649, luhn
from stdnum.iso7064 import mod_97_10

MAX_LENGTH = 25


def ocr_reference(base: str, *, with_length_digit: bool = False) -> str:
    if not base.isdigit():
        raise ValueError("An OCR base is digits only")
    if with_length_digit:
        base = base + str((len(base) + 2) % 10)
    reference = base + luhn.calc_check_digit(base)
    if not 2 <= len(reference) <= MAX_LENGTH:
        raise ValueError("An OCR reference has 2 to 25 digits")
    return reference


# Luhn: every second digit from the right is doubled, and a doubled digit above 9 counts as its
# digit sum (2 x 7 = 14 counts 5); the sum of all is a multiple of 10.
_DOUBLED = str.maketrans("0123456789", "0246813579")


def _luhn_valid(digits: str) -> bool:
    """stdnum's luhn.is_valid for ASCII digits, without a call per digit (a bank file has tens of
    thousands of references)."""
    return (sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2].translate(_DOUBLED)))) % 10 == 0


def is_valid_ocr(reference: str, *, with_length_digit: bool = False) -> bool:
    if not reference.isdigit() or not reference.isascii() or not 2 <= len(reference) <= MAX_LENGTH:
        return False
    if not _luhn_valid(reference):
        return False
    return not with_length_digit or int(reference[-2]) == len(reference) % 10


# RF creditor reference (ISO 11649): "RF", two check digits, then 1-21 letters and digits;
# valid when mod 97-10 over the moved reference is 1 (stdnum.iso11649). Printed in groups
# of four ("RF18 5390 0754 7034"); compared without the spaces, in upper case.
RF_MAX_LENGTH = 25


def compact_reference(reference: str) -> str:
    """A reference as it is compared: without spaces (and the dashes some payers type), upper case."""
    return reference.replace(" ", "").replace("-", "").strip().upper()


def rf_reference(base: str) -> str:
    """The RF creditor reference for a base of 1-21 letters and digits."""
    base = compact_reference(base)
    if not base.isalnum() or not base.isascii() or not 1 <= len(base) <= RF_MAX_LENGTH - 4:
        raise ValueError("An RF reference base is 1 to 21 letters and digits")
    return "RF" + mod_97_10.calc_check_digits(base + "RF") + base


def is_valid_rf(reference: str) -> bool:
    compact = compact_reference(reference)
    return compact.startswith("RF") and iso11649.is_valid(compact)


def ocr_has_length_digit(reference: str) -> bool:
    """Whether a (Luhn-valid) reference also carries a correct length digit."""
    return len(reference) >= 3 and reference.isdigit() and int(reference[-2]) == len(reference) % 10


class ReferenceKind(StrEnum):
    """What a payment reference or a number found in a payer's message is."""

    OCR = "ocr"  # Swedish OCR: digits, Luhn check digit (with or without the length digit)
    RF = "rf"  # ISO 11649 creditor reference
    INVOICE_NUMBER = "invoice_number"  # a number written after "Faktura", "Invoice", "Fakt.nr" ...
    NUMBER = "number"  # digits that are none of the above (a wrong OCR, a customer number ...)
    OTHER = "other"  # anything else given as a reference


def classify_reference(reference: str) -> ReferenceKind:
    """The kind of a structured reference as a bank gives it (camt Strd/CdtrRefInf/Ref, BgMax TK20)."""
    compact = compact_reference(reference)
    if is_valid_rf(compact):
        return ReferenceKind.RF
    if compact.isdigit():
        return ReferenceKind.OCR if is_valid_ocr(compact) else ReferenceKind.NUMBER
    return ReferenceKind.OTHER


@dataclass(frozen=True)
class FoundReference:
    """A candidate reference in free text: `value` in compact form, where it starts in the text,
    and whether a word before it said what it is ("Faktura 10023", "OCR 1002303")."""

    kind: ReferenceKind
    value: str
    start: int
    labelled: bool


# Words payers put before an invoice number or an OCR number (Swedish, Danish/Norwegian, Finnish,
# English), with their abbreviations and an optional "nr"/"no"/"#" and colon after them.
_INVOICE_WORD = r"(?:faktura|fakt|fa|fakturanummer|fakturanr|lasku|laskunro|invoice|inv|regning|bill)"
_OCR_WORD = r"(?:ocr|ocr-nummer|ocrnummer|ocr-nr|ocrnr|referens|ref|kid|viite|betalningsreferens)"
_NUMBER_WORD = r"(?:\.?\s*(?:nr|no|num|nummer|number)\b\.?)?\s*[:#.]?\s*"
_LABELLED = re.compile(
    rf"\b(?:(?P<invoice>{_INVOICE_WORD})|(?P<ocr>{_OCR_WORD})){_NUMBER_WORD}(?P<number>\d{{1,25}})(?![\w])",
    re.IGNORECASE,
)
_RF = re.compile(r"\bRF\s?\d{2}(?:\s?[A-Z0-9]){1,21}", re.IGNORECASE)
_DIGITS = re.compile(r"(?<![\w])\d{2,25}(?![\w])")


def _rf_in(candidate: str) -> str:
    """The RF reference at the start of what the pattern matched, which may run on into the next
    words ("RF18 5390 0754 7034 tack"). Printed in groups of four, so the groups go on while they
    have four characters; a group in lower case is a word of the message, not part of it. The
    longest valid reading wins."""
    tokens = candidate.split()
    if len(tokens) > 1 and tokens[0].upper() == "RF":
        tokens[:2] = [tokens[0] + tokens[1]]
    if len(tokens[0]) > 4:
        readings = [tokens[0]]
    else:
        parts = [tokens[0]]
        for token in tokens[1:]:
            if token != token.upper():
                break
            parts.append(token)
            if len(token) != 4:
                break
        readings = ["".join(parts[:n]) for n in range(len(parts), 0, -1)]
    for reading in readings:
        if is_valid_rf(reading):
            return compact_reference(reading)
    return ""


def find_references(text: str) -> list[FoundReference]:
    """Candidate references in a payer's free text, in the order they appear, each value once.

    Labelled numbers come first in meaning: after an invoice word a number is an invoice number
    (or an OCR when it passes the check); after an OCR word it is an OCR (a NUMBER when it fails
    the check). Unlabelled digit runs of 2-25 digits are OCR candidates when they pass the Luhn
    check and NUMBER otherwise; RF references anywhere are RF when valid."""
    found: dict[str, FoundReference] = {}
    rf_spans: list[tuple[int, int]] = []
    for match in _RF.finditer(text):
        value = _rf_in(match.group())
        if value:
            found.setdefault(value, FoundReference(ReferenceKind.RF, value, match.start(), labelled=False))
            rf_spans.append((match.start(), match.end()))
    for match in _LABELLED.finditer(text):
        value = match.group("number").replace(" ", "")
        if len(value) > MAX_LENGTH:
            continue
        if match.group("invoice"):
            kind = ReferenceKind.INVOICE_NUMBER
        else:
            kind = ReferenceKind.OCR if is_valid_ocr(value) else ReferenceKind.NUMBER
        found.setdefault(value, FoundReference(kind, value, match.start("number"), labelled=True))
    for match in _DIGITS.finditer(text):
        value = match.group()
        if any(start <= match.start() < end for start, end in rf_spans):
            continue
        kind = ReferenceKind.OCR if is_valid_ocr(value) else ReferenceKind.NUMBER
        found.setdefault(value, FoundReference(kind, value, match.start(), labelled=False))
    return sorted(found.values(), key=lambda ref: ref.start)
