"""Writing SIE 4 (4I or 4E), streamed: vouchers come from an iterator and leave as PC8 bytes.

    write_sie(out, header=..., accounts=..., vouchers=iterator, balances=...)  # -> WriteStats
    for chunk in iter_sie(header=..., ...): response.write(chunk)             # the same bytes

The records, in the order SIE filformat 4B §5.12 prescribes (flag, identification, chart of
accounts, balances and vouchers) and as the sample files have them:

    #FLAGGA 0            §11 #FLAGGA: 0 when written; the importing program sets 1
    #KSUMMA              §10.4: the checksum follows (unless checksum=False)
    #PROGRAM "Fakturera" "1.0"
    #FORMAT PC8
    #GEN 20260131 "sign"
    #SIETYP 4
    #ORGNR 556334-3689   §11 #ORGNR 1: the hyphen after the sixth digit
    #FNAMN "Company AB"
    #RAR 0 20260101 20261231     (every fiscal year given; mandatory in 4E)
    #VALUTA SEK
    #DIM / #OBJEKT       (those given)
    #KONTO 1510 "Kundfordringar", #KTYP 1510 T   (§11 #KONTO 3: every account used)
    #IB / #UB / #RES     (4E only, §6: not allowed in 4I)
    #VER A 1 20260131 "Faktura 1001" 20260131
    {
    #TRANS 1510 {} 1250.00
    ...
    }
    #KSUMMA 1234567890

Refused before anything of the voucher is written (`SieError`): a voucher whose transactions do
not sum to zero (§11 #TRANS 4), a voucher without transactions (§11 #VER 1), an account not in
`accounts`, an amount with more than two decimals (§5.9: we never round here; amounts come
rounded by core.money), numbered vouchers of a series out of ascending order (§11 #VER 7),
balances in a 4I file, a 4E file without #RAR. The bytes before the refusal have been written:
a caller streaming to a client sends the error instead of the end of the file.

Speed: a year of a large company is a million #TRANS rows. Per row the work is one dictionary
lookup for the account's precomputed "#TRANS 1510 {} " (and its checksum content), `str()` of
the Decimal amount (stored amounts have two decimals already) and two list appends; dates go
through a per-file cache; lines are joined, encoded and checksummed a few thousand vouchers at a
time. `bench/sie_export.py` measures it.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from fakturera.bookkeeping.sie.syntax import field, pc8_bytes, quoted
from fakturera.bookkeeping.sie.types import (
    Account,
    Balance,
    BalanceKind,
    Dimension,
    Header,
    SieError,
    SieObject,
    SieType,
    Transaction,
    Voucher,
)

_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_FLUSH_LINES = 16_384  # lines per chunk: about half a megabyte


@dataclass
class WriteStats:
    vouchers: int = 0
    transactions: int = 0
    bytes: int = 0
    checksum: int | None = None


def write_sie(
    out: BinaryIO,
    *,
    header: Header,
    accounts: Iterable[Account],
    vouchers: Iterable[Voucher],
    balances: Iterable[Balance] = (),
    dimensions: Iterable[Dimension] = (),
    objects: Iterable[SieObject] = (),
    checksum: bool = True,
) -> WriteStats:
    """Write the file to a binary stream; what was written is counted in the result."""
    writer = SieWriter(
        header=header,
        accounts=accounts,
        vouchers=vouchers,
        balances=balances,
        dimensions=dimensions,
        objects=objects,
        checksum=checksum,
    )
    for chunk in writer.chunks():
        out.write(chunk)
    return writer.stats


def iter_sie(
    *,
    header: Header,
    accounts: Iterable[Account],
    vouchers: Iterable[Voucher],
    balances: Iterable[Balance] = (),
    dimensions: Iterable[Dimension] = (),
    objects: Iterable[SieObject] = (),
    checksum: bool = True,
) -> Iterator[bytes]:
    """The file as chunks of bytes, for a streaming HTTP response."""
    return SieWriter(
        header=header,
        accounts=accounts,
        vouchers=vouchers,
        balances=balances,
        dimensions=dimensions,
        objects=objects,
        checksum=checksum,
    ).chunks()


def date_text(day: dt.date) -> str:
    """§5.10: ÅÅÅÅMMDD."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def amount_text(amount: Decimal) -> str:
    """§5.9: a point, at most two decimals (we write exactly two), a leading minus, no plus."""
    text = str(amount)
    if len(text) > 3 and text[-3] == ".":  # the stored form: 1250.00, -0.50
        return "0.00" if text == "-0.00" else text
    return _amount_text_slow(amount)


