"""Readers of the banks' payment files: pure functions and generators, no models, no database.

    from fakturera.payments.files import read_file, open_reader

    bank_file = read_file(path_or_bytes_or_upload)   # everything, after every check
    bank_file.summary.format, bank_file.summary.accounts, bank_file.transactions

    reader = open_reader(source)                     # streaming: one transaction at a time
    for transaction in reader: ...                   # FileRefused may come at any point,
    reader.summary                                   # the totals are checked at the end

A FileRefused from either means the whole file is refused: an importer reads inside one
database transaction and rolls it back. See DESIGN.md in the package above.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakturera.payments.files.autogiro import AutogiroReader, AutogiroResult, Outcome
from fakturera.payments.files.bgmax import BgMaxReader
from fakturera.payments.files.camt import CamtReader
from fakturera.payments.files.detect import detect_format
from fakturera.payments.files.source import Source, head, open_source
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
)

__all__ = [
    "Account",
    "AccountScheme",
    "AutogiroReader",
    "AutogiroResult",
    "BankFile",
    "BankTransaction",
    "BgMaxReader",
    "CamtReader",
    "Direction",
    "ExtraReference",
    "FileFormat",
    "FileRefused",
    "FileSummary",
    "Method",
    "Outcome",
    "Section",
    "detect_format",
    "iter_transactions",
    "open_reader",
    "read_file",
]

Reader = CamtReader | BgMaxReader | AutogiroReader


@dataclass(frozen=True)
class BankFile:
    summary: FileSummary
    transactions: tuple[BankTransaction, ...] | tuple[AutogiroResult, ...]


def open_reader(source: Source) -> Reader:
    """The reader for the file's format, detected from its content."""
    with open_source(source) as fileobj:
        fmt = detect_format(head(fileobj))
    if fmt in (FileFormat.CAMT_053, FileFormat.CAMT_054):
        return CamtReader(source)
    if fmt is FileFormat.BGMAX:
        return BgMaxReader(source)
    return AutogiroReader(source)


def iter_transactions(source: Source):
    """The file's transactions (or Autogiro results) one by one; the totals are checked at the end."""
    yield from open_reader(source)


def read_file(source: Source) -> BankFile:
    """The whole file, read and checked: its summary and every transaction, or FileRefused."""
    reader = open_reader(source)
    transactions = tuple(reader)
    assert reader.summary is not None
    return BankFile(reader.summary, transactions)
