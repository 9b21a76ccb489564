"""What an SIE 4 file holds, as plain frozen dataclasses, and the format's one error.

Names follow SIE-Gruppen, "SIE filformat, Utgåva 4B" (2008-09-30), chapter 11, where each
record is described; the record a field comes from is named beside it. Amounts are `Decimal`
in the file's currency (`#VALUTA`, SEK when absent), debit positive and credit negative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from fakturera.core.errors import DomainError


class SieType(StrEnum):
    """`#SIETYP 4` in both; the spec tells them apart by content and file extension (§4.7, §5.1):
    4E is an accounting program's full export (balances, `.SE`), 4I transactions for import
    into one (no balances allowed, `.SI`)."""

    EXPORT = "4E"
    IMPORT = "4I"


class BalanceKind(StrEnum):
    OPENING = "IB"  # #IB: a balance-sheet account's opening balance
    CLOSING = "UB"  # #UB: its closing balance
    RESULT = "RES"  # #RES: a profit-and-loss account's balance for the year


class AccountType(StrEnum):
    """#KTYP: tillgång, skuld, kostnad, intäkt."""

    ASSET = "T"
    LIABILITY = "S"
    COST = "K"
    INCOME = "I"


@dataclass(frozen=True, slots=True)
class FiscalYear:
    """#RAR: 0 the current year, -1 the previous, and so on."""

    index: int
    start_on: dt.date
    end_on: dt.date


@dataclass(frozen=True, slots=True)
class Header:
    company_name: str  # #FNAMN
    generated_on: dt.date  # #GEN date
    org_number: str = ""  # #ORGNR, 556334-3689 (the spec asks for the hyphen; files read may lack it)
    generated_by: str = ""  # #GEN sign
    program: str = "Fakturera"  # #PROGRAM name
    program_version: str = "1.0"  # #PROGRAM version
    fiscal_years: tuple[FiscalYear, ...] = ()  # #RAR
    currency: str = "SEK"  # #VALUTA
    sie_type: SieType = SieType.IMPORT


@dataclass(frozen=True, slots=True)
class Account:
    number: str  # #KONTO: digits only (§11 #KONTO: "Kontonummer skall vara numeriskt")
    name: str
    type: AccountType | None = None  # #KTYP


@dataclass(frozen=True, slots=True)
class Dimension:
    """#DIM. Reserved numbers (§8.17): 1 cost centre, 2 cost unit, 6 project, 7 employee,
    8 customer, 9 supplier, 10 invoice; 20 and up free. Reserved ones need no declaration."""

    number: int
    name: str


@dataclass(frozen=True, slots=True)
class SieObject:
    """#OBJEKT: an object (a cost centre, a project, a customer...) within a dimension."""

    dimension: int
    number: str
    name: str


@dataclass(frozen=True, slots=True)
class Balance:
    """#IB, #UB, #RES (4E only)."""

    kind: BalanceKind
    year: int  # the #RAR index: 0, -1, ...
    account: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    """#TRANS kontonr {objektlista} belopp transdat transtext kvantitet. `date` None: the
    voucher's date (§11 #TRANS 2)."""

    account: str
    amount: Decimal
    objects: tuple[tuple[int, str], ...] = ()  # (dimension, object number) pairs
    date: dt.date | None = None
    text: str = ""
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Voucher:
    """#VER serie vernr verdatum vertext regdatum, then its #TRANS in braces. In 4I series and
    number may be empty ("" and None): the accounting program numbers the voucher."""

    series: str
    number: int | None
    date: dt.date
    text: str
    transactions: tuple[Transaction, ...]
    registered_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class SieWarning:
    line: int
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class SieFile:
    """A file read whole (`read_sie`). `flag` is #FLAGGA: 1 when an accounting program has
    imported the file already. `checksum` is the #KSUMMA value, checked, or None without one."""

    header: Header
    accounts: tuple[Account, ...]
    dimensions: tuple[Dimension, ...]
    objects: tuple[SieObject, ...]
    balances: tuple[Balance, ...]
    vouchers: tuple[Voucher, ...]
    flag: int = 0
    checksum: int | None = None
    encoding: str = "cp437"
    warnings: tuple[SieWarning, ...] = ()


class SieError(DomainError):
    """A file refused whole (reading), or vouchers that cannot be written (writing).

    `code`: `empty`, `malformed`, `missing`, `invalid_value`, `encoding`, `unsupported`,
    `unbalanced`, `checksum`, `unknown_account`; `line` the 1-based line of the file where it is
    wrong (reading), `params` the values the message names, so the app can word it in the user's
    language. The message is English and names the line: no gettext here, as in payments.files."""

    def __init__(self, code: str, message: str, *, line: int | None = None, **params: object) -> None:
        super().__init__(f"Line {line}: {message}" if line is not None else message, code=code)
        self.line = line
        self.detail = message
        self.params = params
