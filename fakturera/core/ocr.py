"""Swedish OCR payment references (Bankgirot "OCR-referenskontroll").

Rules (../shared/formats/README.md, section 1): digits only, 2-25 long; the last
digit is a Luhn check digit over everything before it; with the optional length
digit, the second-to-last digit is the total length (including both control
digits) modulo 10, and the check digit is computed over base + length digit.
"""

from stdnum import luhn

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


def is_valid_ocr(reference: str, *, with_length_digit: bool = False) -> bool:
    if not reference.isdigit() or not 2 <= len(reference) <= MAX_LENGTH:
        return False
    if not luhn.is_valid(reference):
        return False
    return not with_length_digit or int(reference[-2]) == len(reference) % 10
