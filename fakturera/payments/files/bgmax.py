"""BgMax, Bankgirot's incoming-payment file (Bankgiro Inbetalningar).

Layout: ../shared/formats/README.md section 2 ("BgMax"), from the BgMax chapter of "Bg Autogiro
Teknisk manual" (2014) and Bankgirot's example files. 80-character records, ISO-8859-1;
positions below are 1-based and inclusive, as in the manual.

File:    01 opening (BGMAX, version 01, timestamp, P/T), sections, 70 end (counts)
Section: 05 opening (payee bankgiro, plusgiro, currency), payments, 15 deposit (account, date,
         deposit serial number, amount, number of payments)
Payment: 20 payment or 21 deduction, then its 22/23 extra references, 25 message lines,
         26 name, 27-28 address, 29 organisation number

Checked (a failure refuses the file, naming the line): the record order; numeric fields
numeric; per section Σ TK20 − Σ TK21 = the TK15 amount and TK15's count = TK20 + TK21; the TK70
counts of TK20, TK21, TK22+TK23 and TK15; the end record present; ISO-8859-1 (not UTF-8).
Unknown record types are skipped, as the manual says (each one is a warning).

A section's payments are yielded when its TK15 has been read and checked (the deposit date and
serial number come from it), so memory holds one deposit at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from fakturera.core.ocr import ReferenceKind, classify_reference
from fakturera.payments.files.source import STOCKHOLM, Source, fixed_records, open_source
from fakturera.payments.files.source import amount_field as _amount
from fakturera.payments.files.source import date_field as _date
from fakturera.payments.files.source import field as _field
from fakturera.payments.files.source import number_field as _number
from fakturera.payments.files.types import (
    Account,
    AccountScheme,
    BankTransaction,
    Direction,
    ExtraReference,
    FileFormat,
    FileRefused,
    FileSummary,
    Method,
    Section,
    format_bankgiro,
    format_plusgiro,
)

ENCODING = "iso-8859-1"

# Reference codes (TK20 pos 56). 2 = the bank checked the OCR reference.
REFERENCE_CODES = {
    "0": "no reference",
    "1": "no reference",
    "2": "correct OCR reference",
    "3": "one or more references, not checked",
    "4": "one reference",
    "5": "incorrect reference",
}
# Payment channel (TK20 pos 57).
CHANNELS = {
    "1": "electronic (internet bank)",
    "2": "electronic (Leverantörsbetalningar)",
    "3": "paper form",
    "4": "Autogiro",
}


@dataclass
class _Payment:
    line: int
    record_type: str
    payer_bankgiro: str
    reference: str
    amount: Decimal
    reference_code: str
    channel: str
    serial: str
    image: str
    deduction_code: str
    extra: list[ExtraReference] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    name: str = ""
    address: list[str] = field(default_factory=list)
    org_number: str = ""


@dataclass
class _Deposit:
    line: int
    bankgiro: str
    plusgiro: str
    currency: str
    payments: list[_Payment] = field(default_factory=list)


class BgMaxReader:
    """Iterate for the transactions; `summary` is set when the iteration has ended without a refusal."""

    format = FileFormat.BGMAX

    def __init__(self, source: Source) -> None:
        self.source = source
        self.summary: FileSummary | None = None

    def __iter__(self) -> Iterator[BankTransaction]:
        with open_source(self.source) as fileobj:
            yield from self._read(fixed_records(fileobj, encoding=ENCODING))

    def _read(self, records: Iterator[tuple[int, str]]) -> Iterator[BankTransaction]:
        first = next(records, None)
        if first is None:
            raise FileRefused("empty", "The file is empty")
        line, record = first
        if record[:2] != "01" or _field(record, 3, 22).strip() != "BGMAX":
            raise FileRefused("unknown_format", "A BgMax file opens with a 01 record naming BGMAX", line=line)
        version = _field(record, 23, 24)
        if version != "01":
            raise FileRefused("unsupported", f"BgMax version {version!r} is not read (01 is)", line=line)
        stamp = _field(record, 25, 44)
        created = self._timestamp(stamp, line)
        test = _field(record, 45, 45) == "T"

        counts = {"20": 0, "21": 0, "22": 0, "23": 0, "15": 0}
        sections: list[Section] = []
        accounts: list[Account] = []
        warnings: list[str] = []
        deposit: _Deposit | None = None
        payment: _Payment | None = None
        credit_totals: dict[str, Decimal] = {}
        debit_totals: dict[str, Decimal] = {}
        transaction_count = 0
        ended = False

        for line, record in records:
            kind = record[:2]
            if ended:
                raise FileRefused("malformed", f"A record ({kind}) after the end record (70)", line=line)
            if kind in ("20", "21"):
                if deposit is None:
                    raise FileRefused(
                        "malformed", f"A payment record ({kind}) outside a section (05 ... 15)", line=line
                    )
                counts[kind] += 1
                payment = self._payment(kind, record, line)
                deposit.payments.append(payment)
            elif kind in ("22", "23"):
                if payment is None:
                    raise FileRefused("malformed", f"An extra reference ({kind}) before any payment (20/21)", line=line)
                counts[kind] += 1
                payment.extra.append(self._extra_reference(kind, record, line))
            elif kind in ("25", "26", "27", "28", "29"):
                if payment is None:
                    raise FileRefused("malformed", f"A payer record ({kind}) before any payment (20/21)", line=line)
                self._payer_record(payment, kind, record)
            elif kind == "05":
                if deposit is not None:
                    raise FileRefused("malformed", "A section opens (05) before the last one closed (15)", line=line)
                deposit = _Deposit(
                    line=line,
                    bankgiro=_field(record, 3, 12).strip(),
                    plusgiro=_field(record, 13, 22).strip(),
                    currency=_field(record, 23, 25).strip() or "SEK",
                )
                payment = None
            elif kind == "15":
                if deposit is None:
                    raise FileRefused("malformed", "A deposit record (15) without its section opening (05)", line=line)
                counts["15"] += 1
                section, transactions = self._close(deposit, record, line, len(sections) + 1)
                sections.append(section)
                if section.account and section.account not in accounts:
                    accounts.append(section.account)
                for transaction in transactions:
                    transaction_count += 1
                    totals = credit_totals if transaction.direction is Direction.CREDIT else debit_totals
                    totals[transaction.currency] = (
                        totals.get(transaction.currency, Decimal("0.00")) + transaction.amount
                    )
                    yield transaction
                deposit = payment = None
            elif kind == "70":
                if deposit is not None:
                    raise FileRefused("malformed", "The end record (70) inside an open section (no 15)", line=line)
                self._check_end(record, line, counts)
                ended = True
            elif kind == "01":
                raise FileRefused("malformed", "A second opening record (01)", line=line)
            else:
                warnings.append(f"line {line}: unknown record type {kind!r} skipped")

        if not ended:
            raise FileRefused("missing", "The file has no end record (70): it is cut short", line=line)
        self.summary = FileSummary(
            format=FileFormat.BGMAX,
            version=version,
            message_id=stamp,
            created_at=created,
            test=test,
            accounts=tuple(accounts),
            sections=tuple(sections),
            transaction_count=transaction_count,
            credit_totals=credit_totals,
            debit_totals=debit_totals,
            warnings=tuple(warnings),
        )

    @staticmethod
    def _timestamp(stamp: str, line: int) -> dt.datetime:
        if not stamp.isdigit():
            raise FileRefused("invalid_value", f"The opening record's timestamp is not digits: {stamp!r}", line=line)
        try:
            return dt.datetime(
                int(stamp[0:4]),
                int(stamp[4:6]),
                int(stamp[6:8]),
                int(stamp[8:10]),
                int(stamp[10:12]),
                int(stamp[12:14]),
                int(stamp[14:20]),
                tzinfo=STOCKHOLM,
            )
        except ValueError:
            raise FileRefused(
                "invalid_value", f"The opening record's timestamp is no time: {stamp!r}", line=line
            ) from None

    @staticmethod
    def _payment(kind: str, record: str, line: int) -> _Payment:
        return _Payment(
            line=line,
            record_type=kind,
            payer_bankgiro=_field(record, 3, 12).strip(),
            reference=_field(record, 13, 37).strip(),
            amount=_amount(record, 38, 55, line),
            reference_code=_field(record, 56, 56),
            channel=_field(record, 57, 57),
            serial=_field(record, 58, 69).strip(),
            image=_field(record, 70, 70),
            deduction_code=_field(record, 71, 71) if kind == "21" else "",
        )

    @staticmethod
    def _extra_reference(kind: str, record: str, line: int) -> ExtraReference:
        amount = _amount(record, 38, 55, line)
        value = _field(record, 13, 37).strip()
        return ExtraReference(
            value=value,
            kind=classify_reference(value) if value else ReferenceKind.OTHER,
            amount=-amount if kind == "23" else amount,
            position=f"line {line}",
        )

    @staticmethod
    def _payer_record(payment: _Payment, kind: str, record: str) -> None:
        if kind == "25":
            payment.messages.append(_field(record, 3, 80).strip())
        elif kind == "26":
            payment.name = " ".join(
                part for part in (_field(record, 3, 37).strip(), _field(record, 38, 72).strip()) if part
            )
        elif kind == "27":
            payment.address += [
                part for part in (_field(record, 3, 37).strip(), _field(record, 38, 46).strip()) if part
            ]
        elif kind == "28":
            payment.address += [
                part
                for part in (
                    _field(record, 3, 37).strip(),
                    _field(record, 38, 72).strip(),
                    _field(record, 73, 74).strip(),
                )
                if part
            ]
        else:
            payment.org_number = _field(record, 3, 14).strip().lstrip("0")

    def _close(self, deposit: _Deposit, record: str, line: int, index: int) -> tuple[Section, list[BankTransaction]]:
        booked_on = _date(record, 38, line, "deposit date")
        serial = _field(record, 46, 50).strip()
        stated_total = _amount(record, 51, 68, line, "deposit amount")
        currency = _field(record, 69, 71).strip() or deposit.currency
        stated_count = _number(record, 72, 79, line, "number of payments")
        credits = sum((p.amount for p in deposit.payments if p.record_type == "20"), Decimal("0.00"))
        debits = sum((p.amount for p in deposit.payments if p.record_type == "21"), Decimal("0.00"))
        if credits - debits != stated_total:
            raise FileRefused(
                "totals_mismatch",
                f"The deposit states {stated_total} {currency}; its payments (20) less deductions (21) "
                f"make {credits - debits}",
                line=line,
                stated=str(stated_total),
                computed=str(credits - debits),
            )
        if stated_count != len(deposit.payments):
            raise FileRefused(
                "count_mismatch",
                f"The deposit states {stated_count} payments; the section has {len(deposit.payments)} (20 and 21)",
                line=line,
                stated=stated_count,
                computed=len(deposit.payments),
            )
        bankgiro_digits = deposit.bankgiro.lstrip("0")
        account = Account(AccountScheme.BANKGIRO, format_bankgiro(deposit.bankgiro)) if bankgiro_digits else None
        section = Section(
            kind="deposit",
            identifier=serial,
            account=account,
            currency=currency,
            date=booked_on,
            transaction_count=len(deposit.payments),
            credit_total=credits,
            debit_total=debits,
            stated_count=stated_count,
            stated_total=stated_total,
            line=deposit.line,
            details={
                "bank_account": _field(record, 3, 37).strip(),
                "plusgiro": format_plusgiro(deposit.plusgiro) if deposit.plusgiro.strip("0 ") else "",
            },
        )
        transactions = [
            self._transaction(p, number, deposit=deposit, section=section, index=index)
            for number, p in enumerate(deposit.payments, start=1)
        ]
        return section, transactions

    @staticmethod
    def _transaction(p: _Payment, number: int, *, deposit: _Deposit, section: Section, index: int) -> BankTransaction:
        date = section.date
        # The deposit serial number is unique per bankgiro number and year; a payment's BGC serial
        # number is not unique within its deposit in Bankgirot's own samples (and blank in some),
        # so the payment's place in the deposit, which is the same in every file holding the
        # deposit, names it.
        key = f"bgmax:{deposit.bankgiro.lstrip('0')}:{date:%Y}:{section.identifier}:{number}"
        payer = p.payer_bankgiro.lstrip("0")
        message = "\n".join(m for m in p.messages if m)
        return BankTransaction(
            format=FileFormat.BGMAX,
            amount=p.amount,
            currency=section.currency,
            direction=Direction.CREDIT if p.record_type == "20" else Direction.DEBIT,
            account=section.account,
            booking_date=date,
            value_date=date,
            payer_name=p.name,
            payer_account=format_bankgiro(payer) if payer else "",
            payer_account_scheme=AccountScheme.BANKGIRO if payer else None,
            payer_org_number=p.org_number,
            payer_address=tuple(p.address),
            reference=p.reference,
            reference_kind=classify_reference(p.reference) if p.reference else None,
            reference_checked=p.reference_code == "2",
            extra_references=tuple(p.extra),
            message=message,
            reversal=False,
            method=Method.AUTOGIRO if p.channel == "4" else Method.BANKGIRO,
            bank_serial=p.serial,
            deposit_serial=section.identifier,
            entry_index=index,
            index_in_entry=number,
            position=f"line {p.line}",
            line=p.line,
            dedup_keys=(key,),
            details={
                "record_type": p.record_type,
                "reference_code": p.reference_code,
                "reference_code_meaning": REFERENCE_CODES.get(p.reference_code, "unknown"),
                "channel": p.channel,
                "channel_meaning": CHANNELS.get(p.channel, "unknown"),
                "image": p.image,
                "deduction_code": p.deduction_code,
            },
        )

    @staticmethod
    def _check_end(record: str, line: int, counts: dict[str, int]) -> None:
        stated = {
            "payments (20)": (_number(record, 3, 10, line, "number of payments"), counts["20"]),
            "deductions (21)": (_number(record, 11, 18, line, "number of deductions"), counts["21"]),
            "extra references (22 and 23)": (
                _number(record, 19, 26, line, "number of extra references"),
                counts["22"] + counts["23"],
            ),
            "deposits (15)": (_number(record, 27, 34, line, "number of deposits"), counts["15"]),
        }
        wrong = [
            f"{what}: {said} stated, {found} in the file" for what, (said, found) in stated.items() if said != found
        ]
        if wrong:
            raise FileRefused(
                "count_mismatch",
                "The end record's counts do not match the file: " + "; ".join(wrong),
                line=line,
                mismatches={what: {"stated": s, "found": f} for what, (s, f) in stated.items() if s != f},
            )
