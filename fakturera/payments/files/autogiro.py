"""Bankgirot's Autogiro payment reports: the payment specification (with stopped payments) and
the rejected payment orders, in the new layout and the old one.

Layouts: ../shared/formats/README.md section 4.2 (new layout) and 4.3 (old layout), from
"Bg Autogiro Teknisk manual" (August 2014, ../shared/formats/autogiro/spec) and Bankgirot's
example files. 80-character records, ISO-8859-1 like the payment-order file this system writes
(`fakturera.autogiro.files`); positions 1-based and inclusive.

Payment specification, new layout (opening label `BET. SPEC & STOPP TK`): TK15 deposit followed
by its TK82 collections, TK16 withdrawal followed by its TK32 payouts, TK17 refund withdrawal
followed by one TK77 refund, TK09 end. Status in position 80 of TK82/TK32: 0 approved, 1
insufficient funds, 2 no Autogiro connection, 9 renewed funds check (stopped, tried again).
Checked: each TK15/16/17 amount and count against its approved records; TK09's counts of
TK15, executed TK82, TK16, executed TK32, TK17 and TK77.

Payment specification, old layout (opening `01`+date+`AUTOGIRO9900`, blank label): TK82/TK32
only, status blank when approved; TK09 counts and sums every TK82 and TK32, stopped ones included.

Rejected payment orders (new `AVVISADE BET UPPDR`, old `FELLISTA REG.KONTRL`): TK82/TK32 shifted
by one position, with a comment code saying why; TK09 counts and sums them per type.

Bankgirot's other reports (mandate advice, cancellations and changes, register extracts) and the
files to Bankgirot are recognised and refused as not read here; Autogiro payments reported in
BgMax form are read by the BgMax reader (channel code 4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from fakturera.autogiro.files import ENCODING
from fakturera.payments.files.source import STOCKHOLM, Source, fixed_records, open_source
from fakturera.payments.files.source import amount_field as _amount
from fakturera.payments.files.source import date_field as _date
from fakturera.payments.files.source import field as _field
from fakturera.payments.files.source import number_field as _number
from fakturera.payments.files.types import (
    Account,
    AccountScheme,
    FileFormat,
    FileRefused,
    FileSummary,
    Section,
    format_bankgiro,
)

PAYMENTS_LABEL_NEW = "BET. SPEC & STOPP TK"
REJECTED_LABEL_NEW = "AVVISADE BET UPPDR"
REJECTED_LABEL_OLD = "FELLISTA REG.KONTRL"
OTHER_REPORTS = {
    "AG-MEDAVI": "mandate advice",
    "MAKULERING/ÄNDRING": "cancellations and changes",
    "MAK/ÄNDRINGSLISTA": "cancellations and changes",
    "BEVAKNINGSREG": "extract of the scheduled-payments register",
}

STATUS = {
    "0": "approved",
    "": "approved",
    "1": "insufficient funds",
    "2": "no Autogiro connection (account closed or mandate missing)",
    "9": "renewed funds check: the collection is tried again",
}
REJECTION_CODES = {
    "01": "no mandate for the payer number",
    "02": "the account is not approved or is closed",
    "06": "wrong period code",
    "07": "wrong number of occurrences",
    "08": "the amount is not numeric",
    "09": "payouts are not allowed",
    "10": "the bankgiro number is unknown",
    "12": "wrong payment date",
    "13": "the payment date has passed",
    "15": "the bankgiro number in the opening record differs from the record's",
    "24": "the amount is above the maximum",
}
REFUND_CODES = {
    "01": "no mandate was given",
    "02": "the mandate was revoked",
    "03": "the amount was higher than the payer could expect",
}


class Outcome(StrEnum):
    APPROVED = "approved"
    STOPPED = "stopped"  # not executed: status 1, 2 or 9 in the payment specification
    REJECTED = "rejected"  # the order was refused when Bankgirot received it
    REFUNDED = "refunded"  # TK77: money returned to the payer after a collection


@dataclass(frozen=True)
class AutogiroResult:
    """What became of one payment order. `order_type` is "82" (collection from the payer) or "32"
    (payout to the payer); `code` is the status (payment specification), comment code (rejected)
    or refund code (TK77), `reason` its meaning in English."""

    outcome: Outcome
    order_type: str
    payer_number: str
    amount: Decimal
    payment_date: dt.date | None
    reference: str
    payee_bankgiro: str
    period_code: str
    occurrences: str
    code: str
    reason: str
    refund_date: dt.date | None = None
    deposit_serial: str = ""
    date_as_given: str = ""  # the date field as written (a rejected order's date may be no date at all)
    line: int = 0

    @property
    def position(self) -> str:
        return f"line {self.line}"


def read_opening(record: str, line: int) -> tuple[FileFormat, str, str, dt.datetime | dt.date, str, str]:
    """(format, layout, label, time, customer number, bankgiro) from an Autogiro report's opening record."""
    if record[:2] == "01" and _field(record, 3, 22).strip() == "AUTOGIRO" and _field(record, 3, 10) == "AUTOGIRO":
        label = _field(record, 45, 64).strip()
        stamp = _field(record, 25, 44).strip()
        customer, bankgiro = _field(record, 65, 70), _field(record, 71, 80)
        if label == PAYMENTS_LABEL_NEW:
            fmt = FileFormat.AUTOGIRO_PAYMENTS
        elif label == REJECTED_LABEL_NEW:
            fmt = FileFormat.AUTOGIRO_REJECTED
        else:
            raise _unsupported(label, line)
        when = _stamp(stamp, line)
        return fmt, "new", label, when, customer, bankgiro
    if record[:2] == "01" and _field(record, 11, 18) == "AUTOGIRO":
        if _field(record, 19, 22) != "9900":
            raise FileRefused(
                "unsupported",
                "This is an Autogiro file to Bankgirot (payment orders, mandates), not a report from it",
                line=line,
            )
        label = _field(record, 23, 42).strip()
        if label == "":
            fmt = FileFormat.AUTOGIRO_PAYMENTS
        elif label == REJECTED_LABEL_OLD:
            fmt = FileFormat.AUTOGIRO_REJECTED
        else:
            raise _unsupported(label, line)
        return fmt, "old", label, _date(record, 3, line, "write date"), _field(record, 63, 68), _field(record, 69, 78)
    raise FileRefused("unknown_format", "Not an Autogiro payment report: the opening record is not one", line=line)


