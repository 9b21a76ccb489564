"""`fakturera sie` and `fakturera journal` as an accountant runs them: the file on stdout, read
back with our own SIE reader (every voucher equal to the one booked, balanced, the checksum
right), 4E's balances adding up, and every wrong argument said on stderr with exit status 2 and
nothing on stdout."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.sie import BalanceKind, SieType, read_sie
from fakturera.invoicing.tests.factories import credit_note, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.payments.services import payment_register

pytestmark = pytest.mark.django_db
YEAR_FROM, YEAR_TO = "2026-01-01", "2026-12-31"


@pytest.fixture
def books(company, admin_user):
    """Two invoices (one to a customer with Swedish letters), a credit note and a payment."""
    first = issued_invoice(company, admin_user, "1000", customer=PersonFactory(company=company, name="Åsa Öberg"))
    second = issued_invoice(company, admin_user, "200", "300", vat_rate="12")
    credit_note(second, admin_user)
    payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=dt.date(2026, 11, 25),
        invoice_id=first.pk, payer_name="Åsa Öberg",
    )  # fmt: skip
    return company


def run(capsysbinary, *args: str) -> bytes:
    call_command(*args)
    out, _err = capsysbinary.readouterr()
    return out


def test_sie_4i_reads_back_with_every_voucher_equal_and_balanced(books, capsysbinary):
    out = run(capsysbinary, "sie", "--company", books.org_number, "--from", YEAR_FROM, "--to", YEAR_TO)

    sie = read_sie(out)
    assert out.startswith(b"#FLAGGA 0\n#KSUMMA\n#PROGRAM")
    assert b"#FORMAT PC8\n" in out
    assert "Åsa Öberg".encode("cp437") in out  # code page 437, not UTF-8
    assert sie.header.sie_type == SieType.IMPORT
    assert sie.checksum is not None
    assert not sie.balances
    booked = list(Voucher.objects.filter(company=books).order_by("series", "number"))
    assert len(booked) == 4
    assert [(v.series, v.number, v.date, v.text) for v in sie.vouchers] == [
        (v.series, v.number, v.date, v.text) for v in booked
    ]
    for read, voucher in zip(sie.vouchers, booked, strict=True):
        assert [(t.account, t.amount, t.text) for t in read.transactions] == [
            (line.account, line.amount, line.text) for line in voucher.lines.order_by("position")
        ]
        assert sum(t.amount for t in read.transactions) == 0
    used = {t.account for v in sie.vouchers for t in v.transactions}
    assert {a.number for a in sie.accounts} == used
    assert {a.number: a.name for a in sie.accounts}["1510"] == "Kundfordringar"


def test_sie_4e_has_the_years_balances(books, capsysbinary):
    out = run(capsysbinary, "sie", "--company", books.org_number, "--from", YEAR_FROM, "--to", YEAR_TO, "--type", "4E")

    sie = read_sie(out)
    assert sie.header.sie_type == SieType.EXPORT
    closing = {b.account: b.amount for b in sie.balances if b.kind == BalanceKind.CLOSING}
    result = {b.account: b.amount for b in sie.balances if b.kind == BalanceKind.RESULT}
    assert not [b for b in sie.balances if b.kind == BalanceKind.OPENING]  # nothing before 2026
    # The first invoice paid, the second credited: the bank and the VAT owed remain.
    assert closing == {"1930": Decimal("1250.00"), "2611": Decimal("-250.00")}
    assert result == {"3001": Decimal("-1000.00")}
    # Balance sheet and result together come to zero, as the books do.
    assert sum(closing.values()) + sum(result.values()) == 0


def test_the_journal_has_a_row_per_transaction_in_csv_and_xlsx(books, capsysbinary):
    text = run(capsysbinary, "journal", "--company", books.org_number, "--from", YEAR_FROM, "--to", YEAR_TO)
    workbook = run(
        capsysbinary, "journal", "--company", books.org_number, "--from", YEAR_FROM, "--to", YEAR_TO,
        "--format", "xlsx",
    )  # fmt: skip

    rows = list(csv.reader(io.StringIO(text.decode())))
    sheet = list(load_workbook(io.BytesIO(workbook), read_only=True).active.iter_rows(values_only=True))
    header = ["series", "number", "date", "text", "account", "account_name", "debit", "credit", "currency",
              "source_document"]  # fmt: skip
    assert rows[0] == header
    assert list(sheet[0]) == header
    total_lines = sum(v.lines.count() for v in Voucher.objects.filter(company=books))
    assert len(rows) - 1 == len(sheet) - 1 == total_lines
    debit = sum(Decimal(r[6]) for r in rows[1:] if r[6])
    credit = sum(Decimal(r[7]) for r in rows[1:] if r[7])
    assert debit == credit > 0
    first = rows[1]
    assert first[:2] == ["B", "1"]
    assert first[4:6] == ["1510", "Kundfordringar"]
    assert first[8] == "SEK"
    assert first[9].startswith("invoice ")
    assert sum(Decimal(str(r[6] or 0)) for r in sheet[1:]) == debit
    assert sheet[1][:2] == ("B", 1)
    assert sheet[1][2] == dt.datetime.fromisoformat(first[2])  # a date, not text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--company", "000000-0000"), "No company has the organisation number 000000-0000."),
        (("--from", "2026-13-01"), "--from '2026-13-01' is not a date"),
        (("--from", "2026-06-01", "--to", "2026-05-31"), "--to: The period ends before it starts"),
        (("--from", "2025-12-01", "--to", "2026-01-31"), "--to: An SIE file holds one fiscal year"),
        (("--type", "4X"), "--type '4X': the SIE type is 4I or 4E."),
    ],
)
def test_a_wrong_argument_exits_2_with_the_reason_and_nothing_on_stdout(books, capsysbinary, args, words):
    given = {"--company": books.org_number, "--from": YEAR_FROM, "--to": YEAR_TO}
    pairs = list(args)
    for option, value in zip(pairs[::2], pairs[1::2], strict=True):
        given[option] = value

    with pytest.raises(CommandError) as refused:
        call_command("sie", *[part for pair in given.items() for part in pair])

    assert refused.value.returncode == 2
    assert words in str(refused.value)
    out, _err = capsysbinary.readouterr()
    assert out == b""


def test_the_journal_refuses_an_unknown_format(books, capsysbinary):
    with pytest.raises(CommandError, match="csv or xlsx") as refused:
        call_command("journal", "--company", books.org_number, "--from", YEAR_FROM, "--to", YEAR_TO, "--format", "pdf")
    assert refused.value.returncode == 2
    assert capsysbinary.readouterr()[0] == b""


def test_another_companys_vouchers_are_not_in_the_file(books, admin_user, capsysbinary):
    other = CompanyFactory(org_number="556000-0001")

    out = run(capsysbinary, "sie", "--company", other.org_number, "--from", YEAR_FROM, "--to", YEAR_TO)

    assert read_sie(out).vouchers == ()
