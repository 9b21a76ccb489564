"""When recurring lines fall due, which orders that makes, and the period a line
covers: pure date arithmetic, no ORM.

Each line counts its dates from its anchor (the date its schedule started on):
the n-th date is anchor + n x factor x interval. Counting from the anchor, never
from the previous date, keeps the day of the month (seed 002): a line anchored on
the 31st falls on the last day of a shorter month and returns to the 31st
(Jan 31 -> Feb 28 -> Mar 31), where stepping on from Feb 28 would drift to the 28th
for good. Yearly from Feb 29 gives Feb 28 in common years and Feb 29 again in leap
years, for the same reason.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

DAILY = "daily"
WEEKLY = "weekly"
MONTHLY = "monthly"
QUARTERLY = "quarterly"
HALF_YEARLY = "half_yearly"
YEARLY = "yearly"

# One interval of each frequency, in days or in months.
STEPS: dict[str, tuple[str, int]] = {
    DAILY: ("days", 1),
    WEEKLY: ("days", 7),
    MONTHLY: ("months", 1),
    QUARTERLY: ("months", 3),
    HALF_YEARLY: ("months", 6),
    YEARLY: ("months", 12),
}

DAYS = "days"
WEEKS = "weeks"
MONTHS = "months"
ADVANCE_UNITS = (DAYS, WEEKS, MONTHS)

START = "[START]"
END = "[END]"


class LineSchedule(NamedTuple):
    """What the schedule of one line is made of; `next_on` is its next date."""

    anchor: dt.date
    frequency: str
    factor: int
    next_on: dt.date


# Many lines share a schedule (the 1st of the month, monthly): a month's generation asks for
# the same few dates again and again.
@lru_cache(maxsize=65536)
def occurrence(anchor: dt.date, frequency: str, factor: int, index: int) -> dt.date:
    """The `index`-th date of the schedule (the anchor is the 0th)."""
    unit, size = STEPS[frequency]
    if unit == "days":
        return anchor + dt.timedelta(days=size * factor * index)
    # relativedelta clamps to the month's last day and the next step starts from the anchor again.
    return anchor + relativedelta(months=size * factor * index)


def next_after(schedule: LineSchedule, day: dt.date) -> dt.date:
    """The first date of the schedule after `day`."""
    anchor, frequency, factor = schedule.anchor, schedule.frequency, schedule.factor
    if day < anchor:
        return anchor
    unit, size = STEPS[frequency]
    step = size * factor
    if unit == "days":
        index = (day - anchor).days // step + 1
    else:
        # The date of that month may still be on or before `day`; the loop moves past it.
        index = ((day.year - anchor.year) * 12 + day.month - anchor.month) // step
    following = occurrence(anchor, frequency, factor, index)
    while following <= day:
        index += 1
        following = occurrence(anchor, frequency, factor, index)
    return following


def due_dates(schedule: LineSchedule, until: dt.date) -> list[dt.date]:
    """The line's dates from its next date up to `until`, in order (a missed run catches up)."""
    dates = []
    day = schedule.next_on
    while day <= until:
        dates.append(day)
        day = next_after(schedule, day)
    return dates


@dataclass(frozen=True)
class PlannedLine:
    index: int  # position in the lines given to `plan_orders`
    on: dt.date  # the date it falls due (the order's date)
    following_on: dt.date  # its next date after this one: the period ends the day before


@dataclass(frozen=True)
class PlannedOrder:
    on: dt.date
    lines: tuple[PlannedLine, ...]


@dataclass(frozen=True)
class Plan:
    orders: tuple[PlannedOrder, ...]
    next_on: tuple[dt.date, ...]  # each line's next date afterwards (unchanged when not due)


def plan_orders(lines: Sequence[LineSchedule], until: dt.date) -> Plan:
    """One order per date on which any line falls due up to `until`, holding every line due
    that day (seed 002: a monthly and a yearly line from the same day share the yearly order).
    Orders come in date order; a date never makes two orders."""
    return _plan(tuple(lines), until)


# A month's generation plans the same few sets of schedules for thousands of recurring invoices.
@lru_cache(maxsize=4096)
def _plan(lines: tuple[LineSchedule, ...], until: dt.date) -> Plan:
    by_date: dict[dt.date, list[PlannedLine]] = defaultdict(list)
    next_dates = []
    for index, line in enumerate(lines):
        day = line.next_on
        while day <= until:
            following = next_after(line, day)
            by_date[day].append(PlannedLine(index, day, following))
            day = following
        next_dates.append(day)
    orders = tuple(PlannedOrder(on, tuple(planned)) for on, planned in sorted(by_date.items()))
    return Plan(orders=orders, next_on=tuple(next_dates))


# --- period text ---------------------------------------------------------------------------------------


def advance(day: dt.date, factor: int, unit: str) -> dt.date:
    if unit == DAYS:
        return day + dt.timedelta(days=factor)
    if unit == WEEKS:
        return day + dt.timedelta(weeks=factor)
    if unit == MONTHS:
        return day + relativedelta(months=factor)
    raise ValueError(f"unknown advance unit {unit!r}")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


@lru_cache(maxsize=65536)
def line_period(on: dt.date, following_on: dt.date, advance_factor: int = 0, advance_unit: str = DAYS) -> Period:
    """Seed 002: [START] is the line's date plus the advance, [END] the day before its next
    date plus the advance (monthly from 2009-01-01, two weeks ahead: 2009-01-15 to 2009-02-14)."""
    return Period(
        start=advance(on, advance_factor, advance_unit),
        end=advance(following_on - dt.timedelta(days=1), advance_factor, advance_unit),
    )


def period_text(template: str, period: Period) -> str:
    return template.replace(START, period.start.isoformat()).replace(END, period.end.isoformat())