def _unsupported(label: str, line: int) -> FileRefused:
    for known, what in OTHER_REPORTS.items():
        if label.startswith(known):
            return FileRefused(
                "unsupported", f"An Autogiro report of {what} ({label}); it is not read here", line=line, label=label
            )
    return FileRefused("unsupported", f"An Autogiro report labelled {label!r} is not read here", line=line, label=label)


def _stamp(stamp: str, line: int) -> dt.datetime | dt.date:
    try:
        if len(stamp) >= 14 and stamp.isdigit():
            return dt.datetime(
                int(stamp[:4]),
                int(stamp[4:6]),
                int(stamp[6:8]),
                int(stamp[8:10]),
                int(stamp[10:12]),
                int(stamp[12:14]),
                tzinfo=STOCKHOLM,
            )
        return dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
    except ValueError:
        raise FileRefused("invalid_value", f"The opening record's date is no date: {stamp!r}", line=line) from None


def _optional_date(record: str, start: int, line: int, name: str) -> dt.date | None:
    text = _field(record, start, start + 7)
    if text.strip() in ("", "GENAST") or text.startswith("GENAST"):
        return None
    return _date(record, start, line, name)


def _lenient_date(record: str) -> dt.date | None:
    """A rejected order's date: it may be why it was rejected (comment code 12, "20080633")."""
    text = _field(record, 3, 10)
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


