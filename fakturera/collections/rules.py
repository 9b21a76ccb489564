"""Reminder policy as pure data: the levels, the default schedule of a new company, and which
level an overdue invoice is due for (no ORM; the law itself is in law.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from fakturera.collections.law import LevelTerms, law_of

LANGUAGES = ("sv", "en", "da", "nb")
TEXT_FIELDS = ("subject", "body", "letter")
MAX_LEVELS = 6
MAX_DAYS = 365


@dataclass(frozen=True)
class Level:
    number: int
    days: int
    days_from: str = "due_date"  # or "previous"
    channel: str = ""
    fee_amount: Decimal | None = None
    is_claiming_interest: bool = True
    new_due_days: int = 10
    task_mode: str = ""
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    def terms(self, *, previous_days_after_due: int) -> LevelTerms:
        """The level as the law reads it: days after the previous reminder (level 1: after
        the due date). A level counted from the due date is that many days after it, so after
        the previous one by the difference."""
        days = self.days
        if self.days_from == "due_date" and self.number > 1:
            days = max(0, self.days - previous_days_after_due)
        return LevelTerms(number=self.number, days=days, fee_amount=self.fee_amount, new_due_days=self.new_due_days)


@dataclass(frozen=True)
class Policy:
    company_id: int
    customer_kind: str
    levels: tuple[Level, ...]
    minimum_amount: Decimal = Decimal("0.00")
    last_level_action: str = "stop"
    is_default: bool = False  # not saved by the company: the built-in schedule

    def level(self, number: int) -> Level | None:
        # Levels are numbered 1, 2, ... in order: found by position (asked for every claim of a run).
        if 0 < number <= len(self.levels) and self.levels[number - 1].number == number:
            return self.levels[number - 1]
        return next((level for level in self.levels if level.number == number), None)


def law_terms(levels: tuple[Level, ...] | list[Level]) -> list[LevelTerms]:
    terms, after_due = [], 0
    for level in levels:
        term = level.terms(previous_days_after_due=after_due)
        after_due += term.days
        terms.append(term)
    return terms


def default_levels(country: str) -> tuple[Level, ...]:
    """A new company's schedule: two reminders without a fee (a fee needs the company's own
    decision and, in Sweden, an agreement), the first when the law's earliest fee day has come
    so that adding a fee later needs no change of timing; the deadlines give the 14 days
    Norway's second fee needs (inkassoforskriften § 1-3)."""
    law = law_of(country)
    first = max(7, law.fee_earliest_days_after_due)
    between = max(14, law.fee_min_days_between)
    deadline = max(10, law.fee_needs_previous_deadline_days)
    return (
        Level(number=1, days=first, days_from="due_date", new_due_days=deadline),
        Level(number=2, days=between, days_from="previous", new_due_days=deadline),
    )


def default_policy(*, company_id: int, country: str, customer_kind: str) -> Policy:
    return Policy(company_id=company_id, customer_kind=customer_kind, levels=default_levels(country), is_default=True)


@dataclass(frozen=True)
class Given:
    """The latest reminder of an invoice that counts (queued or sent)."""

    level: int
    assessed_on: dt.date


def level_due_on(policy: Policy, *, number: int, due_on: dt.date, previous: Given | None) -> dt.date | None:
    """The first day level `number` may be sent, or None if the policy has no such level."""
    level = policy.level(number)
    if level is None:
        return None
    if level.days_from == "previous" and previous is not None:
        return previous.assessed_on + dt.timedelta(days=level.days)
    return due_on + dt.timedelta(days=level.days)


def next_level_due(policy: Policy, *, due_on: dt.date, latest: Given | None, today: dt.date) -> int | None:
    """The one level an overdue invoice is due for today, or None. Only the level after the
    latest given one is ever due: a run after a missed week sends that level once, and the
    next level's days count from that reminder, never a level per missed day."""
    number = 1 if latest is None else latest.level + 1
    on = level_due_on(policy, number=number, due_on=due_on, previous=latest)
    if on is None or on > today:
        return None
    # A level counted from the due date still waits for the previous reminder's own deadline
    # to be at least a day old: two levels are never given on the same day.
    if latest is not None and latest.assessed_on >= today:
        return None
    return number


def half_years_missing(valid_froms: list[dt.date], *, until: dt.date) -> list[dt.date]:
    """The half-years (their first day) from the first rate entered up to the one `until` is
    in that have no rate of their own: a half-yearly rate is in force for its half-year only
    (räntelagen 9 §, renteloven § 5, korkolaki 12 §), so interest over such a half-year is
    not claimed until the rate is entered (law.RateMissing). No rate at all: the half-year of
    `until` is missing."""
    current = dt.date(until.year, 1 if until.month <= 6 else 7, 1)
    starts = {day for day in valid_froms if day.day == 1 and day.month in (1, 7)}
    day = min(valid_froms, default=current)
    day = dt.date(day.year, 1 if day.month <= 6 else 7, 1)
    missing = []
    while day <= current:
        if day not in starts:
            missing.append(day)
        day = dt.date(day.year, 7, 1) if day.month == 1 else dt.date(day.year + 1, 1, 1)
    return missing
