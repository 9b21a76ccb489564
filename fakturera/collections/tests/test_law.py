"""The Nordic limits one by one, the fee decided at run time, and interest day by day (pure:
no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakturera.collections.law import (
    EarlierReminder,
    FeeKind,
    LevelTerms,
    PublishedRate,
    RateKind,
    RateMissing,
    RatePeriod,
    fee_for_reminder,
    interest_exact,
    interest_owed,
    interest_periods,
    periods_of,
    policy_problems,
)
from fakturera.collections.rules import Given, Level, Policy, law_terms, next_level_due

DUE = dt.date(2026, 3, 1)
INKASSOSATS = Decimal("700")


def level(number: int, days: int, fee: str | None = None, new_due_days: int = 14) -> LevelTerms:
    return LevelTerms(number=number, days=days, fee_amount=Decimal(fee) if fee else None, new_due_days=new_due_days)


def problems(country: str, *levels: LevelTerms, kind: str = "person") -> dict[str, list[str]]:
    return policy_problems(country=country, customer_kind=kind, levels=levels, collection_rate=INKASSOSATS)


def fee(country: str, *, today: dt.date, earlier=(), asked="1000", kind="person", currency=None, **options):
    currencies = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "FI": "EUR"}
    return fee_for_reminder(
        country=country,
        customer_kind=kind,
        currency=currency or currencies[country],
        level_fee=Decimal(asked) if asked else None,
        is_fee_agreed=options.get("agreed", True),
        is_claiming_late_compensation=options.get("compensation", False),
        due_on=DUE,
        today=today,
        earlier=earlier,
        collection_rate=options.get("collection_rate", INKASSOSATS),
    )


def sent(on: dt.date, amount: str = "0", new_due_days: int = 14) -> EarlierReminder:
    kind = FeeKind.REMINDER_FEE if Decimal(amount) else FeeKind.NONE
    return EarlierReminder(on, Decimal(amount), kind, on + dt.timedelta(days=new_due_days))


# --- a policy is refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "cap", "above"),
    [("SE", "60", "60.01"), ("DK", "100", "100.50"), ("FI", "5", "5.01"), ("NO", "35", "35.01")],
)
def test_a_fee_above_the_cap_is_refused_per_country(country, cap, above):
    at_cap = problems(country, level(1, 14, cap))
    refused = problems(country, level(1, 14, above))

    assert at_cap == {}
    assert list(refused) == ["levels-0-fee_amount"]
    assert f"at most {Decimal(cap).normalize():f}" in refused["levels-0-fee_amount"][0]


def test_the_refusal_names_the_limit_and_the_law():
    [message] = problems("SE", level(1, 10, "75"))["levels-0-fee_amount"]

    assert "60 SEK" in message
    assert "lag (1981:739)" in message
    assert "4 §" in message


def test_a_second_swedish_fee_is_refused():
    refused = problems("SE", level(1, 10, "60"), level(2, 14, "60"))

    assert "At most 1 reminders of a claim may carry a fee" in refused["levels"][0]


def test_a_norwegian_fee_before_14_days_is_refused():
    refused = problems("NO", level(1, 13, "35"))
    allowed = problems("NO", level(1, 14, "35"))

    assert "inkassoforskriften § 1-2" in refused["levels-0-days"][0]
    assert allowed == {}


def test_the_norwegian_cap_is_a_twentieth_of_the_inkassosats_in_the_table():
    assert problems("NO", level(1, 14, "35")) == {}
    no_rate = policy_problems(country="NO", customer_kind="person", levels=[level(1, 14, "35")], collection_rate=None)

    assert "no inkassosats" in no_rate["levels-0-fee_amount"][0]


def test_a_second_norwegian_fee_needs_a_14_day_deadline_in_the_first():
    refused = problems("NO", level(1, 14, "35", new_due_days=10), level(2, 14, "35"))
    allowed = problems("NO", level(1, 14, "35", new_due_days=14), level(2, 14, "35"))

    assert "inkassoforskriften § 1-3" in refused["levels-1-fee_amount"][0]
    assert allowed == {}


def test_a_third_norwegian_fee_is_refused():
    refused = problems("NO", level(1, 14, "35"), level(2, 14, "35"), level(3, 14, "35"))

    assert "At most 2" in refused["levels"][0]


def test_a_fourth_danish_fee_is_refused():
    three = [level(n, 10, "100") for n in (1, 2, 3)]

    assert problems("DK", *three) == {}
    refused = problems("DK", *three, level(4, 10, "100"))
    assert "At most 3" in refused["levels"][0]
    assert "renteloven § 9 b" in refused["levels"][0]


def test_danish_fees_less_than_10_days_apart_are_refused():
    refused = problems("DK", level(1, 5, "100"), level(2, 9, "100"))

    assert "at least 10 days" in refused["levels-1-days"][0]


def test_a_finnish_consumer_fee_before_14_days_is_refused():
    refused = problems("FI", level(1, 10, "5"))

    assert "10 b §" in refused["levels-0-days"][0]
    assert problems("FI", level(1, 14, "5")) == {}


def test_every_problem_is_reported_at_once():
    refused = problems("DK", level(1, 5, "150"), level(2, 5, "150"), level(3, 10, "100"), level(4, 10, "100"))

    assert set(refused) == {"levels-0-fee_amount", "levels-1-fee_amount", "levels-1-days", "levels"}


def test_levels_counted_from_the_due_date_are_read_as_days_between_reminders():
    levels = (Level(1, 10, fee_amount=Decimal("100")), Level(2, 15, "due_date", fee_amount=Decimal("100")))

    refused = policy_problems(country="DK", customer_kind="person", levels=law_terms(levels), collection_rate=None)

    assert "after 5 days" in refused["levels-1-days"][0]


# --- the fee at run time ---------------------------------------------------------------------


def test_a_swedish_fee_is_charged_once_and_only_when_agreed():
    first = fee("SE", today=DUE + dt.timedelta(days=10), asked="60")
    second = fee("SE", today=DUE + dt.timedelta(days=30), asked="60", earlier=[sent(DUE + dt.timedelta(days=10), "60")])
    not_agreed = fee("SE", today=DUE + dt.timedelta(days=10), asked="60", agreed=False)

    assert (first.amount, first.kind) == (Decimal("60.00"), FeeKind.REMINDER_FEE)
    assert (second.amount, second.reason) == (Decimal("0.00"), "max_fees")
    assert (not_agreed.amount, not_agreed.reason) == (Decimal("0.00"), "not_agreed")
    assert "2 §" in not_agreed.message


def test_a_fee_saved_above_the_cap_is_charged_at_the_cap_at_most():
    assert fee("SE", today=DUE + dt.timedelta(days=10), asked="95").amount == Decimal("60.00")
    assert fee("DK", today=DUE + dt.timedelta(days=10), asked="250").amount == Decimal("100.00")
    assert fee("NO", today=DUE + dt.timedelta(days=14), asked="70").amount == Decimal("35.00")
    assert fee("FI", today=DUE + dt.timedelta(days=14), asked="8").amount == Decimal("5.00")


def test_swedish_businesses_pay_the_late_payment_compensation_once_instead():
    today = DUE + dt.timedelta(days=10)

    first = fee("SE", today=today, kind="organisation", compensation=True, agreed=False)
    again = fee(
        "SE",
        today=today + dt.timedelta(days=20),
        kind="organisation",
        compensation=True,
        earlier=[EarlierReminder(today, Decimal("450"), FeeKind.LATE_COMPENSATION, None)],
    )
    person = fee("SE", today=today, kind="person", compensation=True, asked="60")

    assert (first.amount, first.kind) == (Decimal("450.00"), FeeKind.LATE_COMPENSATION)
    assert again.amount == Decimal("0.00")
    assert (person.amount, person.kind) == (Decimal("60.00"), FeeKind.REMINDER_FEE)


def test_a_norwegian_fee_before_14_days_is_not_charged():
    early = fee("NO", today=DUE + dt.timedelta(days=13), asked="35")
    on_time = fee("NO", today=DUE + dt.timedelta(days=14), asked="35")

    assert (early.amount, early.reason) == (Decimal("0.00"), "too_early")
    assert on_time.amount == Decimal("35.00")


def test_a_second_norwegian_fee_waits_for_a_14_day_deadline_to_pass():
    first_on = DUE + dt.timedelta(days=14)
    short = [sent(first_on, "35", new_due_days=10)]
    long = [sent(first_on, "35", new_due_days=14)]

    assert fee("NO", today=first_on + dt.timedelta(days=20), earlier=short, asked="35").reason == "deadline"
    assert fee("NO", today=first_on + dt.timedelta(days=14), earlier=long, asked="35").reason == "deadline"
    assert fee("NO", today=first_on + dt.timedelta(days=15), earlier=long, asked="35").amount == Decimal("35.00")


def test_a_fourth_danish_fee_is_not_charged_nor_one_within_10_days():
    on = [DUE + dt.timedelta(days=d) for d in (1, 11, 21)]
    three = [sent(day, "100") for day in on]

    assert fee("DK", today=DUE + dt.timedelta(days=40), earlier=three, asked="100").reason == "max_fees"
    assert fee("DK", today=on[0] + dt.timedelta(days=9), earlier=three[:1], asked="100").reason == "too_soon"
    assert fee("DK", today=on[0] + dt.timedelta(days=10), earlier=three[:1], asked="100").amount == Decimal("100.00")


def test_a_finnish_consumer_fee_before_14_days_is_not_charged():
    assert fee("FI", today=DUE + dt.timedelta(days=13), asked="5").reason == "too_early"
    assert fee("FI", today=DUE + dt.timedelta(days=14), asked="5").amount == Decimal("5.00")


def test_no_fee_on_an_invoice_in_another_currency():
    decision = fee("SE", today=DUE + dt.timedelta(days=10), asked="60", currency="EUR")

    assert (decision.amount, decision.reason) == (Decimal("0.00"), "currency")


# --- interest ---------------------------------------------------------------------------------


SWEDISH_ROWS = [
    PublishedRate(dt.date(2024, 1, 1), Decimal("4.00")),
    PublishedRate(dt.date(2024, 7, 1), Decimal("2.00")),
]


def test_interest_runs_from_the_day_after_the_due_date_at_reference_plus_8():
    rates = interest_periods(country="SE", customer_kind="person", rows=SWEDISH_ROWS)

    # 10 days (2 to 11 January) at 12 %: 10 000 x 0.12 x 10 / 365 = 32.876...
    owed = interest_owed(
        principal=Decimal("10000"),
        from_date=dt.date(2024, 1, 1),
        to_date=dt.date(2024, 1, 11),
        rates=rates,
        currency="SEK",
    )

    assert owed == Decimal("32.88")
    assert interest_owed(
        principal=Decimal("10000"), from_date=DUE, to_date=DUE, rates=rates, currency="SEK"
    ) == Decimal("0.00")


def test_interest_across_a_rate_change_uses_each_days_rate():
    rates = interest_periods(country="SE", customer_kind="person", rows=SWEDISH_ROWS)

    # 21 to 30 June (10 days) at 12 %, 1 to 10 July (10 days) at 10 %.
    owed = interest_owed(
        principal=Decimal("10000"),
        from_date=dt.date(2024, 6, 20),
        to_date=dt.date(2024, 7, 10),
        rates=rates,
        currency="SEK",
    )

    expected = Decimal("10000") * (Decimal("0.12") * 10 + Decimal("0.10") * 10) / 365
    assert owed == expected.quantize(Decimal("0.01"))
    assert owed == Decimal("60.27")


def test_finland_adds_7_points_for_consumers_and_8_between_businesses():
    rows = [PublishedRate(dt.date(2026, 1, 1), Decimal("2.5"))]

    assert interest_periods(country="FI", customer_kind="person", rows=rows)[0].percent == Decimal("9.5")
    assert interest_periods(country="FI", customer_kind="organisation", rows=rows)[0].percent == Decimal("10.5")


def test_a_half_year_without_a_published_rate_refuses_interest():
    rates = interest_periods(country="SE", customer_kind="person", rows=SWEDISH_ROWS)

    with pytest.raises(RateMissing) as refused:
        interest_owed(
            principal=Decimal("100"),
            from_date=dt.date(2024, 12, 20),
            to_date=dt.date(2025, 1, 5),
            rates=rates,
            currency="SEK",
        )

    assert refused.value.day == dt.date(2025, 1, 1)


def test_the_inkassosats_has_no_half_year_end():
    periods = periods_of([PublishedRate(dt.date(2017, 1, 1), INKASSOSATS)], kind=RateKind.COLLECTION_RATE)

    assert periods == [RatePeriod(dt.date(2017, 1, 1), None, INKASSOSATS)]


RATES = [
    RatePeriod(dt.date(2020, 1, 1), dt.date(2020, 6, 30), Decimal("8")),
    RatePeriod(dt.date(2020, 7, 1), dt.date(2020, 12, 31), Decimal("11.5")),
    RatePeriod(dt.date(2021, 1, 1), None, Decimal("9.75")),
]
days = st.integers(min_value=0, max_value=900)


@settings(max_examples=200, deadline=None)
@given(
    principal=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    start=days,
    first=days,
    second=days,
)
def test_interest_splits_additively_over_a_date_split(principal, start, first, second):
    begin = dt.date(2020, 1, 1) + dt.timedelta(days=start)
    middle = begin + dt.timedelta(days=first)
    end = middle + dt.timedelta(days=second)

    whole = interest_exact(principal=principal, from_date=begin, to_date=end, rates=RATES)
    parts = interest_exact(principal=principal, from_date=begin, to_date=middle, rates=RATES) + interest_exact(
        principal=principal, from_date=middle, to_date=end, rates=RATES
    )

    assert abs(whole - parts) < Decimal("1e-20")
    rounded = [
        interest_owed(principal=principal, from_date=a, to_date=b, rates=RATES, currency="SEK")
        for a, b in ((begin, middle), (middle, end))
    ]
    # Rounded once each: the parts differ from the whole by at most a rounding per part.
    whole_rounded = interest_owed(principal=principal, from_date=begin, to_date=end, rates=RATES, currency="SEK")
    assert abs(whole_rounded - sum(rounded)) <= Decimal("0.01")


@settings(max_examples=200, deadline=None)
@given(principal=st.decimals(min_value=Decimal("1"), max_value=Decimal("100000"), places=2), start=days, length=days)
def test_interest_equals_the_sum_of_each_days_interest(principal, start, length):
    begin = dt.date(2020, 1, 1) + dt.timedelta(days=start)
    end = begin + dt.timedelta(days=length)

    by_day = sum(
        (
            interest_exact(principal=principal, from_date=day - dt.timedelta(days=1), to_date=day, rates=RATES)
            for day in (begin + dt.timedelta(days=n) for n in range(1, length + 1))
        ),
        Decimal(0),
    )

    assert abs(interest_exact(principal=principal, from_date=begin, to_date=end, rates=RATES) - by_day) < Decimal(
        "1e-18"
    )


# --- which level is due -----------------------------------------------------------------------


POLICY = Policy(
    company_id=1,
    customer_kind="person",
    levels=(Level(1, 10), Level(2, 14, "previous"), Level(3, 40, "due_date")),
)


def test_the_first_level_is_due_after_its_days():
    assert next_level_due(POLICY, due_on=DUE, latest=None, today=DUE + dt.timedelta(days=9)) is None
    assert next_level_due(POLICY, due_on=DUE, latest=None, today=DUE + dt.timedelta(days=10)) == 1


def test_a_missed_week_gives_the_next_level_once_not_a_level_per_day():
    late_run = DUE + dt.timedelta(days=60)

    assert next_level_due(POLICY, due_on=DUE, latest=None, today=late_run) == 1
    # Level 1 given today: level 2 counts its 14 days from today, not from when it was due.
    given = Given(1, late_run)
    assert next_level_due(POLICY, due_on=DUE, latest=given, today=late_run) is None
    assert next_level_due(POLICY, due_on=DUE, latest=given, today=late_run + dt.timedelta(days=13)) is None
    assert next_level_due(POLICY, due_on=DUE, latest=given, today=late_run + dt.timedelta(days=14)) == 2


def test_after_the_last_level_nothing_is_due():
    assert next_level_due(POLICY, due_on=DUE, latest=Given(3, DUE), today=DUE + dt.timedelta(days=400)) is None
