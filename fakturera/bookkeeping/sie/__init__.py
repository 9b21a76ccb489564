"""SIE 4 (SIE-Gruppen, "SIE filformat, Utgåva 4B", 2008-09-30): the file format alone, pure
Python, no models, no database. See ../DESIGN.md, "SIE 4".

    from fakturera.bookkeeping.sie import write_sie, iter_sie, read_sie, SieReader

    write_sie(out, header=Header(...), accounts=[Account(...)], vouchers=iterator)  # PC8 bytes
    sie = read_sie(path_or_bytes)           # SieFile, every voucher checked to balance
"""

from fakturera.bookkeeping.sie.reader import SieReader, read_sie
from fakturera.bookkeeping.sie.types import (
    Account,
    AccountType,
    Balance,
    BalanceKind,
    Dimension,
    FiscalYear,
    Header,
    SieError,
    SieFile,
    SieObject,
    SieType,
    SieWarning,
    Transaction,
    Voucher,
)
from fakturera.bookkeeping.sie.writer import SieWriter, WriteStats, iter_sie, write_sie

__all__ = [
    "Account",
    "AccountType",
    "Balance",
    "BalanceKind",
    "Dimension",
    "FiscalYear",
    "Header",
    "SieError",
    "SieFile",
    "SieObject",
    "SieReader",
    "SieType",
    "SieWarning",
    "SieWriter",
    "Transaction",
    "Voucher",
    "WriteStats",
    "iter_sie",
    "read_sie",
    "write_sie",
]