class AutogiroReader:
    """Iterate for the results; `summary` is set when the iteration has ended without a refusal."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.summary: FileSummary | None = None

    def __iter__(self) -> Iterator[AutogiroResult]:
        with open_source(self.source) as fileobj:
            records = fixed_records(fileobj, encoding=ENCODING)
            warnings: list[str] = []
            for line, record in records:
                # Bankgirot's example files carry a title or a column ruler before the opening record.
                if record[:2].isdigit():
                    break
                warnings.append(f"line {line}: text before the opening record skipped")
            else:
                raise FileRefused("empty", "The file holds no records")
            fmt, layout, label, when, customer, bankgiro = read_opening(record, line)
            self.format = fmt
            reader = self._payments if fmt is FileFormat.AUTOGIRO_PAYMENTS else self._rejected
            state = {
                "format": fmt,
                "layout": layout,
                "when": when,
                "customer": customer,
                "bankgiro": bankgiro,
                "warnings": warnings,
                "label": label,
            }
            yield from reader(records, layout, state)

    # --- payment specification --------------------------------------------------------------------

    def _payments(self, records, layout: str, state: dict) -> Iterator[AutogiroResult]:
        sections: list[Section] = []
        counts = {"15": 0, "16": 0, "17": 0, "82": 0, "32": 0, "77": 0, "82x": 0, "32x": 0}
        sums = {"82": Decimal("0.00"), "32": Decimal("0.00")}
        open_section: dict | None = None
        results = 0
        credit = debit = Decimal("0.00")
        ended = False
        for line, record in records:
            kind = record[:2]
            if ended:
                raise FileRefused("malformed", f"A record ({kind}) after the end record (09)", line=line)
            if kind in ("15", "16", "17"):
                if layout == "old":
                    raise FileRefused("malformed", f"A TK{kind} in an old-layout payment specification", line=line)
                if open_section:
                    sections.append(self._close(open_section))
                counts[kind] += 1
                open_section = {
                    "kind": kind,
                    "line": line,
                    "account": _field(record, 3, 37).strip(),
                    "date": _date(record, 38, line, "payment date"),
                    "serial": _field(record, 46, 50),
                    "amount": _amount(record, 51, 68, line),
                    "count": _number(record, 72, 79, line, "number of approved payments"),
                    "sum": Decimal("0.00"),
                    "n": 0,
                    "records": 0,
                }
            elif kind in ("82", "32", "77"):
                expected = {"82": "15", "32": "16", "77": "17"}[kind]
                if layout == "new" and (open_section is None or open_section["kind"] != expected):
                    raise FileRefused("malformed", f"A TK{kind} outside its TK{expected}", line=line)
                result = self._payment(kind, record, line, layout, open_section)
                counts[kind] += 1
                if kind in sums:
                    sums[kind] += result.amount
                if result.outcome in (Outcome.APPROVED, Outcome.REFUNDED):
                    if kind in ("82", "32"):
                        counts[kind + "x"] += 1
                    if open_section:
                        open_section["sum"] += result.amount
                        open_section["n"] += 1
                    if kind == "82":
                        credit += result.amount
                    else:
                        debit += result.amount
                if open_section:
                    open_section["records"] += 1
                results += 1
                yield result
            elif kind == "09":
                if open_section:
                    sections.append(self._close(open_section))
                    open_section = None
                if layout == "new":
                    stated = {
                        "TK15": (_number(record, 15, 20, line, "number of TK15"), counts["15"]),
                        "executed TK82": (_number(record, 21, 32, line, "number of TK82"), counts["82x"]),
                        "TK16": (_number(record, 33, 38, line, "number of TK16"), counts["16"]),
                        "executed TK32": (_number(record, 39, 50, line, "number of TK32"), counts["32x"]),
                        "TK17": (_number(record, 51, 56, line, "number of TK17"), counts["17"]),
                        "TK77": (_number(record, 57, 68, line, "number of TK77"), counts["77"]),
                    }
                else:
                    stated = {
                        "sum of TK32": (_amount(record, 29, 40, line, "sum of TK32"), sums["32"]),
                        "TK32": (_number(record, 41, 46, line, "number of TK32"), counts["32"]),
                        "TK82": (_number(record, 47, 52, line, "number of TK82"), counts["82"]),
                        "sum of TK82": (_amount(record, 57, 68, line, "sum of TK82"), sums["82"]),
                    }
                _check_end(stated, line)
                ended = True
            else:
                state["warnings"].append(f"line {line}: unknown record type {kind!r} skipped")
        if not ended:
            raise FileRefused("missing", "The file has no end record (09): it is cut short")
        self.summary = self._summary(state, sections, results, credit, debit)

    @staticmethod
    def _close(section: dict) -> Section:
        kind = section["kind"]
        if section["sum"] != section["amount"]:
            raise FileRefused(
                "totals_mismatch",
                f"TK{kind} states {section['amount']}; its approved payments make {section['sum']}",
                line=section["line"],
                stated=str(section["amount"]),
                computed=str(section["sum"]),
            )
        if section["count"] != section["n"]:
            raise FileRefused(
                "count_mismatch",
                f"TK{kind} states {section['count']} approved payments; the file has {section['n']}",
                line=section["line"],
                stated=section["count"],
                computed=section["n"],
            )
        names = {"15": "deposit", "16": "withdrawal", "17": "refund"}
        return Section(
            kind=names[kind],
            identifier=section["serial"],
            account=None,
            currency="SEK",
            date=section["date"],
            transaction_count=section["records"],
            credit_total=section["sum"] if kind == "15" else Decimal("0.00"),
            debit_total=section["sum"] if kind != "15" else Decimal("0.00"),
            stated_count=section["count"],
            stated_total=section["amount"],
            line=section["line"],
            details={"bank_account": section["account"]},
        )

    @staticmethod
    def _payment(kind: str, record: str, line: int, layout: str, section: dict | None) -> AutogiroResult:
        common = {
            "order_type": kind if kind != "77" else "82",
            "payer_number": _field(record, 16, 31).strip().lstrip("0"),
            "amount": _amount(record, 32, 43, line),
            "payment_date": _optional_date(record, 3, line, "payment date"),
            "reference": _field(record, 54, 69).strip(),
            "payee_bankgiro": format_bankgiro(_field(record, 44, 53)),
            "period_code": _field(record, 11, 11).strip(),
            "occurrences": _field(record, 12, 14).strip(),
            "deposit_serial": section["serial"] if section else "",
            "line": line,
        }
        if kind == "77":
            code = _field(record, 78, 79)
            return AutogiroResult(
                outcome=Outcome.REFUNDED,
                code=code,
                reason=REFUND_CODES.get(code, f"refund code {code}"),
                refund_date=_date(record, 70, line, "refund date"),
                **common,
            )
        status = _field(record, 80, 80).strip()
        if layout == "new" and status == "":
            raise FileRefused("missing", "The payment has no status (position 80)", line=line)
        if status not in STATUS:
            raise FileRefused(
                "invalid_value", f"Unknown payment status {status!r} (position 80)", line=line, value=status
            )
        outcome = Outcome.APPROVED if status in ("", "0") else Outcome.STOPPED
        return AutogiroResult(outcome=outcome, code=status, reason=STATUS[status], **common)

    # --- rejected payment orders ------------------------------------------------------------------

    def _rejected(self, records, layout: str, state: dict) -> Iterator[AutogiroResult]:
        counts = {"82": 0, "32": 0}
        sums = {"82": Decimal("0.00"), "32": Decimal("0.00")}
        results = 0
        ended = False
        for line, record in records:
            kind = record[:2]
            if ended:
                raise FileRefused("malformed", f"A record ({kind}) after the end record (09)", line=line)
            if kind in ("82", "32"):
                code = _field(record, 59, 60)
                result = AutogiroResult(
                    outcome=Outcome.REJECTED,
                    order_type=kind,
                    payer_number=_field(record, 15, 30).strip().lstrip("0"),
                    amount=_amount(record, 31, 42, line),
                    payment_date=_lenient_date(record),
                    date_as_given=_field(record, 3, 10).strip(),
                    reference=_field(record, 43, 58).strip(),
                    payee_bankgiro=format_bankgiro(state["bankgiro"]),
                    period_code=_field(record, 11, 11).strip(),
                    occurrences=_field(record, 12, 14).strip(),
                    code=code,
                    reason=REJECTION_CODES.get(code, f"comment code {code}"),
                    line=line,
                )
                counts[kind] += 1
                sums[kind] += result.amount
                results += 1
                yield result
            elif kind == "09":
                _check_end(
                    {
                        "TK32": (_number(record, 15, 20, line, "number of TK32"), counts["32"]),
                        "sum of TK32": (_amount(record, 21, 32, line, "sum of TK32"), sums["32"]),
                        "TK82": (_number(record, 33, 38, line, "number of TK82"), counts["82"]),
                        "sum of TK82": (_amount(record, 39, 50, line, "sum of TK82"), sums["82"]),
                    },
                    line,
                )
                ended = True
            else:
                state["warnings"].append(f"line {line}: unknown record type {kind!r} skipped")
        if not ended:
            raise FileRefused("missing", "The file has no end record (09): it is cut short")
        self.summary = self._summary(state, [], results, Decimal("0.00"), Decimal("0.00"))

    @staticmethod
    def _summary(state: dict, sections: list[Section], results: int, credit: Decimal, debit: Decimal) -> FileSummary:
        account = Account(AccountScheme.BANKGIRO, format_bankgiro(state["bankgiro"]))
        when = state["when"]
        return FileSummary(
            format=state["format"],
            version=state["layout"],
            message_id=when.strftime("%Y%m%d%H%M%S") if isinstance(when, dt.datetime) else when.strftime("%Y%m%d"),
            created_at=when,
            test=False,
            accounts=(account,),
            sections=tuple(sections),
            transaction_count=results,
            credit_totals={"SEK": credit} if credit else {},
            debit_totals={"SEK": debit} if debit else {},
            warnings=tuple(state["warnings"]),
            details={"customer_number": state["customer"].lstrip("0"), "label": state["label"]},
        )


def _check_end(stated: dict[str, tuple], line: int) -> None:
    wrong = [f"{what}: {said} stated, {found} in the file" for what, (said, found) in stated.items() if said != found]
    if wrong:
        raise FileRefused(
            "count_mismatch",
            "The end record does not match the file: " + "; ".join(wrong),
            line=line,
            mismatches={what: {"stated": str(s), "found": str(f)} for what, (s, f) in stated.items() if s != f},
        )
