"""Autogiro payment reports from Bankgirot: the payment specification with stopped payments and
the rejected payment orders, new and old layout; each checked against its own opening, section
and end records, and a few results by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fakturera.autogiro.files import Collection, collection_record, opening_record
from fakturera.payments.files import AutogiroReader, FileFormat, FileRefused, Outcome, read_file
from fakturera.payments.tests.samples import NEW_LAYOUT, OLD_LAYOUT, needs_formats, sample

PAYMENT_SPEC = NEW_LAYOUT / "autogiro_exempelfil_bet-spec-o-tk_sv.txt"
REJECTED = NEW_LAYOUT / "autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt"
OLD_SPEC = OLD_LAYOUT / (
    "autogiro_gl_betalningsspec-stoppadebetalningar-tackningskontroll_fran-bankgirot-medgivanden-bankgironummer"
    "_exempelfil_sv.txt"
)
OLD_REJECTED_ACCOUNTS = OLD_LAYOUT / (
    "autogiro_gl_exempelfil_avvisadebetalningar_fran-bankgirot-medgivanden-kontonummer_exemeplfil_sv.txt"
)
OLD_REJECTED_BANKGIRO = OLD_LAYOUT / (
    "autogiro_gl_avvisadebetaln_fran-bankgirot-medgivanden-bankgironummer_exempelfil_sv.txt"
)


def outcomes(results) -> list[tuple[str, str, str]]:
    return [(r.outcome.value, r.order_type, r.code) for r in results]


@needs_formats
def test_payment_specification_new_layout():
    bank_file = read_file(sample(PAYMENT_SPEC))
    summary = bank_file.summary
    assert (summary.format, summary.version) == (FileFormat.AUTOGIRO_PAYMENTS, "new")
    assert summary.created_at == dt.datetime(2009, 11, 10, 19, 30, 55, tzinfo=summary.created_at.tzinfo)
    assert [str(a) for a in summary.accounts] == ["991-2346"]
    assert summary.details["customer_number"] == "471117"
    assert summary.warnings == ("line 1: text before the opening record skipped",)  # the column ruler
    results = bank_file.transactions
    assert outcomes(results) == [
        *[("approved", "82", "0")] * 5,
        ("stopped", "82", "1"),
        ("stopped", "82", "2"),
        ("stopped", "82", "9"),
        *[("approved", "32", "0")] * 3,
        ("stopped", "32", "1"),
        ("refunded", "82", "02"),
        ("refunded", "82", "01"),
    ]
    # TK15 1,500000 öre over 5 approved collections, TK16 3 approved payouts, two TK17 with one TK77 each.
    assert [(s.kind, s.stated_total, s.stated_count) for s in summary.sections] == [
        ("deposit", Decimal("15000.00"), 5),
        ("withdrawal", Decimal("3000.00"), 3),
        ("refund", Decimal("200.00"), 1),
        ("refund", Decimal("500.00"), 1),
    ]
    assert summary.credit_totals == {"SEK": Decimal("15000.00")}
    assert summary.debit_totals == {"SEK": Decimal("3700.00")}
    first = results[0]  # line 4 (line 1 is the ruler)
    assert (first.payer_number, first.amount, first.payment_date) == ("101", Decimal("3000.00"), dt.date(2009, 11, 10))
    assert first.reference == "000000RIDLEKTION"
    assert first.payee_bankgiro == "991-2346"
    assert first.deposit_serial == "00001"
    assert first.line == 4
    renewed = results[7]
    assert (renewed.payer_number, renewed.reason) == ("2222101", STATUS_9)
    assert results[5].reason == "insufficient funds"
    refund = results[-2]
    assert refund.refund_date == dt.date(2009, 11, 10)
    assert refund.reason == "the mandate was revoked"
    assert (refund.payer_number, refund.amount, refund.reference) == ("114", Decimal("200.00"), "0000000FAKTNR150")


STATUS_9 = "renewed funds check: the collection is tried again"


@needs_formats
def test_payment_specification_old_layout():
    bank_file = read_file(sample(OLD_SPEC))
    summary = bank_file.summary
    assert (summary.format, summary.version) == (FileFormat.AUTOGIRO_PAYMENTS, "old")
    assert summary.created_at == dt.date(2004, 10, 27)
    assert summary.transaction_count == 15
    results = bank_file.transactions
    assert [r.outcome for r in results].count(Outcome.APPROVED) == 11
    assert outcomes(results)[-4:] == [
        ("stopped", "32", "1"),
        ("stopped", "82", "1"),
        ("stopped", "82", "2"),
        ("stopped", "82", "9"),
    ]
    assert (results[0].code, results[0].reason) == ("", "approved")
    assert (results[0].payer_number, results[0].amount, results[0].reference) == ("1001", Decimal("243.00"), "0809001")
    assert summary.credit_totals == {"SEK": Decimal("3764.00")}


@needs_formats
def test_rejected_payment_orders_new_layout():
    bank_file = read_file(sample(REJECTED))
    assert (bank_file.summary.format, bank_file.summary.version) == (FileFormat.AUTOGIRO_REJECTED, "new")
    results = bank_file.transactions
    assert [(r.order_type, r.code) for r in results] == [
        ("82", "02"), ("82", "06"), ("82", "08"), ("32", "01"), ("32", "12"), ("32", "10"), ("32", "13"), ("32", "01")
    ]  # fmt: skip
    assert all(r.outcome is Outcome.REJECTED for r in results)
    first = results[0]
    assert (first.payer_number, first.amount, first.reference) == ("3333", Decimal("75.00"), "RIDLEKTION")
    assert (first.period_code, first.occurrences) == ("5", "006")
    assert first.reason == "the account is not approved or is closed"
    wrong_date = results[4]
    assert (wrong_date.payment_date, wrong_date.date_as_given) == (None, "20080633")
    assert wrong_date.reason == "wrong payment date"
    assert results[3].reference == "RIDLEKTION ÅTERB"


@needs_formats
@pytest.mark.parametrize("path", [OLD_REJECTED_ACCOUNTS, OLD_REJECTED_BANKGIRO])
def test_rejected_payment_orders_old_layout(path):
    bank_file = read_file(sample(path))
    assert (bank_file.summary.format, bank_file.summary.version) == (FileFormat.AUTOGIRO_REJECTED, "old")
    results = bank_file.transactions
    assert [r.amount for r in results] == [Decimal(500), Decimal(200), Decimal(100), Decimal(150)]
    assert {r.order_type for r in results} == {"82"}
    assert (results[0].code, results[0].reason) == ("01", "no mandate for the payer number")
    assert results[-1].code == "07"
    assert results[0].payment_date == dt.date(2004, 10, 23)


@needs_formats
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("new_layout/autogiro_exempelfil-betalningsunderlag_sv.txt", "unsupported"),
        ("new_layout/autogiro_exempelfil_medgivandeunderlag_sv.txt", "unsupported"),
        ("new_layout/autogiro_exempelfiler_medgivandeavisering_sv.txt", "unsupported"),
        ("new_layout/autogiro_exempelfilermakuleringar_andringar-av-betalningar_sv.txt", "unsupported"),
        ("new_layout/autogiro_exempelfilutdrag-ur-bevakningsregistret_sv.txt", "unsupported"),
        ("new_layout/autogiro_exempelfil-utdrag-ur-medgivanderegistret_sv.txt", "unknown_format"),
        ("new_layout/autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt", "unknown_format"),
        (
            "old_layout/autogiro_gl_exempelfil_makulering-andring_fran-bankgirot-medgivanden-kontonummer_exempelfil_sv.txt",
            "unsupported",
        ),
        (
            "old_layout/autogiro_gl_medgivandeavisering_fran-bankgirot-medgivanden-bankgironummer_exempelfil_sv.txt",
            "unknown_format",
        ),
        ("seal/basic.txt", "unsupported"),
    ],
)
def test_other_autogiro_files_are_refused_saying_what_they_are(name, code):
    with pytest.raises(FileRefused) as refused:
        read_file(sample(NEW_LAYOUT.parent / name))
    assert refused.value.code == code


@needs_formats
def test_a_wrong_end_record_refuses_the_file():
    data = (
        sample(PAYMENT_SPEC)
        .read_bytes()
        .replace(b"09200911109900000001000000000005", b"09200911109900000001000000000006")
    )
    with pytest.raises(FileRefused) as refused:
        read_file(data)
    assert refused.value.code == "count_mismatch"
    assert refused.value.line == 21
    assert "executed TK82: 6 stated, 5 in the file" in str(refused.value)


@needs_formats
def test_a_deposit_that_does_not_add_up_refuses_the_file():
    data = sample(PAYMENT_SPEC).read_bytes().replace(b"000000000001500000   00000005", b"000000000001500100   00000005")
    with pytest.raises(FileRefused) as refused:
        read_file(data)
    assert refused.value.code == "totals_mismatch"
    assert refused.value.line == 3


def test_our_own_payment_orders_come_back_in_the_payment_specification():
    """The TK82 of a payment specification is the order we wrote (positions 1-69) plus its status:
    orders written by autogiro.files, reported back approved or stopped, read as the same orders."""
    collections = [
        Collection("4711", Decimal("250.00"), dt.date(2026, 12, 28), "100263"),
        Collection("4712", Decimal("99.50"), dt.date(2026, 12, 28), "100354", period_code=1, occurrences=12),
        Collection("4713", Decimal("1200.00"), dt.date(2026, 12, 28), "100445"),
    ]
    statuses = ["0", "0", "1"]
    orders = [collection_record(c, bankgiro="9912346") for c in collections]
    opening = opening_record(written_on=dt.date(2026, 12, 28), customer_number="471117", bankgiro="9912346")
    approved = [c for c, s in zip(collections, statuses, strict=True) if s == "0"]
    ore = sum(int(c.amount * 100) for c in approved)
    report = [
        "01AUTOGIRO              20261228120000000000BET. SPEC & STOPP TK4711170009912346",
        f"15{'0':0>35}2026122800001{ore:018d}   {len(approved):08d} ",
        *[order[:79] + status for order, status in zip(orders, statuses, strict=True)],
        f"0920261228990000000100000000000{len(approved)}000000000000000000000000000000",
    ]
    assert opening[62:78] == report[0][64:80]  # the same customer number and bankgiro
    results = list(AutogiroReader("\r\n".join(r.ljust(80) for r in report).encode("latin-1")))
    assert [(r.payer_number, r.amount, r.payment_date, r.reference) for r in results] == [
        (c.payer_number, c.amount, c.payment_on, c.reference) for c in collections
    ]
    assert [r.outcome for r in results] == [Outcome.APPROVED, Outcome.APPROVED, Outcome.STOPPED]
    assert (results[1].period_code, results[1].occurrences) == ("1", "012")
