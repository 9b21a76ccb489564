"""The schedule of recurring lines, checked against python-dateutil's rrule.

rrule is an independent statement of the same calendar: for a day of the month
above 28 it is asked for "that day, or the month's last day when the month is
shorter" (bymonthday=(day, -1) with bysetpos=1), which is the seed's rule that
the 31st falls back to the last day and returns to the 31st.
"""

from __future__ import annotations

import datetime as dt
import itertools

from dateutil import rrule
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from fakturera.recurring import schedule
from fakturera.recurring.schedule import LineSchedule, Period, line_period, next_after, period_text, plan_orders

FREQUENCIES = list(schedule.STEPS)


def rrule_dates(anchor: dt.date, frequency: str, factor: int, until: dt.date) -> list[dt.date]:
    start = dt.datetime.combine(anchor, dt.time())
    end = dt.datetime.combine(until, dt.time())
    day = anchor.day
    # Month-end anchors: the day itself, else the month's last day (the first of the two that exists).
    by_day = {"bymonthday": (day, -1), "bysetpos": 1} if day > 28 else {"bymonthday": day}
    if frequency == schedule.DAILY:
        rule = rrule.rrule(rrule.DAILY, interval=factor, dtstart=start, until=end)
    elif frequency == schedule.WEEKLY:
        rule = rrule.rrule(rrule.WEEKLY, interval=factor, dtstart=start, until=end)
    elif frequency == schedule.YEARLY:
        rule = rrule.rrule(rrule.YEARLY, interval=factor, bymonth=anchor.month, dtstart=start, until=end, **by_day)
    else:
        months = {schedule.MONTHLY: 1, schedule.QUARTERLY: 3, schedule.HALF_YEARLY: 6}[frequency]
        rule = rrule.rrule(rrule.MONTHLY, interval=months * factor, dtstart=start, until=end, **by_day)
    return [moment.date() for moment in rule]


def _last_day(day: dt.date) -> int:
    return ((day.replace(day=1) + relativedelta(months=1)) - dt.timedelta(days=1)).day


anchors = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
month_ends = st.builds(
    lambda year, month, back: (dt.date(year, month, 1) + relativedelta(months=1)) - dt.timedelta(days=back),
    st.integers(1990, 2090),
    st.integers(1, 12),
    st.integers(1, 4),
)
frequencies = st.sampled_from(FREQUENCIES)
factors = st.integers(min_value=1, max_value=12)


@given(anchor=anchors | month_ends, frequency=frequencies, factor=factors)
def test_generating_for_five_years_gives_rrules_dates(anchor, frequency, factor):
    # given a line starting on `anchor`
    until = anchor + relativedelta(years=5)
    line = LineSchedule(anchor, frequency, factor, next_on=anchor)

    # when every date up to five years on is generated, one run after another
    generated = []
    day = anchor
    while day <= until:
        generated.append(day)
        day = next_after(line, day)

    # then the dates are rrule's, strictly increasing (no duplicate), and one plan agrees
    assert generated == rrule_dates(anchor, frequency, factor, until)
    assert all(a < b for a, b in itertools.pairwise(generated))
    assert [order.on for order in plan_orders([line], until).orders] == generated


@given(anchor=anchors | month_ends, frequency=st.sampled_from(FREQUENCIES[2:]), factor=factors)
def test_month_based_dates_keep_the_anchors_day_without_drift(anchor, frequency, factor):
    line = LineSchedule(anchor, frequency, factor, next_on=anchor)
    until = anchor + relativedelta(years=5)

    for order in plan_orders([line], until).orders:
        assert order.on.day == min(anchor.day, _last_day(order.on))


@given(
    anchor=anchors | month_ends,
    frequency=frequencies,
    factor=factors,
    runs=st.lists(st.integers(min_value=0, max_value=800), min_size=1, max_size=6),
)
def test_runs_on_any_days_make_the_same_orders_as_one_run(anchor, frequency, factor, runs):
    # given runs on arbitrary days (some missed, some twice on one day)
    until = anchor + relativedelta(years=5)
    run_days = [*sorted(anchor + dt.timedelta(days=offset) for offset in runs), until]
    line = LineSchedule(anchor, frequency, factor, next_on=anchor)

    # when each run generates what is due and moves the next date on
    generated = []
    for day in run_days:
        plan = plan_orders([line], day)
        generated += [order.on for order in plan.orders]
        line = LineSchedule(anchor, frequency, factor, next_on=plan.next_on[0])

    # then it is the same as one run, with no date twice
    assert generated == rrule_dates(anchor, frequency, factor, until)
    assert line.next_on > until