def _amount_text_slow(amount: object) -> str:
    try:
        value = Decimal(amount) if isinstance(amount, int | str) else amount
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidOperation
        exact = value.quantize(_CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise SieError("invalid_value", f"{amount!r} is not an amount", value=str(amount)) from None
    if exact != value:
        raise SieError(
            "invalid_value",
            f"The amount {amount} has more than two decimals (SIE 4B §5.9); round it first",
            value=str(amount),
        )
    text = format(exact, "f")
    return "0.00" if text == "-0.00" else text


def _quantity_text(quantity: Decimal) -> str:
    if not isinstance(quantity, Decimal) or not quantity.is_finite():
        raise SieError("invalid_value", f"{quantity!r} is not a quantity", value=str(quantity))
    text = format(quantity, "f")
    return text[1:] if text.startswith("-") and Decimal(text) == 0 else text


def org_number_text(org_number: str) -> str:
    """§11 #ORGNR 1: a hyphen after the sixth digit (556334-3689)."""
    digits = org_number.strip()
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:6]}-{digits[6:]}"
    return digits


def _line(label: str, *fields: tuple[str, str]) -> tuple[str, str]:
    """A record: (its line, its checksum content)."""
    if not fields:
        return f"{label}\n", label
    return (
        f"{label} {' '.join(written for written, _ in fields)}\n",
        label + "".join(content for _, content in fields),
    )


def _bare(text: str) -> tuple[str, str]:
    return text, text


def _objects(objects: tuple[tuple[int, str], ...]) -> tuple[str, str]:
    written: list[str] = []
    content: list[str] = []
    for dimension, number in objects:
        if not isinstance(dimension, int) or dimension < 1:
            raise SieError("invalid_value", f"{dimension!r} is not a dimension number", value=str(dimension))
        object_written, object_content = quoted(str(number))
        written.append(f"{dimension} {object_written}")
        content.append(f"{dimension}{object_content}")
    return "{" + " ".join(written) + "}", "".join(content)


def _check_account_number(number: str) -> str:
    if not (isinstance(number, str) and number.isascii() and number.isdigit()):
        raise SieError(
            "invalid_value",
            f"The account number {number!r} is not numeric (SIE 4B §11 #KONTO 2)",
            account=str(number),
        )
    return number


def _voucher_name(voucher: Voucher) -> str:
    number = "" if voucher.number is None else voucher.number
    return f"{voucher.series} {number}".strip() or f"of {voucher.date.isoformat()} {voucher.text!r}"


