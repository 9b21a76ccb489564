"""BgMax: every Bankgirot sample read, its deposits and end record checked against what the file
states, a few payments checked by hand against the records; broken files refused, naming the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakturera.core.ocr import ReferenceKind, ocr_reference
from fakturera.payments.files import BgMaxReader, Direction, FileFormat, FileRefused, Method, read_file
from fakturera.payments.tests.samples import AUTOGIRO, BGMAX, NO_LINE_BREAKS, needs_formats, sample

CHECKSIFFRA = BGMAX / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt"

# File -> (payments (TK20), deductions (TK21), deposits (TK15), {currency: credits}, {currency: deductions}),
# each as the file's TK15 and TK70 records state them.
EXPECTED = {
    "BgMaxfil4.txt": (9, 0, 4, {"SEK": Decimal("8600.00"), "EUR": Decimal("4000.00")}, {}),
    CHECKSIFFRA.name: (8, 1, 3, {"SEK": Decimal("10400.00"), "EUR": Decimal("4000.00")}, {"SEK": Decimal("500.00")}),
    "minimal.txt": (1, 0, 1, {"SEK": Decimal("1100.00")}, {}),
    "no-line-breaks/bangiroinbetalningar_exempelfil_avtalutantillval_kontroller_sv.txt": (
        5,
        0,
        1,
        {"SEK": Decimal("850.00")},
        {},
    ),
    "no-line-breaks/bankgiroinbetalningar_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll_exempelfil.txt": (
        7,
        0,
        3,
        {"SEK": Decimal("8600.00")},
        {},
    ),
    "no-line-breaks/bankgiroinbetalningar_bildfil_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll"
    "_exempelfil.txt": (
        6,
        0,
        1,
        {"SEK": Decimal("3533.00")},
        {},
    ),
    "no-line-breaks/bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt": (
        4,
        0,
        1,
        {"SEK": Decimal("2100.00")},
        {},
    ),
}


def end_record(path) -> str:
    data = path.read_bytes()
    records = data.split(b"\n") if b"\n" in data else [data[i : i + 80] for i in range(0, len(data), 80)]
    [end] = [r for r in records if r.startswith(b"70")]
    return end.decode("latin-1")


@needs_formats
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_is_read_and_agrees_with_its_own_counts(name):
    path = sample(BGMAX / name)
    payments, deductions, deposits, credits, debits = EXPECTED[name]
    bank_file = read_file(path)
    summary = bank_file.summary
    assert summary.format is FileFormat.BGMAX
    assert summary.version == "01"
    assert summary.created_at.date() in (dt.date(2004, 5, 25), dt.date(2005, 12, 6))
    assert not summary.test
    assert summary.transaction_count == len(bank_file.transactions) == payments + deductions
    assert sum(1 for t in bank_file.transactions if t.direction is Direction.DEBIT) == deductions
    assert len(summary.sections) == deposits
    assert summary.credit_totals == credits
    assert summary.debit_totals == debits
    # The end record says the same, read here on its own.
    end = end_record(path)
    assert (int(end[2:10]), int(end[10:18]), int(end[26:34])) == (payments, deductions, deposits)
    assert sum(len(t.extra_references) for t in bank_file.transactions) == int(end[18:26])
    for section in summary.sections:
        assert section.stated_total == section.credit_total - section.debit_total
        assert section.stated_count == section.transaction_count
    assert {str(a) for a in summary.accounts} == {"991-2346"}
    keys = [k for t in bank_file.transactions for k in t.dedup_keys]
    assert len(keys) == len(set(keys)), "every payment has its own key"


@needs_formats
def test_checksiffra_langd_payments_by_hand():
    transactions = read_file(sample(CHECKSIFFRA)).transactions
    first = transactions[0]  # line 3: 200003783511 ... 655969 ... 1000.00, reference code 2
    assert first.amount == Decimal("1000.00")
    assert first.currency == "SEK"
    assert first.reference == "655969"
    assert first.reference_kind is ReferenceKind.OCR
    assert first.reference_checked
    assert first.payer_name == "Kalles Plåt AB"
    assert first.payer_account == "378-3511"
    assert first.payer_org_number == "5500001234"
    assert first.payer_address == ("Storgatan 2", "12345", "Storåker")
    assert first.booking_date == dt.date(2004, 5, 25)
    assert str(first.account) == "991-2346"
    assert first.method is Method.BANKGIRO
    assert (first.line, first.position) == (3, "line 3")
    assert first.deposit_serial == "00074"
    assert first.bank_serial == "000000000010"
    assert first.dedup_keys == ("bgmax:9912346:2004:00074:1",)

    deduction = transactions[1]  # line 8: TK21, reference 89853 with code 3 (fails the OCR check)
    assert deduction.direction is Direction.DEBIT
    assert deduction.amount == Decimal("500.00")
    assert deduction.reference == "89853"
    assert deduction.reference_kind is ReferenceKind.NUMBER
    assert not deduction.reference_checked
    assert deduction.details["deduction_code"] == "0"

    several = transactions[2]  # line 13: three references, code 3; the TAB-mangled TK22 is line 17
    assert several.reference == "657866 658765 657767"
    assert [e.value for e in several.extra_references] == ["657866", "658765", "657767", "657965"]
    assert all(e.kind is ReferenceKind.OCR for e in several.extra_references)
    assert several.extra_references[-1].position == "line 17"
    assert several.message == "Betalning med extra refnr 657965"

    eur = transactions[-2]
    assert eur.currency == "EUR"
    assert eur.message == "Faktura801465"


@needs_formats
def test_bgmaxfil4_extra_references_with_amounts_and_a_deduction_reference():
    transactions = read_file(sample(BGMAX / "BgMaxfil4.txt")).transactions
    payment = next(t for t in transactions if t.line == 41)  # 1400.00 with TK22, TK22, TK22 (code 5), TK23
    assert payment.amount == Decimal("1400.00")
    assert [(e.value, e.amount) for e in payment.extra_references] == [
        ("7495575", Decimal("1000.00")),
        ("695668", Decimal("500.00")),
        ("8988777", Decimal("400.00")),
        ("74450", Decimal("-500.00")),
    ]
    assert payment.message == ""
    first = transactions[0]
    assert first.message == "Betalning med extra refnr 665869 657775 665661\n665760"


@needs_formats
def test_no_line_breaks_and_plusgiro_in_the_opening_record():
    path = sample(NO_LINE_BREAKS / "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt")
    bank_file = read_file(path)
    [section] = bank_file.summary.sections
    assert section.details["plusgiro"] == "815608-6"
    last = bank_file.transactions[-1]
    assert last.line == 17  # the 17th 80-byte record
    assert last.reference == "65581"
    assert last.message == "Faktura65581 Kundnr1233"
    assert last.payer_name == "Olles färg AB"


@needs_formats
def test_same_deposits_in_two_files_have_the_same_keys():
    """BgMaxfil4 and its no-line-breaks twin hold the same three SEK deposits: the same bank
    transactions, which an import counts once."""
    with_breaks = read_file(sample(BGMAX / "BgMaxfil4.txt")).transactions
    twin = read_file(
        sample(
            NO_LINE_BREAKS
            / "bankgiroinbetalningar_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll_exempelfil.txt"
        )
    ).transactions
    sek = {t.dedup_keys for t in with_breaks if t.currency == "SEK"}
    assert sek == {t.dedup_keys for t in twin}


@needs_formats
def test_autogiro_payments_in_bgmax_form():
    bank_file = read_file(sample(AUTOGIRO / "new_layout" / "autogiro_exempelfil_bg-max-forma_sv.txt"))
    assert bank_file.summary.format is FileFormat.BGMAX
    assert [t.method for t in bank_file.transactions] == [Method.AUTOGIRO] * 4
    assert [t.reference for t in bank_file.transactions] == ["65598", "84629", "39857", "644591"]
    assert [t.amount for t in bank_file.transactions] == [Decimal(100), Decimal(200), Decimal(300), Decimal(100)]
    assert bank_file.transactions[0].bank_serial == ""  # none in this file
    assert bank_file.transactions[3].dedup_keys == ("bgmax:9912346:2009:00036:4",)


@needs_formats
def test_the_broken_sample_is_refused_at_its_first_converted_line():
    with pytest.raises(FileRefused) as refused:
        read_file(sample(BGMAX / "BgMaxfil4_broken.txt"))
    assert refused.value.code == "encoding"
    assert refused.value.line == 10
    assert "line 10" in str(refused.value)


@needs_formats
def test_the_broken_sample_with_its_letters_mended_is_refused_at_the_end_record():
    data = sample(BGMAX / "BgMaxfil4_broken.txt").read_bytes().replace("\ufffd".encode(), "å".encode("latin-1"))
    with pytest.raises(FileRefused) as refused:
        read_file(data)
    assert refused.value.code == "count_mismatch"
    assert refused.value.line == 67
    assert refused.value.params["mismatches"] == {
        "payments (20)": {"stated": 8, "found": 9},
        "deposits (15)": {"stated": 5, "found": 4},
    }
    assert "payments (20): 8 stated, 9 in the file" in str(refused.value)


def lines_of(path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


@needs_formats
@pytest.mark.parametrize(
    ("line", "new", "code"),
    [
        (3, b"200003783511                         0000000000001800X0020001200000180          ", "invalid_value"),
        (19, b"15000000000000000000058410000010098232004052500056000000000000370001SEK00000002 ", "totals_mismatch"),
        (19, b"15000000000000000000058410000010098232004052500056000000000000370000SEK00000003 ", "count_mismatch"),
        (19, b"15000000000000000000058410000010098232004133200056000000000000370000SEK00000002 ", "invalid_value"),
        (2, b"26Kalles Plat AB" + b" " * 64, "malformed"),
        (1, b"01BGMAX               0220040525173035010331P" + b" " * 35, "unsupported"),
    ],
)
def test_a_wrong_record_refuses_the_file_naming_its_line(line, new, code):
    records = lines_of(sample(BGMAX / "BgMaxfil4.txt"))
    records[line - 1] = new
    with pytest.raises(FileRefused) as refused:
        list(BgMaxReader(b"\r\n".join(records)))
    assert refused.value.code == code
    assert refused.value.line == line


@needs_formats
def test_a_file_cut_short_is_refused():
    records = lines_of(sample(BGMAX / "BgMaxfil4.txt"))[:40]
    with pytest.raises(FileRefused) as refused:
        read_file(b"\r\n".join(records))
    assert refused.value.code == "missing"


def test_unknown_record_types_are_skipped_with_a_warning():
    data = "\r\n".join(
        r.ljust(80)
        for r in [
            "01BGMAX               0120240101120000000000P",
            "050009912346          SEK",
            "200000000000" + "1234".rjust(25) + "000000000000012300" + "21" + "000000000001" + "0",
            "99SOMETHING NEW",
            "15" + "0" * 35 + "20240102" + "00001" + "000000000000012300" + "SEK" + "00000001",
            "7000000001000000000000000000000001",
        ]
    ).encode("latin-1")
    bank_file = read_file(data)
    assert bank_file.summary.warnings == ("line 4: unknown record type '99' skipped",)
    [payment] = bank_file.transactions
    assert payment.amount == Decimal("123.00")
    assert payment.payer_account == ""


def bgmax_file(deposits: list[list[tuple[int, str]]], *, bankgiro: str = "9912346") -> bytes:
    """A BgMax file from deposits of (öre, OCR reference): a test-side builder, not a product writer."""
    records = ["01BGMAX               0120240101120000000000T"]
    serial = 0
    for number, payments in enumerate(deposits, start=1):
        records.append(f"05{bankgiro:0>10}          SEK")
        for ore, reference in payments:
            serial += 1
            records.append(f"20{'0':0>10}{reference:>25}{ore:018d}21{serial:012d}0")
        total = sum(ore for ore, _ in payments)
        records.append(f"15{'0':0>35}20240102{number:05d}{total:018d}SEK{len(payments):08d}")
    count = sum(len(d) for d in deposits)
    records.append(f"70{count:08d}{0:08d}{0:08d}{len(deposits):08d}")
    return "".join(r.ljust(80) + "\n" for r in records).encode("latin-1")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(1, 10**12), st.integers(1, 10**15)), min_size=1, max_size=5),
        min_size=1,
        max_size=4,
    )
)
def test_round_trip_of_generated_files(deposits):
    with_references = [[(ore, ocr_reference(str(base))) for ore, base in d] for d in deposits]
    bank_file = read_file(bgmax_file(with_references))
    assert bank_file.summary.test
    assert [(int(t.amount * 100), t.reference) for t in bank_file.transactions] == [
        p for d in with_references for p in d
    ]
    assert all(t.reference_kind is ReferenceKind.OCR and t.reference_checked for t in bank_file.transactions)
    assert len(bank_file.summary.sections) == len(deposits)
