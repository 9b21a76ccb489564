"""Every voucher written is read back equal and balanced, its file's #KSUMMA checked (issue 16)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fakturera.bookkeeping.sie import (
    Account,
    Balance,
    BalanceKind,
    FiscalYear,
    Header,
    SieError,
    SieType,
    Transaction,
    Voucher,
    read_sie,
    write_sie,
)

ACCOUNTS = tuple(Account(number, f"Konto {number} åäö") for number in ("1510", "1930", "2611", "3001", "3740", "8313"))
# Texts as invoices have them: Swedish letters, é, quotes, backslashes, braces, '#', blanks anywhere.
TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 åäöÅÄÖéü\"\\'{}#-:.,&%")), max_size=24)
AMOUNT = st.integers(min_value=-(10**11), max_value=10**11).map(lambda cents: Decimal(cents).scaleb(-2))
DAY = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 31))
QUANTITY = st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def transactions(draw) -> tuple[Transaction, ...]:
    amounts = draw(st.lists(AMOUNT, min_size=1, max_size=5))
    amounts.append(-sum(amounts, Decimal("0.00")))
    rows = []
    for amount in amounts:
        rows.append(
            Transaction(
                account=draw(st.sampled_from(ACCOUNTS)).number,
                amount=amount,
                objects=tuple(draw(st.lists(st.tuples(st.integers(1, 30), TEXT), max_size=2))),
                date=draw(st.none() | DAY),
                text=draw(TEXT),
                quantity=draw(st.none() | QUANTITY),
            )
        )
    return tuple(rows)


@st.composite
def vouchers(draw) -> list[Voucher]:
    drawn = draw(
        st.lists(
            st.tuples(st.sampled_from(["A", "B", "LEV1", ""]), DAY, TEXT, st.none() | DAY, transactions()),
            min_size=1,
            max_size=6,
        )
    )
    numbers: dict[str, int] = {}
    result = []
    for series, day, text, registered_on, rows in drawn:
        number = None
        if series:  # numbered in ascending order per series (§11 #VER 7); 4I may leave both empty
            number = numbers[series] = numbers.get(series, 0) + 1
        result.append(Voucher(series, number, day, text, rows, registered_on))
    return result


def header(**changes) -> Header:
    return Header(
        **{
            "company_name": 'Bolaget "Å" AB',
            "org_number": "556334-3689",
            "generated_on": dt.date(2027, 1, 5),
            "generated_by": "Åsa Öberg",
            "fiscal_years": (FiscalYear(0, dt.date(2026, 1, 1), dt.date(2026, 12, 31)),),
        }
        | changes
    )


@settings(max_examples=100, deadline=None)
@given(vouchers())
def test_4i_vouchers_are_read_back_equal_and_balanced(written_vouchers):
    out = io.BytesIO()

    stats = write_sie(out, header=header(), accounts=ACCOUNTS, vouchers=iter(written_vouchers))

    sie = read_sie(out.getvalue())
    assert sie.vouchers == tuple(written_vouchers)
    for voucher in sie.vouchers:
        assert sum(t.amount for t in voucher.transactions) == 0
    assert sie.header == header()
    assert sie.accounts == ACCOUNTS
    assert sie.checksum == stats.checksum is not None
    assert sie.warnings == ()


@settings(max_examples=30, deadline=None)
@given(vouchers(), st.lists(st.tuples(st.sampled_from(list(BalanceKind)), st.sampled_from([0, -1]), AMOUNT)))
def test_4e_with_balances_is_read_back_equal(written_vouchers, drawn):
    balances = {
        (kind, year, account.number): Balance(kind, year, account.number, amount)
        for (kind, year, amount), account in zip(drawn, ACCOUNTS * 10, strict=False)
    }
    out = io.BytesIO()

    write_sie(
        out,
        header=header(sie_type=SieType.EXPORT),
        accounts=ACCOUNTS,
        vouchers=iter(written_vouchers),
        balances=balances.values(),
    )

    sie = read_sie(out.getvalue())
    assert sie.vouchers == tuple(written_vouchers)
    assert sorted(sie.balances, key=repr) == sorted(balances.values(), key=repr)
    assert sie.header.sie_type == (SieType.EXPORT if balances else SieType.IMPORT)


@settings(max_examples=60, deadline=None)
@given(vouchers(), st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=255))
def test_any_changed_byte_between_the_checksums_is_caught(written_vouchers, position, flip):
    out = io.BytesIO()
    write_sie(out, header=header(), accounts=ACCOUNTS, vouchers=iter(written_vouchers))
    data = bytearray(out.getvalue())
    start = data.index(b"#KSUMMA\n") + len(b"#KSUMMA\n")
    end = data.rindex(b"#KSUMMA ")
    index = start + position % (end - start)
    original = data[index]
    data[index] ^= flip

    try:
        sie = read_sie(bytes(data))
    except SieError:
        return
    # Read without a refusal: only a change the checksum does not cover, a blank for a TAB between
    # fields (§10.14: separators are not summed), leaves the content as it was.
    assert {original, data[index]} == {0x20, 0x09}
    assert sie.vouchers == tuple(written_vouchers)