class SieWriter:
    """One file. `chunks()` yields its bytes; `stats` is complete when it is exhausted."""

    def __init__(
        self,
        *,
        header: Header,
        accounts: Iterable[Account],
        vouchers: Iterable[Voucher],
        balances: Iterable[Balance] = (),
        dimensions: Iterable[Dimension] = (),
        objects: Iterable[SieObject] = (),
        checksum: bool = True,
    ) -> None:
        self.header = header
        self.accounts = tuple(accounts)
        self.vouchers = vouchers
        self.balances = tuple(balances)
        self.dimensions = tuple(dimensions)
        self.objects = tuple(objects)
        self.checksum = checksum
        self.stats = WriteStats()
        if header.sie_type == SieType.IMPORT and self.balances:
            raise SieError("invalid_value", "Balances (#IB, #UB, #RES) are not allowed in SIE 4I (SIE 4B §6)")
        if header.sie_type == SieType.EXPORT and not header.fiscal_years:
            raise SieError("missing", "SIE 4E needs the fiscal year (#RAR, SIE 4B §6)")
        numbers = [_check_account_number(account.number) for account in self.accounts]
        if len(set(numbers)) != len(numbers):
            twice = sorted({n for n in numbers if numbers.count(n) > 1})
            raise SieError("invalid_value", f"Accounts given twice: {', '.join(twice)}", accounts=twice)

    def chunks(self) -> Iterator[bytes]:
        crc = 0
        prelude = self._prelude()
        written = "".join(line for line, _ in prelude)
        head = b"#FLAGGA 0\n" + (b"#KSUMMA\n" if self.checksum else b"")
        data = head + pc8_bytes(written)
        crc = zlib.crc32(pc8_bytes("".join(content for _, content in prelude)), crc)
        self.stats.bytes += len(data)
        yield data
        for lines, contents in self._voucher_batches():
            data = pc8_bytes("".join(lines))
            if self.checksum:
                crc = zlib.crc32(pc8_bytes("".join(contents)), crc)
            self.stats.bytes += len(data)
            yield data
        if self.checksum:
            self.stats.checksum = crc
            data = f"#KSUMMA {crc}\n".encode("ascii")
            self.stats.bytes += len(data)
            yield data

    def _prelude(self) -> list[tuple[str, str]]:
        header = self.header
        records = [
            _line("#PROGRAM", quoted(header.program), quoted(header.program_version)),
            _line("#FORMAT", _bare("PC8")),
            _line("#GEN", _bare(date_text(header.generated_on)), *self._sign()),
            _line("#SIETYP", _bare("4")),
        ]
        if header.org_number:
            records.append(_line("#ORGNR", field(org_number_text(header.org_number))))
        if not header.company_name.strip():
            raise SieError("missing", "The company's name (#FNAMN) is mandatory (SIE 4B §6)")
        records.append(_line("#FNAMN", quoted(header.company_name)))
        for year in header.fiscal_years:
            records.append(
                _line("#RAR", _bare(str(year.index)), _bare(date_text(year.start_on)), _bare(date_text(year.end_on)))
            )
        if header.currency:
            records.append(_line("#VALUTA", field(header.currency)))
        for dimension in self.dimensions:
            records.append(_line("#DIM", _bare(str(dimension.number)), quoted(dimension.name)))
        for sie_object in self.objects:
            records.append(
                _line("#OBJEKT", _bare(str(sie_object.dimension)), quoted(sie_object.number), quoted(sie_object.name))
            )
        for account in self.accounts:
            records.append(_line("#KONTO", _bare(account.number), quoted(account.name)))
            if account.type:
                records.append(_line("#KTYP", _bare(account.number), _bare(str(account.type))))
        known = {account.number for account in self.accounts}
        order = {BalanceKind.OPENING: 0, BalanceKind.CLOSING: 1, BalanceKind.RESULT: 2}
        for balance in sorted(self.balances, key=lambda b: (order[b.kind], -b.year)):
            if balance.account not in known:
                raise SieError(
                    "unknown_account",
                    f"The balance of account {balance.account} is given, but the account is not in the chart "
                    "(SIE 4B §11 #KONTO 3: every account used)",
                    account=balance.account,
                )
            fields = [_bare(str(balance.year)), _bare(balance.account), _bare(amount_text(balance.amount))]
            if balance.quantity is not None:
                fields.append(_bare(_quantity_text(balance.quantity)))
            records.append(_line(f"#{balance.kind.value}", *fields))
        return records

    def _sign(self) -> list[tuple[str, str]]:
        return [quoted(self.header.generated_by)] if self.header.generated_by else []

    def _voucher_batches(self) -> Iterator[tuple[list[str], list[str]]]:
        prefixes = {
            number: (f"#TRANS {number} {{}} ", f"#TRANS{number}") for number in (a.number for a in self.accounts)
        }
        dates: dict[dt.date, str] = {}
        last_number: dict[str, int] = {}
        series_fields: dict[str, tuple[str, str]] = {}
        lines: list[str] = []
        contents: list[str] = []
        append_line, append_content = lines.append, contents.append
        stats = self.stats
        zero = _ZERO
        vouchers = transactions = 0
        for voucher in self.vouchers:
            day = voucher.date
            date = dates.get(day)
            if date is None:
                date = dates[day] = date_text(day)
            number = voucher.number
            if number is not None:
                previous = last_number.get(voucher.series)
                if previous is not None and number <= previous:
                    raise SieError(
                        "invalid_value",
                        f"Voucher {_voucher_name(voucher)} follows number {previous} of its series: numbered "
                        "vouchers are written in ascending order per series (SIE 4B §11 #VER 7)",
                        series=voucher.series,
                        number=number,
                    )
                last_number[voucher.series] = number
            series = series_fields.get(voucher.series)
            if series is None:
                series = series_fields[voucher.series] = field(voucher.series) if voucher.series else ('""', "")
            series_written, series_content = series
            number_text = "" if number is None else str(number)
            number_written = number_text or '""'
            text_written, text_content = quoted(voucher.text)
            registered = voucher.registered_on
            if registered is None:
                append_line(f"#VER {series_written} {number_written} {date} {text_written}\n{{\n")
                append_content(f"#VER{series_content}{number_text}{date}{text_content}")
            else:
                reg = dates.get(registered)
                if reg is None:
                    reg = dates[registered] = date_text(registered)
                append_line(f"#VER {series_written} {number_written} {date} {text_written} {reg}\n{{\n")
                append_content(f"#VER{series_content}{number_text}{date}{text_content}{reg}")
            total = zero
            count = 0
            for transaction in voucher.transactions:
                amount = transaction.amount
                # amount_text inlined: the hot path of a million rows.
                amount_written = str(amount)
                if len(amount_written) < 4 or amount_written[-3] != "." or amount_written == "-0.00":
                    amount_written = _amount_text_slow(amount)
                total += amount
                count += 1
                prefix = prefixes.get(transaction.account)
                if prefix is None:
                    raise self._unknown_account(voucher, transaction)
                if (
                    transaction.objects
                    or transaction.date is not None
                    or transaction.text
                    or transaction.quantity is not None
                ):
                    line, content = self._transaction(transaction, amount_written, dates)
                    append_line(line)
                    append_content(content)
                else:
                    append_line(f"{prefix[0]}{amount_written}\n")
                    append_content(f"{prefix[1]}{amount_written}")
            if count == 0:
                raise SieError(
                    "invalid_value",
                    f"Voucher {_voucher_name(voucher)} has no transactions (SIE 4B §11 #VER 1)",
                    series=voucher.series,
                    number=number,
                )
            if total != zero:
                raise SieError(
                    "unbalanced",
                    f"Voucher {_voucher_name(voucher)} does not balance: its transactions sum to {total} "
                    "(SIE 4B §11 #TRANS 4)",
                    series=voucher.series,
                    number=number,
                    total=str(total),
                )
            append_line("}\n")
            vouchers += 1
            transactions += count
            if len(lines) >= _FLUSH_LINES:
                stats.vouchers, stats.transactions = vouchers, transactions
                yield lines, contents
                lines, contents = [], []
                append_line, append_content = lines.append, contents.append
        stats.vouchers, stats.transactions = vouchers, transactions
        if lines:
            yield lines, contents

    def _transaction(self, transaction: Transaction, amount: str, dates: dict[dt.date, str]) -> tuple[str, str]:
        """A #TRANS with objects, date, text or quantity: the general, slower form."""
        objects_written, objects_content = _objects(transaction.objects) if transaction.objects else ("{}", "")
        written = [f"#TRANS {transaction.account} {objects_written} {amount}"]
        content = [f"#TRANS{transaction.account}{objects_content}{amount}"]
        has_quantity = transaction.quantity is not None
        if transaction.date is not None or transaction.text or has_quantity:
            day = transaction.date
            if day is None:
                written.append('""')
            else:
                date = dates.get(day)
                if date is None:
                    date = dates[day] = date_text(day)
                written.append(date)
                content.append(date)
            if transaction.text or has_quantity:
                text_written, text_content = quoted(transaction.text)
                written.append(text_written)
                content.append(text_content)
            if has_quantity:
                quantity = _quantity_text(transaction.quantity)  # type: ignore[arg-type]
                written.append(quantity)
                content.append(quantity)
        return " ".join(written) + "\n", "".join(content)

    @staticmethod
    def _unknown_account(voucher: Voucher, transaction: Transaction) -> SieError:
        if not (isinstance(transaction.account, str) and transaction.account.isdigit()):
            return SieError(
                "invalid_value",
                f"Voucher {_voucher_name(voucher)}: the account number {transaction.account!r} is not numeric "
                "(SIE 4B §11 #KONTO 2)",
                account=str(transaction.account),
            )
        return SieError(
            "unknown_account",
            f"Voucher {_voucher_name(voucher)} uses account {transaction.account}, which is not in the chart "
            "given (SIE 4B §11 #KONTO 3: every account used is exported)",
            account=transaction.account,
        )
