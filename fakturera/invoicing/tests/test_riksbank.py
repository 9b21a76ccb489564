"""The Riksbank's exchange rates file (invoicing/riksbank.py). The sample files in data/ are
written by us from the format the module's docstring describes (the Riksbank's "Sök räntor &
valutakurser" CSV: Datum;Grupp;Serie;Värde, semicolons, decimal comma), not downloaded."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from fakturera.core.errors import DomainError
from fakturera.invoicing.models import ExchangeRate
from fakturera.invoicing.riksbank import RateRow, parse_riksbank_csv
from fakturera.invoicing.services import FOREIGN_CURRENCIES, exchange_rates_import_riksbank

DATA = Path(__file__).parent / "data"
D = Decimal
HEADER = "Datum;Grupp;Serie;Värde\n"


def _parse(text: str):
    return parse_riksbank_csv(text.encode(), currencies=FOREIGN_CURRENCIES)


def _refusal(text: str) -> str:
    with pytest.raises(DomainError) as refused:
        _parse(text)
    assert refused.value.field == "file"
    return refused.value.message


def test_the_sample_file_gives_the_rates_of_our_currencies_per_one_unit():
    parsed = parse_riksbank_csv((DATA / "riksbank_rates.csv").read_bytes(), currencies=FOREIGN_CURRENCIES)

    assert len(parsed.rates) == 9
    assert parsed.rates[0] == RateRow("DKK", dt.date(2026, 11, 26), D("1.52716"), 4)
    eur = {row.rate_on: row.rate for row in parsed.rates if row.currency == "EUR"}
    assert eur == {
        dt.date(2026, 11, 26): D("11.3894"),
        dt.date(2026, 11, 27): D("11.4102"),
        dt.date(2026, 11, 30): D("11.4321"),
    }
    assert parsed.skipped_currencies == ("JPY", "USD")
    assert parsed.days_without_rate == 2  # 1 December: n/a


def test_a_rate_per_100_units_is_stored_per_one():
    parsed = parse_riksbank_csv((DATA / "riksbank_per_100.csv").read_bytes(), currencies=FOREIGN_CURRENCIES)
    assert {row.currency: row.rate for row in parsed.rates} == {
        "EUR": D("11.4321"),
        "DKK": D("1.5327"),
        "NOK": D("0.9612"),
    }


def test_english_headers_a_decimal_point_and_windows_1252_are_read():
    text = "Period;Group;Series;Value\r\n2026-11-30;130;SEKEURPMI;11.4321\r\n"
    assert _parse(text).rates[0].rate == D("11.4321")
    swedish = "Datum;Grupp;Serie;Värde\n2026-11-30;130;SEKEURPMI;11,4321\n".encode("cp1252")
    assert parse_riksbank_csv(swedish, currencies=FOREIGN_CURRENCIES).rates[0].rate == D("11.4321")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "2026-11-30;130;SEKEURPMI;11,4321\n2026-31-11;130;SEKEURPMI;11,4\n",
            "Line 3 of the Riksbank file: “2026-31-11” is not a date",
        ),
        (
            "2026-11-30;130;SEKEURPMI;11,4321\n2026-11-30;130;SEKEURPMI\n",
            "Line 3 of the Riksbank file: 3 fields where the header has 4.",
        ),
        ("2026-11-30;130;SEKEURPMI;1 1,4\n", "Line 2 of the Riksbank file: “1 1,4” is not a rate."),
        ("2026-11-30;130;SEKEURPMI;11,4.3\n", "Line 2 of the Riksbank file: “11,4.3” is not a rate."),
        ("2026-11-30;130;SEKEURPMI;-11,4\n", "Line 2 of the Riksbank file: “-11,4” is not a rate."),
        ("2026-11-30;130;Euro;11,4\n", "Line 2 of the Riksbank file: “Euro” names no currency."),
        (
            "2026-11-30;130;SEKEURPMI;11,4\n\n2026-11-30;130;SEKEURPMI;11,5\n",
            "Line 4 of the Riksbank file: a second EUR rate for 2026-11-30, different from the one on line 2.",
        ),
    ],
)
def test_a_malformed_line_refuses_the_file_naming_the_line(body, problem):
    assert _refusal(HEADER + body).startswith(problem)


def test_a_file_without_the_header_or_without_our_rates_is_refused():
    assert _refusal("2026-11-30;130;SEKEURPMI;11,4\n").startswith("Line 1 of the Riksbank file: the header must name")
    assert _refusal("") == "The file is empty."
    assert _refusal(HEADER + "2026-11-30;130;SEKUSDPMI;10,9\n") == "The file holds no rate for DKK, EUR, NOK."


@pytest.mark.django_db
def test_importing_stores_the_rates_and_a_refused_file_stores_nothing(company, admin_user):
    with pytest.raises(DomainError):
        exchange_rates_import_riksbank(
            company=company, actor=admin_user, content=(HEADER + "2026-11-30;130;SEKEURPMI;11,4\nx;y\n").encode()
        )
    assert not ExchangeRate.objects.exists()

    parsed = exchange_rates_import_riksbank(
        company=company, actor=admin_user, content=(DATA / "riksbank_rates.csv").read_bytes()
    )

    assert len(parsed.rates) == ExchangeRate.objects.filter(company=company, source="riksbank").count() == 9
    assert ExchangeRate.objects.get(company=company, currency="NOK", rate_on=dt.date(2026, 11, 30)).rate == D("0.9612")
