"""Bankgirot Autogiro payment-order file ("betalningsunderlag"), a pure writer.

Layout (Bg Autogiro Teknisk manual 2014, ch. 6; identical in the old and the new
layout, which differ only in the reports from Bankgirot), 80-character records,
ISO-8859-1, CRLF after every record, positions 1-based and inclusive:

TK01 opening (one per section):
     1-2  "01"
     3-10 write date YYYYMMDD
    11-18 "AUTOGIRO"
    19-62 blank
    63-68 payee's BGC customer number, zero-filled
    69-78 payee's bankgiro number, zero-filled
    79-80 blank
TK82 collection from the payer:
     1-2  "82"
     3-10 payment date YYYYMMDD, or "GENAST" blank-filled (first possible banking day)
    11    period code, 0 = once
    12-14 number of occurrences (self-renewing orders), blank when once
    15    blank
    16-31 payer number, zero-filled
    32-43 amount in öre, zero-filled
    44-53 payee's bankgiro number, zero-filled (equal to TK01's)
    54-69 payee's reference, left-aligned blank-filled (the OCR number)
    70-80 blank

There is no end record in files to Bankgirot. The seal (TK00/TK99, HMAC) is added by
the bank connection that sends the file, with the key it holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

RECORD_LENGTH = 80
ENCODING = "iso-8859-1"


@dataclass(frozen=True)
class Collection:
    """One TK82 record. `payment_on` None means GENAST (as soon as possible)."""

    payer_number: str
    amount: Decimal
    payment_on: dt.date | None
    reference: str
    period_code: int = 0
    occurrences: int | None = None


def _digits(value: str, width: int, name: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits or len(digits) > width or digits != value.replace("-", "").replace(" ", ""):
        raise ValueError(f"{name} {value!r} does not fit {width} digits")
    return digits.zfill(width)


def _record(text: str) -> str:
    if len(text) > RECORD_LENGTH:
        raise ValueError(f"record longer than {RECORD_LENGTH}: {text!r}")
    return text.ljust(RECORD_LENGTH)


def _latin1(text: str) -> str:
    """What ISO-8859-1 cannot hold becomes "?" rather than a failed file (references are our own)."""
    return text.encode(ENCODING, "replace").decode(ENCODING)


def opening_record(*, written_on: dt.date, customer_number: str, bankgiro: str) -> str:
    return _record(
        f"01{written_on:%Y%m%d}AUTOGIRO{'':44}"
        f"{_digits(customer_number, 6, 'customer number')}{_digits(bankgiro, 10, 'bankgiro')}"
    )


def amount_in_ore(amount: Decimal) -> int:
    ore = amount * 100
    if ore != ore.to_integral_value() or ore <= 0:
        raise ValueError(f"amount {amount} is not a positive amount in whole öre")
    return int(ore)


def collection_record(collection: Collection, *, bankgiro: str) -> str:
    date = f"{collection.payment_on:%Y%m%d}" if collection.payment_on else "GENAST  "
    if collection.payment_on is None and collection.period_code:
        raise ValueError("GENAST allows only period code 0")
    occurrences = "   " if collection.occurrences is None else f"{collection.occurrences:03d}"
    reference = _latin1(collection.reference.strip())
    if len(reference) > 16:
        raise ValueError(f"reference {reference!r} is longer than 16 characters")
    return _record(
        f"82{date}{collection.period_code}{occurrences} "
        f"{_digits(collection.payer_number, 16, 'payer number')}"
        f"{amount_in_ore(collection.amount):012d}"
        f"{_digits(bankgiro, 10, 'bankgiro')}"
        f"{reference:<16}"
    )


def payment_order_file_content(
    *, written_on: dt.date, customer_number: str, bankgiro: str, collections: Iterable[Collection]
) -> bytes:
    """The whole file: one section, its opening record and one TK82 per collection."""
    records = [opening_record(written_on=written_on, customer_number=customer_number, bankgiro=bankgiro)]
    records += [collection_record(collection, bankgiro=bankgiro) for collection in collections]
    return "".join(record + "\r\n" for record in records).encode(ENCODING)
