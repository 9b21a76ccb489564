"""The Riksbank's exchange rates file, read: pure, no ORM.

What the file is: the CSV that the Riksbank's "Sök räntor & valutakurser" (Search interest &
exchange rates, riksbank.se/sv/statistik/rantor-och-valutakurser/) gives for the group
"Valutor mot svenska kronor" (group 130) with daily rates: one observation per line, the
fields separated by semicolons, the decimal separator the one chosen in the search form
(comma in Swedish), a header line first:

    Datum;Grupp;Serie;Värde
    2026-11-30;130;SEKEURPMI;11,4321
    2026-11-30;130;SEKNOKPMI;0,9612
    2026-12-01;130;SEKEURPMI;n/a

- Series are named by their ids, SEK<currency>PMI (the ids of the Riksbank's SWEA API,
  api.riksbank.se/swea/v1: SEKEURPMI, SEKNOKPMI, SEKDKKPMI), or by a label naming the currency
  and, for the few quoted per 100 units, the 100 ("SEK/100 JPY", "100 JPY"): "For certain
  currencies ... the rate is expressed in Swedish kronor against 100 units of the foreign
  currency" (the Riksbank's help text). A rate per 100 is divided by 100: we store SEK per one.
- "n/a" or an empty value is a day without a rate (a holiday, the Riksbank's FAQ): skipped.
- English headers (Date or Period; Group; Series; Value) and a decimal point are read too.

The column layout is taken from the search form's CSV choice as the Riksbank describes it and
from loaders of its files (date; group; series; value); the sample files in
invoicing/tests/data/ are written from that description, not downloaded. A line that does not
fit refuses the whole file, naming the line: a file half read would leave gaps nobody sees.
Currencies we do not invoice in (USD, JPY ...) are skipped and counted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError

# The decimals a rate per one unit keeps (ExchangeRate.rate): a rate per 100 with six
# decimals is one with eight per unit.
RATE_PLACES = 8
MAX_FILE_BYTES = 5_000_000
DATE_HEADERS = {"datum", "date", "period"}
SERIES_HEADERS = {"serie", "series"}
VALUE_HEADERS = {"värde", "value", "varde"}
MISSING = {"", "n/a", "na", "-"}
SERIES_ID = re.compile(r"^SEK(?P<currency>[A-Z]{3})PMI$")
SERIES_LABEL = re.compile(r"^(?:SEK\s*/\s*)?(?:(?P<units>1|100)\s+)?(?P<currency>[A-Z]{3})$")


@dataclass(frozen=True, slots=True)
class RateRow:
    currency: str
    rate_on: dt.date
    rate: Decimal  # SEK per one unit
    line: int


@dataclass(frozen=True, slots=True)
class RiksbankFile:
    rates: tuple[RateRow, ...]
    skipped_currencies: tuple[str, ...]  # sorted, the ones we do not invoice in
    days_without_rate: int  # "n/a" values


def _refuse(line: int, message: str) -> DomainError:
    return DomainError(
        _("Line %(line)s of the Riksbank file: %(problem)s") % {"line": line, "problem": message},
        field="file",
        code="rates_file_refused",
    )


def _decode(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise DomainError(_("The file is larger than 5 MB; choose a shorter period."), field="file")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Saved again from a spreadsheet on Windows: the only other encoding its Swedish header has.
        return content.decode("cp1252", errors="strict")


def _series_currency(text: str) -> tuple[str, int] | None:
    """(currency, units) of a series id or label, or None when it names no currency."""
    text = text.strip().upper()
    if match := SERIES_ID.match(text):
        return match["currency"], 1
    if match := SERIES_LABEL.match(text):
        return match["currency"], int(match["units"] or 1)
    return None


def parse_riksbank_csv(content: bytes, *, currencies: frozenset[str] | set[str]) -> RiksbankFile:
    """The rates of `currencies` in the file, per one unit; DomainError naming the line of the
    first problem (field "file", code "rates_file_refused")."""
    try:
        text = _decode(content)
    except UnicodeDecodeError:
        raise DomainError(_("The file is not a text file."), field="file", code="rates_file_refused") from None
    lines = text.splitlines()
    header_at = next((index for index, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise DomainError(_("The file is empty."), field="file", code="rates_file_refused")
    header = [name.strip().strip('"').lower() for name in lines[header_at].split(";")]
    try:
        date_col = next(i for i, name in enumerate(header) if name in DATE_HEADERS)
        series_col = next(i for i, name in enumerate(header) if name in SERIES_HEADERS)
        value_col = next(i for i, name in enumerate(header) if name in VALUE_HEADERS)
    except StopIteration:
        raise _refuse(
            header_at + 1,
            _("the header must name the columns Datum, Serie and Värde (Date, Series, Value), separated by ;."),
        ) from None

    rates: dict[tuple[str, dt.date], RateRow] = {}
    skipped: set[str] = set()
    missing = 0
    for index in range(header_at + 1, len(lines)):
        number = index + 1
        raw = lines[index]
        if not raw.strip():
            continue
        fields = [field.strip().strip('"').strip() for field in raw.split(";")]
        if len(fields) != len(header):
            raise _refuse(
                number, _("%(found)s fields where the header has %(expected)s.") % {
                    "found": len(fields), "expected": len(header)
                }
            )  # fmt: skip
        try:
            rate_on = dt.date.fromisoformat(fields[date_col])
        except ValueError:
            raise _refuse(number, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": fields[date_col]}) from None
        series = _series_currency(fields[series_col])
        if series is None:
            raise _refuse(number, _("“%(value)s” names no currency.") % {"value": fields[series_col]})
        currency, units = series
        value = fields[value_col]
        if currency not in currencies:
            skipped.add(currency)
            continue
        if value.lower() in MISSING:
            missing += 1
            continue
        rate = _rate(value, units, number)
        key = (currency, rate_on)
        if key in rates and rates[key].rate != rate:
            raise _refuse(
                number,
                _("a second %(currency)s rate for %(date)s, different from the one on line %(first)s.")
                % {"currency": currency, "date": rate_on.isoformat(), "first": rates[key].line},
            )
        rates.setdefault(key, RateRow(currency, rate_on, rate, number))
    if not rates:
        raise DomainError(
            _("The file holds no rate for %(currencies)s.") % {"currencies": ", ".join(sorted(currencies))},
            field="file",
            code="rates_file_refused",
        )
    ordered = tuple(sorted(rates.values(), key=lambda row: (row.currency, row.rate_on)))
    return RiksbankFile(rates=ordered, skipped_currencies=tuple(sorted(skipped)), days_without_rate=missing)


def _rate(value: str, units: int, line: int) -> Decimal:
    """A rate as written (decimal comma or point, no thousands separator), per one unit."""
    if value.count(",") + value.count(".") > 1 or " " in value:
        raise _refuse(line, _("“%(value)s” is not a rate.") % {"value": value})
    try:
        rate = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise _refuse(line, _("“%(value)s” is not a rate.") % {"value": value}) from None
    if not rate.is_finite() or rate <= 0:
        raise _refuse(line, _("“%(value)s” is not a rate.") % {"value": value})
    rate = rate / units
    if rate != rate.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        raise _refuse(
            line, _("“%(value)s” has more decimals than a rate keeps (%(places)s per unit).") % {
                "value": value, "places": RATE_PLACES
            }
        )  # fmt: skip
    return rate
