"""The readers' common result types and their one error.

Every reader yields `BankTransaction` (camt, BgMax) or `AutogiroResult` (Autogiro reports) and
ends with a `FileSummary` that states what the file said about itself (counts, totals) after
those statements were checked. Amounts are `Decimal` in the currency's unit (kronor, not öre).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from fakturera.core.errors import DomainError
from fakturera.core.ocr import ReferenceKind


class FileFormat(StrEnum):
    CAMT_053 = "camt.053"
    CAMT_054 = "camt.054"
    BGMAX = "bgmax"
    AUTOGIRO_PAYMENTS = "autogiro.payments"  # payment specification, new layout "BET. SPEC & STOPP TK" or old
    AUTOGIRO_REJECTED = "autogiro.rejected"  # rejected payment orders, "AVVISADE BET UPPDR" / "FELLISTA REG.KONTRL"


class FileRefused(DomainError):
    """The file is refused whole: nothing in it may be imported.

    `code` says what is wrong (`unknown_format`, `empty`, `malformed`, `missing`, `invalid_value`,
    `totals_mismatch`, `count_mismatch`, `encoding`, `unsupported`); `line` is the 1-based line
    (record) number and `path` the element path (camt) where it is wrong; `params` holds the
    values the message names, so the app can word it in its own language."""

    def __init__(
        self, code: str, message: str, *, line: int | None = None, path: str | None = None, **params: object
    ) -> None:
        where = []
        if line is not None:
            where.append(f"line {line}")
        if path:
            where.append(path)
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full, code=code)
        self.line = line
        self.path = path
        self.params = params


class Direction(StrEnum):
    CREDIT = "CRDT"  # money in
    DEBIT = "DBIT"  # money out


class AccountScheme(StrEnum):
    IBAN = "iban"
    BANKGIRO = "bankgiro"
    PLUSGIRO = "plusgiro"
    BBAN = "bban"
    OTHER = "other"


class Method(StrEnum):
    """How the money came, as far as the file tells."""

    BANKGIRO = "bankgiro"
    PLUSGIRO = "plusgiro"
    AUTOGIRO = "autogiro"
    TRANSFER = "transfer"  # account-to-account credit transfer
    SWISH = "swish"
    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Account:
    """An account as the file gives it: `value` normalised (IBAN compact and upper case;
    bankgiro and plusgiro numbers as NNN-NNNN / NNNNNN-N without leading zeros), `scheme` what it is."""

    scheme: AccountScheme
    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ExtraReference:
    """A further reference given for one payment (BgMax TK22/TK23; camt's second and later
    Strd/CdtrRefInf and RfrdDocInf). `amount` is what the file assigns to it, if anything;
    negative for BgMax TK23 (a deduction)."""

    value: str
    kind: ReferenceKind
    amount: Decimal | None = None
    position: str = ""


@dataclass(frozen=True)
class BankTransaction:
    """One incoming or outgoing payment as the bank reports it.

    `amount` is positive; `direction` says in or out. It is None only where a batched camt entry
    gives no amount per transaction (the entry's total is `entry_amount`). `reference` is the
    structured reference as given (OCR, RF or whatever the payer typed into the reference field),
    `reference_kind` what it looks like; `message` the unstructured text lines joined by newlines.
    `dedup_keys` are the bank's own identifiers for this transaction, strongest first, each
    prefixed by what it is (see DESIGN.md): the same key in two files is the same transaction."""

    format: FileFormat
    amount: Decimal | None
    currency: str
    direction: Direction
    account: Account | None  # the account paid to (or from, for a debit): the file's own account
    booking_date: dt.date | None
    value_date: dt.date | None
    payer_name: str = ""
    payer_account: str = ""  # as given (a bankgiro number, an IBAN, a clearing + account number)
    payer_account_scheme: AccountScheme | None = None
    payer_org_number: str = ""
    payer_address: tuple[str, ...] = ()
    reference: str = ""
    reference_kind: ReferenceKind | None = None
    reference_checked: bool = False  # the bank checked the OCR reference (BgMax reference code 2)
    extra_references: tuple[ExtraReference, ...] = ()
    message: str = ""
    reversal: bool = False
    status: str = "BOOK"  # camt Ntry/Sts: BOOK, PDNG, INFO; BgMax and Autogiro: BOOK
    method: Method = Method.UNKNOWN
    charges: Decimal | None = None
    end_to_end_id: str = ""
    tx_id: str = ""
    uetr: str = ""
    acct_svcr_ref: str = ""  # the transaction's AcctSvcrRef, or else the entry's
    entry_ref: str = ""  # camt NtryRef
    bank_serial: str = ""  # BgMax: the BGC serial number of the payment
    deposit_serial: str = ""  # BgMax: the deposit (TK15) serial number
    entry_amount: Decimal | None = None
    entry_index: int = 0  # 1-based: camt Ntry within the file, BgMax deposit within the file
    index_in_entry: int = 0  # 1-based: TxDtls within the Ntry, payment within the deposit
    position: str = ""  # where in the file: "line 12" (BgMax), an element path with its line (camt)
    line: int | None = None  # the first line of the transaction
    dedup_keys: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def signed_amount(self) -> Decimal | None:
        if self.amount is None:
            return None
        return -self.amount if self.direction is Direction.DEBIT else self.amount


@dataclass(frozen=True)
class Section:
    """One part of a file with an account and its own stated totals: a camt Ntfctn or Stmt,
    a BgMax deposit (TK05..TK15), an Autogiro deposit/withdrawal (TK15/16/17)."""

    kind: str  # "notification", "statement", "deposit", "withdrawal", "refund"
    identifier: str
    account: Account | None
    currency: str
    date: dt.date | None
    transaction_count: int
    credit_total: Decimal
    debit_total: Decimal
    stated_count: int | None = None
    stated_total: Decimal | None = None
    line: int | None = None
    details: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class FileSummary:
    """What the file says about itself, after reading all of it and checking its counts and totals."""

    format: FileFormat
    version: str  # camt: "001.02"; BgMax: "01"; Autogiro: "new" or "old"
    message_id: str  # camt GrpHdr/MsgId; BgMax and Autogiro: the opening record's timestamp
    created_at: dt.datetime | dt.date | None
    test: bool  # BgMax "T" (test) files; always False for the others
    accounts: tuple[Account, ...]
    sections: tuple[Section, ...]
    transaction_count: int
    credit_totals: dict[str, Decimal]  # per currency: what the transactions add up to
    debit_totals: dict[str, Decimal]
    warnings: tuple[str, ...] = ()  # what is odd but not refused (a batch count the details do not reach)
    details: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def format_bankgiro(digits: str) -> str:
    """NNN-NNNN / NNNN-NNNN (as `core.identifiers.clean_bankgiro` stores it) from a bankgiro number
    zero-filled to 10 digits, as bank files write it. No check digit test: Bankgirot's own files
    carry numbers that fail it. Empty for no number (all zeros)."""
    digits = digits.strip().lstrip("0")
    return f"{digits[:-4]}-{digits[-4:]}" if len(digits) > 4 else digits


def format_plusgiro(digits: str) -> str:
    """A plusgiro number as written, N-N to NNNNNNN-N (the check digit after the dash)."""
    digits = digits.strip().lstrip("0")
    return f"{digits[:-1]}-{digits[-1:]}" if len(digits) > 1 else digits
