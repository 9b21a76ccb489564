"""The SIE 4 writer: records, their order, quoting, PC8, amounts, and what it refuses."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from fakturera.bookkeeping.sie import (
    Account,
    AccountType,
    Balance,
    BalanceKind,
    FiscalYear,
    Header,
    SieError,
    SieType,
    Transaction,
    Voucher,
    iter_sie,
    read_sie,
    write_sie,
)
from fakturera.bookkeeping.tests.samples import needs_formats, sample

HEADER = Header(
    company_name="Exempelföretaget AB",
    org_number="5563343689",
    generated_on=dt.date(2026, 1, 31),
    generated_by="Åsa",
    fiscal_years=(FiscalYear(0, dt.date(2026, 1, 1), dt.date(2026, 12, 31)),),
)
ACCOUNTS = (
    Account("1510", "Kundfordringar", AccountType.ASSET),
    Account("2611", "Utgående moms 25%"),
    Account("3001", "Försäljning 25%"),
)


def invoice_voucher(number: int | None = 1, *, series: str = "A", gross: str = "1250.00", **changes) -> Voucher:
    gross_amount = Decimal(gross)
    vat = (gross_amount / 5).quantize(Decimal("0.01"))
    fields = {
        "series": series,
        "number": number,
        "date": dt.date(2026, 1, 31),
        "text": "Faktura 1001 Kund AB",
        "registered_on": dt.date(2026, 2, 1),
        "transactions": (
            Transaction("1510", gross_amount),
            Transaction("3001", -(gross_amount - vat)),
            Transaction("2611", -vat),
        ),
    } | changes
    return Voucher(**fields)


def written(vouchers=(), *, header=HEADER, accounts=ACCOUNTS, **options) -> bytes:
    out = io.BytesIO()
    write_sie(out, header=header, accounts=accounts, vouchers=iter(vouchers), **options)
    return out.getvalue()


def lines_of(data: bytes) -> list[str]:
    return data.decode("cp437").split("\n")


def test_a_4i_file_has_the_records_in_the_order_of_the_spec():
    data = written([invoice_voucher()])

    assert lines_of(data) == [
        "#FLAGGA 0",
        "#KSUMMA",
        '#PROGRAM "Fakturera" "1.0"',
        "#FORMAT PC8",
        '#GEN 20260131 "Åsa"',
        "#SIETYP 4",
        "#ORGNR 556334-3689",
        '#FNAMN "Exempelföretaget AB"',
        "#RAR 0 20260101 20261231",
        "#VALUTA SEK",
        '#KONTO 1510 "Kundfordringar"',
        "#KTYP 1510 T",
        '#KONTO 2611 "Utgående moms 25%"',
        '#KONTO 3001 "Försäljning 25%"',
        '#VER A 1 20260131 "Faktura 1001 Kund AB" 20260201',
        "{",
        "#TRANS 1510 {} 1250.00",
        "#TRANS 3001 {} -1000.00",
        "#TRANS 2611 {} -250.00",
        "}",
        f"#KSUMMA {read_sie(data).checksum}",
        "",
    ]


# Where each record belongs (SIE 4B §5.12): flag, identification, chart of accounts, balances and vouchers.
GROUPS = {
    "#FLAGGA": 0,
    **dict.fromkeys(
        [
            "#KSUMMA",
            "#PROGRAM",
            "#FORMAT",
            "#GEN",
            "#SIETYP",
            "#PROSA",
            "#FTYP",
            "#FNR",
            "#ORGNR",
            "#BKOD",
            "#ADRESS",
            "#FNAMN",
            "#RAR",
            "#TAXAR",
            "#OMFATTN",
            "#KPTYP",
            "#VALUTA",
        ],
        1,
    ),
    **dict.fromkeys(["#KONTO", "#KTYP", "#ENHET", "#SRU", "#DIM", "#UNDERDIM", "#OBJEKT"], 2),
    **dict.fromkeys(["#IB", "#UB", "#OIB", "#OUB", "#RES", "#PSALDO", "#PBUDGET", "#VER", "#TRANS"], 3),
}


def _labels(data: bytes) -> list[str]:
    return [line.split()[0] for line in data.decode("cp437").splitlines() if line.strip().startswith("#")]


@needs_formats
@pytest.mark.parametrize("name", ["BLBLOV_SIE4.SE", "BLBLOV_SIE4.SI", "CC2-foretaget.SE"])
def test_written_file_is_structured_as_the_samples(name):
    ours = written(
        [invoice_voucher()],
        header=Header(**{**_header_fields(), "sie_type": SieType.EXPORT}),
        balances=[Balance(BalanceKind.CLOSING, 0, "1510", Decimal("1250.00"))],
    )
    theirs = sample(name).read_bytes()

    ours_labels, their_labels = _labels(ours)[:-1], _labels(theirs)  # our last one is the closing #KSUMMA
    # Both go through the groups in order, never back.
    assert [GROUPS[label] for label in ours_labels] == sorted(GROUPS[label] for label in ours_labels)
    assert [GROUPS[label] for label in their_labels] == sorted(GROUPS[label] for label in their_labels)
    # Every mandatory record the sample has, we have (§6), each once; #FLAGGA first in both.
    mandatory = {"#FLAGGA", "#PROGRAM", "#FORMAT", "#GEN", "#SIETYP", "#FNAMN", "#ORGNR", "#VER", "#TRANS"}
    assert mandatory & set(their_labels) <= set(ours_labels)
    assert ours_labels[0] == their_labels[0] == "#FLAGGA"
    # A voucher's transactions are within braces alone on their lines, as in the sample.
    assert b"\n{\n#TRANS" in ours
    assert b"\n}\n" in ours


def _header_fields() -> dict:
    return {name: getattr(HEADER, name) for name in HEADER.__dataclass_fields__}


def test_the_written_file_reads_back_equal():
    vouchers = [invoice_voucher(1), invoice_voucher(2, gross="99.95"), invoice_voucher(None, series="B")]

    sie = read_sie(written(vouchers))

    assert sie.vouchers == tuple(vouchers)
    assert sie.accounts == ACCOUNTS
    assert sie.header == _expected_header()


def _expected_header() -> Header:
    # As written: the organisation number with its hyphen (§11 #ORGNR 1).
    return Header(**{**_header_fields(), "org_number": "556334-3689"})


def test_pc8_bytes_for_swedish_letters():
    data = written([invoice_voucher(text="Åäö ÅÄÖ é")])

    assert '"Åäö ÅÄÖ é"'.encode("cp437") in data
    assert b'"\x8f\x84\x94 \x8f\x8e\x99 \x82"' in data


def test_quotes_and_backslashes_in_texts_are_escaped():
    data = written(
        [
            invoice_voucher(1, text='Kund "Bästa" AB'),
            invoice_voucher(2, text="1110\\1002"),
            invoice_voucher(3, text="slutar med \\"),
            invoice_voucher(4, text='\\"'),
        ]
    )

    text = data.decode("cp437")
    assert '"Kund \\"Bästa\\" AB"' in text
    assert '"1110\\1002"' in text  # a backslash before a digit is written as it is, as in the samples
    assert '"slutar med \\\\"' in text  # at the end it would escape the closing quote: doubled
    assert '"\\\\\\""' in text
    assert [v.text for v in read_sie(data).vouchers] == ['Kund "Bästa" AB', "1110\\1002", "slutar med \\", '\\"']


def test_characters_pc8_lacks_are_replaced_and_control_characters_become_blanks():
    # ó is in PC8; ź is not and loses its accent (NFKD); Ł has no decomposition: "?".
    data = written([invoice_voucher(text="Avgift 5 € – se §3\nrad två\t“citat” Łódź")])

    assert read_sie(data).vouchers[0].text == "Avgift 5 EUR - se par.3 rad två 'citat' ?ódz"


def test_amounts_have_a_point_and_two_decimals():
    voucher = invoice_voucher(
        transactions=(
            Transaction("1510", Decimal("1000")),
            Transaction("3001", Decimal("-999.5")),
            Transaction("2611", Decimal("-0.50")),
            Transaction("2611", Decimal("-0.00")),
        )
    )

    text = written([voucher]).decode("cp437")

    assert "#TRANS 1510 {} 1000.00\n#TRANS 3001 {} -999.50\n#TRANS 2611 {} -0.50\n#TRANS 2611 {} 0.00\n" in text


def test_a_transaction_with_objects_date_text_and_quantity():
    voucher = invoice_voucher(
        transactions=(
            Transaction("1510", Decimal("100.00"), objects=((8, "K 17"), (6, "P1")), date=dt.date(2026, 2, 3)),
            Transaction("3001", Decimal("-100.00"), text="Tjänst", quantity=Decimal("2.5")),
        )
    )

    text = written([voucher]).decode("cp437")

    assert '#TRANS 1510 {8 "K 17" 6 "P1"} 100.00 20260203\n' in text
    assert '#TRANS 3001 {} -100.00 "" "Tjänst" 2.5\n' in text
    assert read_sie(text.encode("cp437")).vouchers[0] == voucher


def test_4e_writes_balances_before_the_vouchers():
    header = Header(**{**_header_fields(), "sie_type": SieType.EXPORT})
    balances = [
        Balance(BalanceKind.RESULT, 0, "3001", Decimal("-1000.00")),
        Balance(BalanceKind.OPENING, 0, "1510", Decimal("0.00")),
        Balance(BalanceKind.CLOSING, 0, "1510", Decimal("1250.00"), quantity=Decimal(3)),
    ]

    data = written([invoice_voucher()], header=header, balances=balances)

    text = data.decode("cp437")
    assert text.index("#IB 0 1510 0.00\n#UB 0 1510 1250.00 3\n#RES 0 3001 -1000.00\n") < text.index("#VER")
    sie = read_sie(data)
    assert sie.header.sie_type == SieType.EXPORT
    assert set(sie.balances) == set(balances)


def test_iter_sie_yields_the_same_bytes():
    vouchers = [invoice_voucher(n) for n in range(1, 50)]

    chunks = list(iter_sie(header=HEADER, accounts=ACCOUNTS, vouchers=iter(vouchers)))

    assert b"".join(chunks) == written(vouchers)


def test_vouchers_are_consumed_as_an_iterator():
    consumed = []

    def vouchers():
        for number in range(1, 4):
            consumed.append(number)
            yield invoice_voucher(number)

    stats = write_sie(io.BytesIO(), header=HEADER, accounts=ACCOUNTS, vouchers=vouchers())

    assert consumed == [1, 2, 3]
    assert (stats.vouchers, stats.transactions) == (3, 9)


def test_without_checksum_no_ksumma():
    data = written([invoice_voucher()], checksum=False)

    assert b"#KSUMMA" not in data
    assert read_sie(data).checksum is None


def test_an_unbalanced_voucher_is_refused_and_nothing_of_it_written():
    out = io.BytesIO()
    good = invoice_voucher(1)
    bad = invoice_voucher(
        2, transactions=(Transaction("1510", Decimal("100.00")), Transaction("3001", Decimal("-99.99")))
    )

    with pytest.raises(SieError) as refused:
        write_sie(out, header=HEADER, accounts=ACCOUNTS, vouchers=iter([good, bad]))

    assert refused.value.code == "unbalanced"
    assert refused.value.params["total"] == "0.01"
    assert "Voucher A 2 does not balance" in str(refused.value)
    assert b"#VER A 2" not in out.getvalue()


@pytest.mark.parametrize(
    ("voucher", "code", "words"),
    [
        (invoice_voucher(transactions=()), "invalid_value", "has no transactions"),
        (
            invoice_voucher(transactions=(Transaction("1930", Decimal("1.00")), Transaction("3001", Decimal("-1.00")))),
            "unknown_account",
            "uses account 1930, which is not in the chart",
        ),
        (
            invoice_voucher(
                transactions=(Transaction("1510", Decimal("1.005")), Transaction("3001", Decimal("-1.005")))
            ),
            "invalid_value",
            "more than two decimals",
        ),
        (
            invoice_voucher(transactions=(Transaction("1510", 1.5), Transaction("3001", -1.5))),  # type: ignore[arg-type]
            "invalid_value",
            "is not an amount",
        ),
    ],
)
def test_refused_vouchers(voucher, code, words):
    with pytest.raises(SieError) as refused:
        written([voucher])

    assert refused.value.code == code
    assert words in str(refused.value)


def test_numbered_vouchers_must_ascend_per_series():
    with pytest.raises(SieError) as refused:
        written([invoice_voucher(2), invoice_voucher(1, series="B"), invoice_voucher(2)])

    assert "follows number 2 of its series" in str(refused.value)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"balances": [Balance(BalanceKind.CLOSING, 0, "1510", Decimal(1))]}, "not allowed in SIE 4I"),
        ({"accounts": (Account("15x0", "Fel"),)}, "is not numeric"),
        ({"accounts": (*ACCOUNTS, Account("1510", "Igen"))}, "Accounts given twice: 1510"),
        ({"header": Header(**{**_header_fields(), "sie_type": SieType.EXPORT, "fiscal_years": ()})}, "#RAR"),
    ],
)
def test_refused_files(options, words):
    with pytest.raises(SieError) as refused:
        written([invoice_voucher()], **options)

    assert words in str(refused.value)


def test_the_file_streams_out_before_the_vouchers_are_all_made():
    made = []

    def vouchers():
        for number in range(1, 20_001):
            made.append(number)
            yield invoice_voucher(number)

    chunks = iter_sie(header=HEADER, accounts=ACCOUNTS, vouchers=vouchers())
    prelude, first_batch = next(chunks), next(chunks)

    assert prelude.startswith(b"#FLAGGA 0\n#KSUMMA\n")
    assert first_batch.startswith(b"#VER A 1 ")
    # One batch of lines is out while most vouchers are still to be made: memory holds a batch.
    assert 1_000 < len(made) < 10_000
