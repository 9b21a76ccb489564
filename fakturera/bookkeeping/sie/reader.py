"""Reading SIE 4 (4E and 4I), streamed: vouchers are yielded one at a time, each checked.

    sie = read_sie(path_or_bytes_or_stream)       # SieFile: everything, after every check
    reader = SieReader(source)                    # streaming
    for voucher in reader: ...                    # reader.header is set before the first one;
    reader.result()                               # the rest (balances after vouchers, checksum) at the end

A refusal (`SieError` with the line) may come after vouchers were yielded (a later voucher,
the closing #KSUMMA): an importer reads inside one database transaction and rolls it back.

What is checked, each naming the line (SIE filformat 4B):
- #FLAGGA is the first record (§11 #FLAGGA 1); #SIETYP is 4; #FORMAT, if given, is PC8 (the only
  value, §11 #FORMAT); #PROGRAM, #GEN, #FNAMN are present before the first #VER (§6).
- every record's mandatory fields, numbers numeric, dates ÅÅÅÅMMDD (§5.10), amounts with a point
  and at most two decimals (§5.9), quotes closed, no control characters in a line (§5.7);
- #VER is followed by `{` alone on a line, its #TRANS inside, `}` alone on a line (§5.4); the
  transactions sum to zero (§11 #TRANS 4); #TRANS only inside a #VER (§11 #TRANS 3);
- #KSUMMA: the value is the CRC-32 of what lies between (§10.14, syntax.py); a file that opens
  a checksum and lacks the closing #KSUMMA is truncated and refused (§10.6).
Unknown labels and extra fields at the end of a record are ignored (§7.1, §7.3). #RTRANS and
#BTRANS (correction history) are ignored and the #TRANS kept, as §11 #RTRANS 5 allows.

The character set (§5.8: code page 437). Real files that say `#FORMAT PC8` are often ISO-8859-1/15
or UTF-8 (../shared/formats/README.md, "SIE 4"; the two wrong-encoding samples in
../shared/formats/sie/). Code page 437 gives every byte a character, so a wrong file decodes
without an error, into wrong letters ("╓vningsbolaget"). Each line with bytes above 127 is
looked at: valid UTF-8 is UTF-8; Nordic letters of ISO-8859-15 (Ö 0xD6, ä 0xE4, å 0xE5...) with
none of PC8's (0x80-0x9F, where PC8 has åäöÅÄÖéü) are ISO-8859-15; anything else is PC8. By
default a file whose letters are not PC8 is refused, naming the first such line and what its
bytes are; `accept_misencoded=True` reads it in the encoding found instead, with a warning
naming that line (and refuses a file that mixes encodings).

`#FNAMN` written without quotes around a name with blanks (the BL Administration 4I sample)
is read as the whole rest of the line, with a warning.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import BinaryIO

from fakturera.bookkeeping.sie.syntax import PC8, TOKEN, unescape
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

Source = str | os.PathLike | bytes | bytearray | BinaryIO

_AMOUNT = re.compile(r"-?\d+(?:\.\d{1,2})?\Z")
_SIMPLE_TRANS = re.compile(r"[ \t]*#TRANS[ \t]+(\d+)[ \t]+\{\}[ \t]+(-?\d+(?:\.\d{1,2})?)[ \t]*\Z")
_QUANTITY = re.compile(r"-?\d+(?:\.\d+)?\Z")
_INTEGER = re.compile(r"-?\d+\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# ISO-8859-1/15 bytes of letters a Nordic or German text holds: ÄÅÆÉÖØÜ äåæéöøü. In PC8 they
# are box-drawing and mathematical signs, which an accounting file does not hold.
_LATIN_LETTERS = frozenset(b"\xc4\xc5\xc6\xc9\xd6\xd8\xdc\xe4\xe5\xe6\xe9\xf6\xf8\xfc")
_ENCODING_NAMES = {PC8: "PC8 (code page 437)", "utf-8": "UTF-8", "iso8859_15": "ISO-8859-15"}
_BALANCE_LABELS = {"#IB": BalanceKind.OPENING, "#UB": BalanceKind.CLOSING, "#RES": BalanceKind.RESULT}
_MANDATORY = ("#FORMAT", "#GEN", "#PROGRAM", "#SIETYP", "#FNAMN")
_IGNORED_IN_VOUCHER = frozenset({"#RTRANS", "#BTRANS"})

Fields = list[str | tuple[str, ...]]


def read_sie(source: Source, *, accept_misencoded: bool = False) -> SieFile:
    """The whole file, checked. Vouchers are kept in memory: stream with SieReader for large files."""
    reader = SieReader(source, accept_misencoded=accept_misencoded)
    vouchers = tuple(reader)
    return replace(reader.result(), vouchers=vouchers)


def _classify(raw: bytes) -> str:
    """The encoding a line with bytes above 127 is in (see the module's docstring)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    if any(byte in _LATIN_LETTERS for byte in raw) and not any(0x80 <= byte <= 0x9F for byte in raw):
        return "iso8859_15"
    return PC8


@dataclass
class _Open:
    """The voucher being read."""

    line: int
    series: str
    number: int | None
    date: dt.date
    text: str
    registered_on: dt.date | None
    transactions: list[Transaction] = field(default_factory=list)
    total: Decimal = Decimal(0)
    is_block_open: bool = False


class SieReader:
    """Iterate for the vouchers. `header`, `accounts`, `dimensions` and `objects` are set before
    the first voucher is yielded; `result()` holds everything else once the iteration has ended
    without a refusal."""

    def __init__(self, source: Source, *, accept_misencoded: bool = False) -> None:
        self.source = source
        self.accept_misencoded = accept_misencoded
        self.header: Header | None = None
        self.accounts: tuple[Account, ...] = ()
        self.dimensions: tuple[Dimension, ...] = ()
        self.objects: tuple[SieObject, ...] = ()
        self.encoding = PC8
        self._encoding_line: int | None = None
        self._result: SieFile | None = None
        self.warnings: list[SieWarning] = []

    def result(self) -> SieFile:
        if self._result is None:
            raise RuntimeError("The file has not been read to its end")
        return self._result

    # --- lines and tokens ---

    def _open(self) -> BinaryIO:
        source = self.source
        if isinstance(source, bytes | bytearray | memoryview):
            return io.BytesIO(bytes(source))
        if isinstance(source, str | os.PathLike):
            return open(source, "rb")  # closed by _lines
        source.seek(0)
        return source

    def _lines(self) -> Iterator[tuple[int, str]]:
        fileobj = self._open()
        try:
            for number, raw in enumerate(fileobj, start=1):
                raw = raw.rstrip(b"\r\n")
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                    self._found_encoding("utf-8", number)
                if raw.endswith(b"\x1a"):  # a DOS end-of-file mark
                    raw = raw.rstrip(b"\x1a")
                text = raw.decode("ascii") if raw.isascii() else self._decode(raw, number)
                if _CONTROL.search(text):
                    raise SieError(
                        "malformed",
                        "The line holds a control character (SIE 4B §5.7 allows none)",
                        line=number,
                    )
                if text.strip():
                    yield number, text
        finally:
            if fileobj is not self.source:
                fileobj.close()

    def _found_encoding(self, encoding: str, number: int) -> None:
        if self._encoding_line is None:
            self._encoding_line = number
            self.encoding = encoding
            if encoding != PC8:
                if not self.accept_misencoded:
                    raise SieError(
                        "encoding",
                        f"The file says #FORMAT PC8 (code page 437, SIE 4B §5.8), but its letters here are "
                        f"{_ENCODING_NAMES[encoding]}; save it as PC8, or read it as {_ENCODING_NAMES[encoding]}",
                        line=number,
                        encoding=encoding,
                    )
                self.warnings.append(
                    SieWarning(
                        number,
                        "encoding",
                        f"Line {number}: the file says #FORMAT PC8 but is {_ENCODING_NAMES[encoding]}; read as such",
                    )
                )
        elif encoding != self.encoding:
            raise SieError(
                "encoding",
                f"The line is {_ENCODING_NAMES[encoding]}, while line {self._encoding_line} was "
                f"{_ENCODING_NAMES[self.encoding]}: the file mixes character sets",
                line=number,
                encoding=encoding,
            )

    def _decode(self, raw: bytes, number: int) -> str:
        kind = _classify(raw)
        if self._encoding_line is None or kind != self.encoding:
            if self.encoding == "iso8859_15" and kind == PC8:
                kind = "iso8859_15"  # every byte is ISO-8859-15 too; no sign of PC8 letters here
            self._found_encoding(kind, number)
        return raw.decode(self.encoding)

    @staticmethod
    def _tokens(text: str, number: int) -> Fields:
        """(label, fields); an object list `{1 "456"}` is one field, a tuple of its values."""
        fields: Fields = []
        group: list[str] | None = None
        position, end = 0, len(text.rstrip(" \t"))
        match_at = TOKEN.match
        while position < end:
            match = match_at(text, position)
            if match is None:
                raise SieError("malformed", "A quoted field is not closed", line=number)
            position = match.end()
            quoted, brace, bare = match.groups()
            if brace == "{":
                if group is not None:
                    raise SieError("malformed", "An object list inside an object list", line=number)
                group = []
            elif brace == "}":
                if group is None:
                    raise SieError("malformed", "A '}' closes no object list", line=number)
                fields.append(tuple(group))
                group = None
            else:
                value = unescape(quoted) if quoted is not None else bare
                (fields if group is None else group).append(value)
        if group is not None:
            raise SieError("malformed", "An object list is not closed with '}'", line=number)
        return fields

    # --- the records ---

    def __iter__(self) -> Iterator[Voucher]:
        seen: dict[str, int] = {}
        header: dict[str, object] = {"fiscal_years": []}
        accounts: dict[str, Account] = {}
        dimensions: list[Dimension] = []
        objects: list[SieObject] = []
        balances: list[Balance] = []
        flag = 0
        first = True
        summing = False  # between the opening and the closing #KSUMMA
        checksum: int | None = None
        crc = 0
        voucher: _Open | None = None
        expect_block = False
        for number, text in self._lines():
            stripped = text.strip(" \t")
            if stripped in ("{", "}"):
                if stripped == "{":
                    if voucher is None or not expect_block:
                        raise SieError("malformed", "A '{' that follows no #VER", line=number)
                    expect_block, voucher.is_block_open = False, True
                    continue
                if voucher is None or not voucher.is_block_open:
                    raise SieError("malformed", "A '}' that closes no voucher", line=number)
                yield self._close(voucher)
                voucher = None
                continue
            if voucher is not None and voucher.is_block_open and (simple := _SIMPLE_TRANS.match(text)):
                # The common #TRANS, account {} amount, without the tokenizer: a million of them in a year.
                account, amount_text = simple.groups()
                amount = Decimal(amount_text)
                voucher.total += amount
                voucher.transactions.append(Transaction(account, amount))
                if summing:
                    crc = zlib.crc32(f"#TRANS{account}{amount_text}".encode("ascii"), crc)
                continue
            if expect_block:
                raise SieError(
                    "malformed",
                    "A #VER must be followed by its transactions within '{' and '}' (SIE 4B §5.4)",
                    line=number,
                )
            fields = self._tokens(stripped, number)
            label = fields.pop(0) if fields else ""
            if not isinstance(label, str) or not label.startswith("#"):
                raise SieError("malformed", "A record starts with a label such as #VER (SIE 4B §5.3)", line=number)
            # Labels are read in any case; the checksum covers them as written (SIE 4B §10).
            written_label, label = label, label.upper()
            if first:
                if label != "#FLAGGA":
                    raise SieError("malformed", "An SIE file starts with #FLAGGA (SIE 4B §11 #FLAGGA 1)", line=number)
                flag = self._int(fields, 0, number, "#FLAGGA")
                if flag not in (0, 1):
                    raise SieError("invalid_value", f"#FLAGGA is 0 or 1, not {flag}", line=number)
                if flag == 1:
                    self.warnings.append(
                        SieWarning(
                            number, "already_imported", f"Line {number}: #FLAGGA 1, the file was imported already"
                        )
                    )
                first = False
                continue
            if label == "#KSUMMA":
                if not fields:
                    if summing or checksum is not None or seen:
                        raise SieError(
                            "malformed", "The opening #KSUMMA comes right after #FLAGGA (SIE 4B §10.4)", line=number
                        )
                    summing = True
                    seen["#KSUMMA"] = number
                    continue
                if not summing:
                    raise SieError("malformed", "A closing #KSUMMA without the opening one (SIE 4B §10.4)", line=number)
                stated = self._int(fields, 0, number, "#KSUMMA")
                computed = crc & 0xFFFFFFFF
                # The spec's example is unsigned; some writers print the 32 bits signed.
                if stated % (1 << 32) != computed:
                    raise SieError(
                        "checksum",
                        f"#KSUMMA says {stated}, but the file's content gives {computed}: it was changed or damaged "
                        "(SIE 4B §10)",
                        line=number,
                        stated=stated,
                        computed=computed,
                    )
                summing, checksum = False, computed
                continue
            if checksum is not None:
                raise SieError("malformed", "Nothing may follow the closing #KSUMMA (SIE 4B §10.4)", line=number)
            if summing:
                crc = zlib.crc32(self._content(written_label, fields), crc)
            if voucher is not None:
                if label == "#TRANS":
                    self._transaction(voucher, fields, number)
                elif label in _IGNORED_IN_VOUCHER or label not in _KNOWN:
                    pass
                else:
                    raise SieError(
                        "malformed", f"{label} inside a voucher; a voucher holds #TRANS (SIE 4B §5.4)", line=number
                    )
                continue
            seen.setdefault(label, number)
            if label == "#VER":
                if self.header is None:
                    self._check_mandatory(seen, number)
                    self.header = self._header(header, balances)
                    self.accounts = tuple(accounts.values())
                    self.dimensions, self.objects = tuple(dimensions), tuple(objects)
                voucher = self._voucher(fields, number)
                expect_block = True
            elif label == "#TRANS":
                raise SieError("malformed", "#TRANS outside a voucher (SIE 4B §11 #TRANS 3)", line=number)
            elif label == "#FNAMN":
                header["company_name"] = self._company_name(stripped, fields, number)
            else:
                self._record(label, fields, number, header, accounts, dimensions, objects, balances)
        if voucher is not None:
            raise SieError("malformed", "The file ends inside this voucher: its '}' is missing", line=voucher.line)
        if not seen and first:
            raise SieError("empty", "The file is empty")
        if summing:
            raise SieError(
                "checksum",
                "The file opens a checksum (#KSUMMA) but has no closing #KSUMMA: it is cut short (SIE 4B §10.6)",
                line=seen["#KSUMMA"],
            )
        if self.header is None:
            self._check_mandatory(seen, None)
            self.accounts = tuple(accounts.values())
            self.dimensions, self.objects = tuple(dimensions), tuple(objects)
        final_header = self._header(header, balances)
        self.header = final_header
        self._result = SieFile(
            header=final_header,
            accounts=tuple(accounts.values()),
            dimensions=tuple(dimensions),
            objects=tuple(objects),
            balances=tuple(balances),
            vouchers=(),
            flag=flag,
            checksum=checksum,
            encoding=self.encoding,
            warnings=tuple(self.warnings),
        )

    @staticmethod
    def _content(label: str, fields: Fields) -> bytes:
        parts = [label]
        for value in fields:
            if isinstance(value, tuple):
                parts.extend(value)
            else:
                parts.append(value)
        return "".join(parts).encode(PC8, "replace")

    @staticmethod
    def _check_mandatory(seen: dict[str, int], number: int | None) -> None:
        for label in _MANDATORY:
            if label not in seen:
                where = "before the first #VER" if number is not None else "in the file"
                raise SieError(
                    "missing", f"The mandatory {label} is missing {where} (SIE 4B §6)", line=number, record=label
                )

    def _header(self, header: dict[str, object], balances: list[Balance]) -> Header:
        return Header(
            company_name=str(header["company_name"]),
            generated_on=header["generated_on"],  # type: ignore[arg-type]
            org_number=str(header.get("org_number", "")),
            generated_by=str(header.get("generated_by", "")),
            program=str(header.get("program", "")),
            program_version=str(header.get("program_version", "")),
            fiscal_years=tuple(header["fiscal_years"]),  # type: ignore[call-overload]
            currency=str(header.get("currency", "SEK")),
            # §6: balances are mandatory in 4E and not allowed in 4I; the label is 4 in both.
            sie_type=SieType.EXPORT if balances else SieType.IMPORT,
        )

    def _company_name(self, line: str, fields: Fields, number: int) -> str:
        """#FNAMN's name; one written without quotes around its blanks (`#FNAMN Övningsbolaget AB`,
        the BL 4I sample) is the rest of the line, with a warning. A quoted name's extra fields are
        ignored like any record's (§7.3)."""
        name = self._text(fields, 0, number, "#FNAMN")
        rest = line.split(None, 1)[1].strip(" \t")
        if len(fields) > 1 and not rest.startswith('"') and all(isinstance(f, str) for f in fields):
            name = " ".join(str(f) for f in fields)
            self.warnings.append(
                SieWarning(number, "unquoted", f"Line {number}: #FNAMN has blanks but no quotes; read as {name!r}")
            )
        return name

    def _record(
        self,
        label: str,
        fields: Fields,
        number: int,
        header: dict[str, object],
        accounts: dict[str, Account],
        dimensions: list[Dimension],
        objects: list[SieObject],
        balances: list[Balance],
    ) -> None:
        if label == "#FORMAT":
            value = self._text(fields, 0, number, label)
            if value.upper() != "PC8":
                raise SieError(
                    "unsupported", f"#FORMAT {value}: SIE 4B allows PC8 only (§11 #FORMAT)", line=number, value=value
                )
        elif label == "#SIETYP":
            value = self._text(fields, 0, number, label)
            if value != "4":
                raise SieError(
                    "unsupported", f"This is an SIE type {value} file; type 4 is read", line=number, value=value
                )
        elif label == "#PROGRAM":
            header["program"] = self._text(fields, 0, number, label)
            header["program_version"] = self._text(fields, 1, number, label, required=False)
        elif label == "#GEN":
            header["generated_on"] = self._date(fields, 0, number, label)
            header["generated_by"] = self._text(fields, 1, number, label, required=False)
        elif label == "#ORGNR":
            header["org_number"] = self._text(fields, 0, number, label)
        elif label == "#RAR":
            header["fiscal_years"].append(  # type: ignore[attr-defined]
                FiscalYear(
                    self._int(fields, 0, number, label),
                    self._date(fields, 1, number, label),
                    self._date(fields, 2, number, label),
                )
            )
        elif label == "#VALUTA":
            header["currency"] = self._text(fields, 0, number, label).upper()
        elif label == "#KONTO":
            account = self._account(fields, 0, number, label)
            accounts[account] = Account(account, self._text(fields, 1, number, label, required=False))
        elif label == "#KTYP":
            account = self._account(fields, 0, number, label)
            if account not in accounts:
                raise SieError(
                    "malformed", f"#KTYP of account {account} before its #KONTO (SIE 4B §11 #KTYP 1)", line=number
                )
            value = self._text(fields, 1, number, label).upper()
            try:
                kind = AccountType(value)
            except ValueError:
                raise SieError(
                    "invalid_value", f"#KTYP {value}: the account type is T, S, K or I", line=number, value=value
                ) from None
            accounts[account] = replace(accounts[account], type=kind)
        elif label == "#DIM":
            dimensions.append(Dimension(self._int(fields, 0, number, label), self._text(fields, 1, number, label)))
        elif label == "#OBJEKT":
            objects.append(
                SieObject(
                    self._int(fields, 0, number, label),
                    self._text(fields, 1, number, label),
                    self._text(fields, 2, number, label, required=False),
                )
            )
        elif label in _BALANCE_LABELS:
            balances.append(
                Balance(
                    _BALANCE_LABELS[label],
                    self._int(fields, 0, number, label),
                    self._account(fields, 1, number, label),
                    self._amount(fields, 2, number, label),
                    self._quantity(fields, 3, number, label),
                )
            )
        # The other labels are not kept: company code and type, chart type, tax year, SRU codes,
        # address, period balances and budgets, object balances, units, prose (§7.1).

    def _voucher(self, fields: Fields, number: int) -> _Open:
        series = self._text(fields, 0, number, "#VER", required=False)
        voucher_number = self._text(fields, 1, number, "#VER", required=False)
        if voucher_number and not voucher_number.isdigit():
            raise SieError("invalid_value", f"#VER: the voucher number {voucher_number!r} is not a number", line=number)
        return _Open(
            line=number,
            series=series,
            number=int(voucher_number) if voucher_number else None,
            date=self._date(fields, 2, number, "#VER"),
            text=self._text(fields, 3, number, "#VER", required=False),
            registered_on=self._optional_date(fields, 4, number, "#VER"),
        )

    def _transaction(self, voucher: _Open, fields: Fields, number: int) -> None:
        account = self._account(fields, 0, number, "#TRANS")
        objects = fields[1] if len(fields) > 1 else None
        if not isinstance(objects, tuple):
            raise SieError("malformed", "#TRANS: the object list ({} when empty) follows the account", line=number)
        if len(objects) % 2:
            raise SieError(
                "malformed", "#TRANS: the object list holds pairs of dimension and object number", line=number
            )
        pairs: list[tuple[int, str]] = []
        for index in range(0, len(objects), 2):
            dimension = objects[index]
            if not dimension.isdigit():
                raise SieError(
                    "invalid_value", f"#TRANS: {dimension!r} is not a dimension number", line=number, value=dimension
                )
            pairs.append((int(dimension), objects[index + 1]))
        amount = self._amount(fields, 2, number, "#TRANS")
        voucher.total += amount
        voucher.transactions.append(
            Transaction(
                account=account,
                amount=amount,
                objects=tuple(pairs),
                date=self._optional_date(fields, 3, number, "#TRANS"),
                text=self._text(fields, 4, number, "#TRANS", required=False),
                quantity=self._quantity(fields, 5, number, "#TRANS"),
            )
        )

    @staticmethod
    def _close(voucher: _Open) -> Voucher:
        if voucher.total != 0:
            name = f"{voucher.series} {'' if voucher.number is None else voucher.number}".strip()
            raise SieError(
                "unbalanced",
                f"The voucher {name + ' ' if name else ''}of {voucher.date.isoformat()} does not balance: its "
                f"transactions sum to {voucher.total}, not 0 (SIE 4B §11 #TRANS 4)",
                line=voucher.line,
                total=str(voucher.total),
                series=voucher.series,
                number=voucher.number,
            )
        return Voucher(
            series=voucher.series,
            number=voucher.number,
            date=voucher.date,
            text=voucher.text,
            transactions=tuple(voucher.transactions),
            registered_on=voucher.registered_on,
        )

    # --- fields ---

    @staticmethod
    def _field(fields: Fields, index: int, number: int, label: str, required: bool) -> str | None:
        if index >= len(fields) or fields[index] == "":
            if required:
                raise SieError(
                    "missing", f"{label}: field {index + 1} is missing", line=number, record=label, field=index + 1
                )
            return None
        value = fields[index]
        if isinstance(value, tuple):
            raise SieError(
                "malformed", f"{label}: field {index + 1} is an object list", line=number, record=label, field=index + 1
            )
        return value

    def _text(self, fields: Fields, index: int, number: int, label: str, *, required: bool = True) -> str:
        return self._field(fields, index, number, label, required) or ""

    def _int(self, fields: Fields, index: int, number: int, label: str) -> int:
        value = self._field(fields, index, number, label, True) or ""
        if not _INTEGER.match(value):
            raise SieError(
                "invalid_value", f"{label}: {value!r} is not a whole number", line=number, record=label, value=value
            )
        return int(value)

    def _account(self, fields: Fields, index: int, number: int, label: str) -> str:
        value = self._field(fields, index, number, label, True) or ""
        if not (value.isascii() and value.isdigit()):
            raise SieError(
                "invalid_value",
                f"{label}: the account number {value!r} is not numeric (SIE 4B §11 #KONTO 2)",
                line=number,
                record=label,
                value=value,
            )
        return value

    def _amount(self, fields: Fields, index: int, number: int, label: str) -> Decimal:
        value = self._field(fields, index, number, label, True) or ""
        if not _AMOUNT.match(value):
            raise SieError(
                "invalid_value",
                f"{label}: {value!r} is not an amount (a point and at most two decimals, SIE 4B §5.9)",
                line=number,
                record=label,
                value=value,
            )
        return Decimal(value)

    def _quantity(self, fields: Fields, index: int, number: int, label: str) -> Decimal | None:
        value = self._field(fields, index, number, label, False)
        if value is None:
            return None
        if not _QUANTITY.match(value):
            raise SieError(
                "invalid_value", f"{label}: {value!r} is not a quantity", line=number, record=label, value=value
            )
        return Decimal(value)

    def _date(self, fields: Fields, index: int, number: int, label: str) -> dt.date:
        value = self._field(fields, index, number, label, True) or ""
        return self._parse_date(value, number, label)

    def _optional_date(self, fields: Fields, index: int, number: int, label: str) -> dt.date | None:
        value = self._field(fields, index, number, label, False)
        return None if value is None else self._parse_date(value, number, label)

    @staticmethod
    def _parse_date(value: str, number: int, label: str) -> dt.date:
        try:
            if len(value) != 8 or not value.isdigit():
                raise ValueError
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            raise SieError(
                "invalid_value",
                f"{label}: {value!r} is not a date ÅÅÅÅMMDD (SIE 4B §5.10)",
                line=number,
                record=label,
                value=value,
            ) from None


# Labels of SIE 4B (chapter 12); an unknown label inside a voucher is ignored like any other (§7.1).
_KNOWN = frozenset(
    {
        *("#ADRESS", "#BKOD", "#DIM", "#ENHET", "#FLAGGA", "#FNAMN", "#FNR", "#FORMAT", "#FTYP", "#GEN", "#IB"),
        *("#KONTO", "#KPTYP", "#KTYP", "#OBJEKT", "#OIB", "#OMFATTN", "#ORGNR", "#OUB", "#PBUDGET", "#PROGRAM"),
        *("#PROSA", "#PSALDO", "#RAR", "#RES", "#SIETYP", "#SRU", "#TAXAR", "#TRANS", "#RTRANS", "#BTRANS", "#UB"),
        *("#UNDERDIM", "#VALUTA", "#VER", "#KSUMMA"),
    }
)