@given(anchor=anchors | month_ends, frequency=frequencies, factor=factors, offset=st.integers(-40, 4000))
def test_next_after_any_day_is_the_first_later_rrule_date(anchor, frequency, factor, offset):
    day = anchor + dt.timedelta(days=offset)
    line = LineSchedule(anchor, frequency, factor, next_on=anchor)
    # The longest step is `factor` years: rrule's dates up to one step past `day` include the answer.
    later = rrule_dates(anchor, frequency, factor, max(day, anchor) + relativedelta(years=factor, days=1))

    assert next_after(line, day) == next(d for d in later if d > day)


def test_month_end_falls_back_and_returns():
    line = LineSchedule(dt.date(2027, 1, 31), schedule.MONTHLY, 1, next_on=dt.date(2027, 1, 31))
    dates = [order.on for order in plan_orders([line], dt.date(2027, 5, 31)).orders]
    assert dates == [dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31), dt.date(2027, 4, 30),
                     dt.date(2027, 5, 31)]  # fmt: skip


def test_leap_day_yearly():
    line = LineSchedule(dt.date(2028, 2, 29), schedule.YEARLY, 1, next_on=dt.date(2028, 2, 29))
    dates = [order.on for order in plan_orders([line], dt.date(2032, 3, 1)).orders]
    assert dates == [dt.date(2028, 2, 29), dt.date(2029, 2, 28), dt.date(2030, 2, 28), dt.date(2031, 2, 28),
                     dt.date(2032, 2, 29)]  # fmt: skip


def test_web_hosting_twelve_months_eleven_orders_with_hosting_only_the_twelfth_with_both():
    # Seed 002: hosting monthly from the 1st, the domain fee yearly, due in the twelfth month.
    hosting = LineSchedule(dt.date(2027, 1, 1), schedule.MONTHLY, 1, next_on=dt.date(2027, 1, 1))
    domain = LineSchedule(dt.date(2027, 12, 1), schedule.YEARLY, 1, next_on=dt.date(2027, 12, 1))

    plan = plan_orders([hosting, domain], dt.date(2027, 12, 31))

    assert [order.on for order in plan.orders] == [dt.date(2027, month, 1) for month in range(1, 13)]
    assert [[line.index for line in order.lines] for order in plan.orders] == [[0]] * 11 + [[0, 1]]
    assert plan.next_on == (dt.date(2028, 1, 1), dt.date(2028, 12, 1))


def test_factor_two_monthly_is_every_other_month_and_quarterly_factor_two_every_other_quarter():
    monthly = LineSchedule(dt.date(2027, 1, 15), schedule.MONTHLY, 2, next_on=dt.date(2027, 1, 15))
    quarterly = LineSchedule(dt.date(2027, 1, 15), schedule.QUARTERLY, 2, next_on=dt.date(2027, 1, 15))

    plan = plan_orders([monthly, quarterly], dt.date(2027, 12, 31))

    assert [(o.on.month, [line.index for line in o.lines]) for o in plan.orders] == [
        (1, [0, 1]), (3, [0]), (5, [0]), (7, [0, 1]), (9, [0]), (11, [0]),
    ]  # fmt: skip


def test_a_missed_run_catches_up_one_order_per_date():
    weekly = LineSchedule(dt.date(2027, 3, 1), schedule.WEEKLY, 1, next_on=dt.date(2027, 3, 15))
    plan = plan_orders([weekly], dt.date(2027, 4, 1))
    assert [o.on for o in plan.orders] == [dt.date(2027, 3, 15), dt.date(2027, 3, 22), dt.date(2027, 3, 29)]
    assert plan.next_on == (dt.date(2027, 4, 5),)


def test_period_text_of_the_seed():
    # Seed 002: invoice date 2009-01-01, monthly.
    period = line_period(dt.date(2009, 1, 1), dt.date(2009, 2, 1))
    assert period_text("Gäller för perioden [START] till [END]", period) == (
        "Gäller för perioden 2009-01-01 till 2009-01-31"
    )
    # ... with an advance of factor 2, interval week.
    ahead = line_period(dt.date(2009, 1, 1), dt.date(2009, 2, 1), advance_factor=2, advance_unit=schedule.WEEKS)
    assert ahead == Period(dt.date(2009, 1, 15), dt.date(2009, 2, 14))
    assert period_text("Gäller för perioden [START] till [END]", ahead) == (
        "Gäller för perioden 2009-01-15 till 2009-02-14"
    )


def test_period_advance_in_months_and_days():
    assert line_period(
        dt.date(2027, 1, 1), dt.date(2027, 2, 1), advance_factor=1, advance_unit=schedule.MONTHS
    ) == Period(dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert line_period(
        dt.date(2027, 1, 1), dt.date(2027, 1, 8), advance_factor=3, advance_unit=schedule.DAYS
    ) == Period(dt.date(2027, 1, 4), dt.date(2027, 1, 10))
