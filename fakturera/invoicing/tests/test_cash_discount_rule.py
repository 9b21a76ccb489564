"""The cash discount rule (rules.cash_discount, seed 004), by hand-worked cases and properties."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakturera.core.errors import DomainError
from fakturera.invoicing.rules import CashDiscountPart, cash_discount, cash_discount_applies
from fakturera.parties.terms import cash_discount_problem, clean_discount_percent, default_discount

D = Decimal
UNTIL = dt.date(2026, 12, 16)


def rows(*groups: tuple[str, str, str, str]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(category, D(rate), D(taxable), D(vat)) for category, rate, taxable, vat in groups]


def test_two_percent_of_ten_thousand_leaves_nine_thousand_eight_hundred_to_pay():
    terms = cash_discount(
        total_amount=D("10000.00"),
        vat_rows=rows(("S", "25", "8000.00", "2000.00")),
        currency="SEK",
        percent=D("2"),
        until=UNTIL,
    )

    assert terms.discount_amount == D("200.00")
    assert terms.payable_amount == D("9800.00")
    assert terms.until == UNTIL
    # The discount's VAT share: 200 x 2000 / 10000 = 40.00, the rest is net.
    assert terms.parts == (CashDiscountPart("S", D("25"), D("160.00"), D("40.00")),)


def test_the_discount_is_rounded_half_up_to_the_minor_unit():
    # 1.5 % of 1234.50 = 18.5175 -> 18.52
    terms = cash_discount(
        total_amount=D("1234.50"), vat_rows=rows(("S", "25", "987.60", "246.90")), currency="SEK",
        percent=D("1.5"), until=UNTIL,
    )  # fmt: skip
    assert terms.discount_amount == D("18.52")
    assert terms.payable_amount == D("1215.98")


def test_mixed_rates_split_in_proportion_to_each_groups_gross_with_the_remainder_on_the_largest():
    # Gross per group: 1000.00 (25 %), 112.00 (12 %), 106.00 (6 %), 950.00 (exempt); total 2168.00.
    terms = cash_discount(
        total_amount=D("2168.00"),
        vat_rows=rows(
            ("S", "25", "800.00", "200.00"),
            ("S", "12", "100.00", "12.00"),
            ("S", "6", "100.00", "6.00"),
            ("E", "0", "950.00", "0.00"),
        ),
        currency="SEK",
        percent=D("3"),
        until=UNTIL,
    )
    # 3 % of 2168.00 = 65.04. Shares: 12 % 65.04 x 112 / 2168 = 3.36, 6 % 3.18, exempt 28.50,
    # and the 25 % group (the largest) the rest: 65.04 - 35.04 = 30.00.
    assert terms.discount_amount == D("65.04")
    assert [part.amount for part in terms.parts] == [D("30.00"), D("3.36"), D("3.18"), D("28.50")]
    assert terms.parts[0] == CashDiscountPart("S", D("25"), D("24.00"), D("6.00"))
    assert terms.parts[1] == CashDiscountPart("S", D("12"), D("3.00"), D("0.36"))
    assert terms.parts[2] == CashDiscountPart("S", D("6"), D("3.00"), D("0.18"))
    assert terms.parts[3] == CashDiscountPart("E", D("0"), D("28.50"), D("0.00"))


def test_a_total_rounded_to_whole_units_is_discounted_whole_and_split_over_the_groups():
    # 99.60 + 24.90 = 124.50, rounded to 125.00: the discount is of what is due.
    terms = cash_discount(
        total_amount=D("125.00"), vat_rows=rows(("S", "25", "99.60", "24.90")), currency="SEK",
        percent=D("2"), until=UNTIL,
    )  # fmt: skip
    assert terms.discount_amount == D("2.50")
    assert terms.payable_amount == D("122.50")
    assert sum(part.amount for part in terms.parts) == D("2.50")


def test_no_discount_at_zero_percent():
    assert cash_discount(
        total_amount=D("100.00"), vat_rows=rows(("S", "25", "80.00", "20.00")), currency="SEK", percent=D("0"),
        until=UNTIL,
    ) is None  # fmt: skip


def test_a_tiny_discount_over_many_equal_groups_puts_no_part_below_zero():
    # 2 % of 1.00 is 0.02 over four equal groups: each share 0.005 rounds up to 0.01, so
    # rounding every share would give 0.04; the shares stop at what is left.
    terms = cash_discount(
        total_amount=D("1.00"),
        vat_rows=rows(("S", "25", "0.20", "0.05"), ("S", "12", "0.22", "0.03"), ("S", "6", "0.24", "0.01"),
                      ("E", "0", "0.25", "0.00")),
        currency="SEK",
        percent=D("2"),
        until=UNTIL,
    )  # fmt: skip
    assert sum(part.amount for part in terms.parts) == D("0.02")
    assert all(part.net_amount >= 0 and part.vat_amount >= 0 for part in terms.parts)


def test_a_payment_settles_with_the_discount_by_the_last_day_and_at_least_the_discounted_amount():
    terms = cash_discount(
        total_amount=D("10000.00"), vat_rows=rows(("S", "25", "8000.00", "2000.00")), currency="SEK",
        percent=D("2"), until=UNTIL,
    )  # fmt: skip

    assert cash_discount_applies(terms, UNTIL, D("9800.00"))
    assert cash_discount_applies(terms, UNTIL - dt.timedelta(days=9), D("10000.00"))
    assert not cash_discount_applies(terms, UNTIL + dt.timedelta(days=1), D("9800.00"))
    assert not cash_discount_applies(terms, UNTIL, D("9799.99"))
    assert not cash_discount_applies(None, UNTIL, D("10000.00"))


def test_a_draft_has_a_discount_but_no_last_day_so_no_payment_applies_it():
    terms = cash_discount(
        total_amount=D("100.00"), vat_rows=rows(("S", "25", "80.00", "20.00")), currency="SEK", percent=D("2"),
        until=None,
    )  # fmt: skip
    assert terms.discount_amount == D("2.00")
    assert not cash_discount_applies(terms, UNTIL, D("100.00"))


@pytest.mark.parametrize(
    ("percent", "days", "terms_days", "problem"),
    [
        ("2", 10, 30, None),
        ("0", 0, 30, None),
        ("0", 45, 30, None),  # no discount: its period says nothing
        ("2", 0, 30, "cash_discount_days"),
        ("2", 30, 30, "cash_discount_days"),  # the period ends on the due date: not before it
        ("2", 29, 30, None),
        ("2", 1, 0, "cash_discount_days"),  # due at once: no room for a discount
    ],
)
def test_a_discount_needs_a_period_ending_before_the_due_date(percent, days, terms_days, problem):
    found = cash_discount_problem(percent=D(percent), days=days, terms_days=terms_days)
    assert (found[0] if found else None) == problem


@pytest.mark.parametrize(
    ("typed", "cleaned"), [("2", D("2.00")), ("2,5", D("2.50")), (" 1.25 ", D("1.25")), ("0", D("0.00")),
                           ("99.99", D("99.99"))]
)  # fmt: skip
def test_a_percent_is_read_as_typed(typed, cleaned):
    assert clean_discount_percent(typed) == cleaned


@pytest.mark.parametrize("typed", ["100", "-1", "2.555", "two", "NaN", "Infinity"])
def test_a_percent_outside_zero_to_below_a_hundred_is_refused(typed):
    with pytest.raises(DomainError) as refused:
        clean_discount_percent(typed)
    assert refused.value.field == "cash_discount_percent"


def test_the_default_is_the_customers_override_else_the_companys_and_left_out_when_it_does_not_fit():
    company = {"company_percent": D("2"), "company_days": 10}
    assert default_discount(own_percent=None, own_days=None, terms_days=30, **company) == (D("2"), 10)
    assert default_discount(own_percent=D("3"), own_days=None, terms_days=30, **company) == (D("3"), 10)
    assert default_discount(own_percent=D("0"), own_days=None, terms_days=30, **company) == (D("0.00"), 0)
    assert default_discount(own_percent=None, own_days=5, terms_days=30, **company) == (D("2"), 5)
    # A customer with 10 days net cannot have the company's 10-day discount: none by default.
    assert default_discount(own_percent=None, own_days=None, terms_days=10, **company) == (D("0.00"), 0)


# --- properties ----------------------------------------------------------------------------------------

money = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2)
rates = st.sampled_from([D("25"), D("12"), D("6"), D("0")])
percents = st.decimals(min_value=D("0"), max_value=D("99.99"), places=2)


@st.composite
def breakdowns(draw):
    """A stored VAT breakdown as totals.py makes it: VAT of each group rounded from its net."""
    groups = draw(st.lists(st.tuples(rates, money), min_size=1, max_size=5, unique_by=lambda group: group[0]))
    vat_rows = []
    for rate, taxable in groups:
        vat = (taxable * rate / 100).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        vat_rows.append(("S" if rate else "E", rate, taxable, vat))
    rounding = draw(st.sampled_from([D("0.00"), D("0.50"), D("-0.49")]))
    total = sum((row[2] + row[3] for row in vat_rows), D("0")) + rounding
    return max(total, D("0.00")), vat_rows


@given(breakdowns(), percents)
def test_the_parts_add_up_exactly_to_the_discount_and_nothing_is_negative(breakdown, percent):
    total, vat_rows = breakdown
    terms = cash_discount(total_amount=total, vat_rows=vat_rows, currency="SEK", percent=percent, until=UNTIL)
    if percent == 0:
        assert terms is None
        return
    assert sum((part.net_amount + part.vat_amount for part in terms.parts), D("0")) == (
        terms.discount_amount if any(row[2] + row[3] > 0 for row in vat_rows) else D("0")
    )
    assert terms.discount_amount >= 0
    assert terms.payable_amount >= 0
    assert terms.discount_amount + terms.payable_amount == total
    assert all(part.net_amount >= 0 and part.vat_amount >= 0 for part in terms.parts)
    assert all(part.amount == part.amount.quantize(D("0.01")) for part in terms.parts)
    # A group without VAT never carries any of the discount's VAT.
    assert all(part.vat_amount == 0 for part, row in zip(terms.parts, vat_rows, strict=True) if row[3] == 0)


@given(breakdowns())
def test_zero_percent_gives_nothing(breakdown):
    total, vat_rows = breakdown
    assert cash_discount(total_amount=total, vat_rows=vat_rows, currency="SEK", percent=D("0"), until=UNTIL) is None
