"""Every SIE sample in ../shared/formats/sie read, or refused naming the line, as its README says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fakturera.bookkeeping.sie import (
    AccountType,
    BalanceKind,
    FiscalYear,
    SieError,
    SieReader,
    SieType,
    Transaction,
    Voucher,
    read_sie,
)
from fakturera.bookkeeping.tests.samples import SIE, needs_formats, sample

pytestmark = needs_formats


def test_every_sample_is_named_here():
    # A sample added to ../shared/formats/sie must get a test of its own here.
    names = {path.name for path in SIE.iterdir() if path.suffix in (".SE", ".SI")}
    assert names == {
        "BLBLOV_SIE4.SE",
        "BLBLOV_SIE4.SI",
        "BLBLOV_SIE4_ISO_8859_15.SI",
        "BLBLOV_SIE4_UTF_8_IMBALANCED.SI",
        "CC2-foretaget.SE",
        "CC3.SI",
    }


def test_full_4e_export_is_read_whole():
    sie = read_sie(sample("BLBLOV_SIE4.SE"))

    header = sie.header
    assert header.sie_type == SieType.EXPORT
    assert header.company_name == "Övningsföretaget AB"
    assert header.org_number == "1655710918"
    assert (header.program, header.program_version) == ("BL Administration", "2018.2.101")
    assert (header.generated_on, header.generated_by) == (dt.date(2018, 5, 7), "1 Linda Henriksson")
    assert header.fiscal_years == (
        FiscalYear(0, dt.date(2017, 1, 1), dt.date(2017, 12, 31)),
        FiscalYear(-1, dt.date(2016, 1, 1), dt.date(2016, 12, 31)),
    )
    assert header.currency == "SEK"
    assert sie.flag == 0
    assert sie.checksum is None
    assert sie.warnings == ()
    assert len(sie.accounts) == 202
    counts = {kind: sum(1 for b in sie.balances if b.kind == kind) for kind in BalanceKind}
    assert counts == {BalanceKind.OPENING: 48, BalanceKind.CLOSING: 51, BalanceKind.RESULT: 20}
    assert len(sie.vouchers) == 20
    assert sum(len(v.transactions) for v in sie.vouchers) == 74
    # The README names series A and B; the file has F, I and N as well (one or two vouchers each).
    assert [v.series for v in sie.vouchers] == ["A"] * 4 + ["B"] * 12 + ["F", "F", "I", "N"]
    first = sie.vouchers[0]
    assert first == Voucher(
        series="A",
        number=1,
        date=dt.date(2017, 1, 1),
        text="Representation måltid utan alkohol",
        registered_on=dt.date(2017, 1, 19),
        transactions=(
            Transaction("1930", Decimal("-1000.00"), date=dt.date(2017, 1, 1)),
            Transaction("6072", Decimal("928.00"), date=dt.date(2017, 1, 1)),
            Transaction("2640", Decimal("72.00"), date=dt.date(2017, 1, 1)),
        ),
    )
    for voucher in sie.vouchers:
        assert sum(t.amount for t in voucher.transactions) == 0


def test_a_literal_backslash_in_a_text_stays():
    sie = read_sie(sample("BLBLOV_SIE4.SE"))

    texts = {t.text for v in sie.vouchers for t in v.transactions}

    assert "1110\\1002 Hus 1:1" in texts


def test_balances_keep_their_year_and_sign():
    sie = read_sie(sample("BLBLOV_SIE4.SE"))

    balances = {(b.kind, b.year, b.account): b.amount for b in sie.balances}

    assert balances[(BalanceKind.OPENING, 0, "1510")] == Decimal("-196049.50")
    assert balances[(BalanceKind.CLOSING, -1, "2999")] == Decimal("-1582.86")
    assert balances[(BalanceKind.RESULT, -1, "3740")] == Decimal("-0.28")


def test_cash_register_4i_with_unquoted_company_name_and_empty_numbers():
    sie = read_sie(sample("BLBLOV_SIE4.SI"))

    assert sie.header.sie_type == SieType.IMPORT
    # Written `#FNAMN Övningsbolaget AB`, without quotes: read whole, with a warning.
    assert sie.header.company_name == "Övningsbolaget AB"
    assert [(w.line, w.code) for w in sie.warnings] == [(6, "unquoted")]
    assert sie.header.org_number == "550226-1513"
    assert [(v.series, v.number, v.text, v.registered_on) for v in sie.vouchers] == [
        ("K", None, "Försäljning 25% (DF:157)", dt.date(2018, 5, 3)),
        ("K", None, "Försäljning 12% (DF:158)", dt.date(2018, 5, 3)),
    ]
    assert [t.amount for t in sie.vouchers[1].transactions] == [
        Decimal("500.00"),
        Decimal("-53.57"),
        Decimal("-446.43"),
    ]


def test_4e_with_one_fiscal_year_and_an_address():
    sie = read_sie(sample("CC2-foretaget.SE"))

    assert sie.header.sie_type == SieType.EXPORT
    assert sie.header.company_name == "CC2-företaget"
    assert len(sie.header.fiscal_years) == 1
    assert len(sie.vouchers) == 5
    assert [len(v.transactions) for v in sie.vouchers] == [7, 3, 3, 3, 3]
    assert [v.series for v in sie.vouchers] == ["A", "L", "L", "L", "L"]


def test_chart_of_accounts_without_vouchers_is_an_empty_import():
    sie = read_sie(sample("CC3.SI"))

    assert sie.vouchers == ()
    assert len(sie.accounts) == 194
    assert sie.header.sie_type == SieType.IMPORT
    assert all(account.type in (None, *AccountType) for account in sie.accounts)


def test_iso_8859_15_file_claiming_pc8_is_refused_at_its_first_letter():
    with pytest.raises(SieError) as refused:
        read_sie(sample("BLBLOV_SIE4_ISO_8859_15.SI"))

    assert refused.value.code == "encoding"
    assert refused.value.line == 6  # #FNAMN Övningsbolaget AB, Ö as 0xD6
    assert "Line 6:" in str(refused.value)
    assert "ISO-8859-15" in str(refused.value)


def test_iso_8859_15_file_is_read_as_such_when_asked_with_a_warning():
    sie = read_sie(sample("BLBLOV_SIE4_ISO_8859_15.SI"), accept_misencoded=True)

    assert sie.encoding == "iso8859_15"
    assert sie.header.company_name == "Övningsbolaget AB"
    assert sie.vouchers[0].text == "Försäljning 25% (DF:157)"
    assert ("encoding", 6) in {(w.code, w.line) for w in sie.warnings}
    # The same vouchers as the PC8 original.
    assert sie.vouchers == read_sie(sample("BLBLOV_SIE4.SI")).vouchers


def test_utf8_imbalanced_sample_is_refused_for_its_encoding():
    with pytest.raises(SieError) as refused:
        read_sie(sample("BLBLOV_SIE4_UTF_8_IMBALANCED.SI"))

    assert (refused.value.code, refused.value.line) == ("encoding", 6)
    assert "UTF-8" in str(refused.value)


def test_utf8_imbalanced_sample_read_as_utf8_is_refused_at_its_first_voucher():
    with pytest.raises(SieError) as refused:
        read_sie(sample("BLBLOV_SIE4_UTF_8_IMBALANCED.SI"), accept_misencoded=True)

    assert (refused.value.code, refused.value.line) == ("unbalanced", 8)
    assert refused.value.params["total"] == "0.55"
    assert str(refused.value).startswith("Line 8: The voucher K of 2018-05-02 does not balance")


def test_utf8_imbalanced_sample_streams_nothing_before_the_refusal():
    reader = SieReader(sample("BLBLOV_SIE4_UTF_8_IMBALANCED.SI"), accept_misencoded=True)
    yielded = []

    with pytest.raises(SieError):
        yielded.extend(reader)

    assert yielded == []
    # Read up to the first voucher: the header and the warnings of what came before it.
    assert reader.header is not None
    assert reader.header.company_name == "Övningsbolaget AB"
    assert {w.code for w in reader.warnings} == {"encoding", "already_imported", "unquoted"}
