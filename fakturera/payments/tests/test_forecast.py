"""The cash-in forecast's pure rules: where an amount lands, how it is weighted, the band."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fakturera.payments.forecast import (
    DEFAULT_PAID_SHARE,
    LATEST_SHIFT,
    Item,
    Outcome,
    clamp_shift,
    company_paid_share,
    currencies_in_order,
    forecast,
    paid_share,
    payers,
)

TODAY = dt.date(2026, 12, 3)  # a Thursday
MONDAY = dt.date(2026, 11, 30)
ALWAYS_PAYS = {1: Outcome(paid=1000, total=1000)}


def test_weeks_start_on_the_monday_of_today_and_run_twelve():
    weeks = forecast(today=TODAY, open_items=[Item(1, "SEK", Decimal("100"), TODAY)], delays={}, outcomes={})["SEK"]

    assert [week.starts_on for week in weeks] == [MONDAY + dt.timedelta(weeks=n) for n in range(12)]
    assert all(week.starts_on.weekday() == 0 for week in weeks)


def test_an_invoice_lands_in_the_week_of_its_due_date_moved_by_the_customers_median_delay():
    delays = {1: [10, 12, 14, 100]}  # median 13
    item = Item(1, "SEK", Decimal("1000.00"), dt.date(2026, 12, 10))  # + 13 = Dec 23, week 4 (index 3)

    weeks = forecast(today=TODAY, open_items=[item], delays=delays, outcomes=ALWAYS_PAYS)["SEK"]

    expected = [week.from_open for week in weeks]
    assert expected[3] > 0
    assert sum(expected) == expected[3]


def test_fewer_than_three_paid_use_the_companys_median():
    delays = {1: [40, 40], 2: [0, 0, 0, 0, 0]}  # company median over all seven: 0
    found = payers([1], delays, {})

    assert found[1].shift == 0


def test_shifts_are_capped():
    assert clamp_shift(400) == LATEST_SHIFT
    found = payers([1], {1: [365, 365, 365]}, {})
    assert found[1].shift == LATEST_SHIFT


def test_overdue_beyond_its_expected_day_goes_into_the_first_week():
    item = Item(1, "EUR", Decimal("500.00"), dt.date(2026, 9, 1))

    weeks = forecast(today=TODAY, open_items=[item], delays={}, outcomes=ALWAYS_PAYS)["EUR"]

    assert weeks[0].from_open > 0
    assert sum(week.from_open for week in weeks[1:]) == 0


def test_amounts_are_weighted_by_the_share_paid_pulled_to_the_companys():
    outcomes = {1: Outcome(paid=1, total=2), 2: Outcome(paid=10, total=10)}
    company_share = (Decimal(11) + DEFAULT_PAID_SHARE * 10) / Decimal(22)
    assert company_paid_share(outcomes.values()) == company_share
    assert company_paid_share([]) == DEFAULT_PAID_SHARE
    assert paid_share(outcomes[1], company_share) == (1 + company_share * 3) / 5
    assert paid_share(None, company_share) == company_share
    assert paid_share(None, DEFAULT_PAID_SHARE) == DEFAULT_PAID_SHARE

    weeks = forecast(today=TODAY, open_items=[Item(1, "SEK", Decimal("100"), TODAY)], delays={}, outcomes=outcomes)
    assert weeks["SEK"][0].from_open == (Decimal("100") * (1 + company_share * 3) / 5).quantize(Decimal("0.01"))


def test_recurring_invoices_are_their_own_series_and_after_the_horizon_nothing():
    planned = [
        Item(1, "SEK", Decimal("250"), MONDAY + dt.timedelta(days=15)),
        Item(1, "SEK", Decimal("9"), MONDAY + dt.timedelta(weeks=13)),
    ]

    weeks = forecast(today=TODAY, open_items=[], planned_items=planned, delays={}, outcomes=ALWAYS_PAYS)["SEK"]

    assert weeks[2].from_recurring == Decimal("250.00")
    assert sum(week.from_recurring for week in weeks) == Decimal("250.00")
    assert sum(week.from_open for week in weeks) == 0


def test_the_companys_currency_comes_first():
    assert currencies_in_order(["USD", "EUR", "SEK", "EUR"], "SEK") == ["SEK", "EUR", "USD"]


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
days = st.integers(min_value=-200, max_value=200)
items = st.lists(
    st.builds(
        Item,
        customer_id=st.integers(min_value=1, max_value=5),
        currency=st.sampled_from(["SEK", "EUR"]),
        amount=amounts,
        due_on=days.map(lambda n: TODAY + dt.timedelta(days=n)),
    ),
    max_size=30,
)
histories = st.dictionaries(
    st.integers(min_value=1, max_value=5), st.lists(st.integers(-60, 400), max_size=8), max_size=5
)
outcomes = st.dictionaries(
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=50).flatmap(
        lambda total: st.integers(min_value=0, max_value=total).map(lambda paid: Outcome(paid, total))
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(open_items=items, planned=items, delays=histories, outcomes=outcomes)
def test_properties(open_items, planned, delays, outcomes):
    result = forecast(today=TODAY, open_items=open_items, planned_items=planned, delays=delays, outcomes=outcomes)

    for currency, weeks in result.items():
        assert len(weeks) == 12
        owed = sum((item.amount for item in [*open_items, *planned] if item.currency == currency), Decimal(0))
        expected = sum((week.expected for week in weeks), Decimal(0))
        # Never more than is owed (a cent per week of rounding at most), never negative.
        assert Decimal(0) <= expected <= owed + Decimal("0.01") * 24
        for week in weeks:
            assert week.low <= week.expected <= week.high
            assert week.low >= 0
    # Everyone certain to pay, with due dates in the horizon and no history: all of it is expected.
    certain = {item.customer_id: Outcome(10**6, 10**6) for item in open_items}
    within = [item for item in open_items if item.due_on < MONDAY + dt.timedelta(weeks=12)]
    result = forecast(today=TODAY, open_items=within, delays={}, outcomes=certain)
    for currency, weeks in result.items():
        owed = sum((item.amount for item in within if item.currency == currency), Decimal(0))
        assert abs(sum((week.from_open for week in weeks), Decimal(0)) - owed) <= Decimal("0.01") * 12
