"""The cash-in forecast's rules: when open and planned invoices are expected to be paid, and how
likely. Pure: plain values in, weeks out, no ORM (the selector gathers the inputs in bulk).

The method, in the words the page shows (`staff/templates/staff/overviews/forecast.html`):
- Each open invoice is placed in the week it is expected to be paid: its due date moved by how
  late its customer usually pays (the median of their paid invoices' days late, or early),
  the company's median when the customer has fewer than `MIN_HISTORY` paid invoices; the shift
  is kept between `EARLIEST_SHIFT` and `LATEST_SHIFT` days. What that places before today
  (already overdue and later than usual) goes into the first week.
- Its amount is weighted by the probability that the customer pays at all: the share of their
  invoices due long enough ago (`SETTLED_AFTER` days) that are paid, pulled towards the
  company's share when they have few (`PRIOR_WEIGHT` invoices' worth of the company's share;
  the company's own share is pulled the same way towards `DEFAULT_PAID_SHARE`).
- Planned invoices of the recurring schedules are placed and weighted the same way from their
  due date (order date + payment terms).
- The band: the same figures once with each customer's slower quartile of days late and a
  lower probability, once with their faster quartile and a higher one; per week the lowest and
  the highest of the three.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WEEKS = 12
MIN_HISTORY = 3
EARLIEST_SHIFT = -30
LATEST_SHIFT = 90
# A receivable due this long ago counts in the customer's share of invoices paid.
SETTLED_AFTER = 60
PRIOR_WEIGHT = 3
# The company's share of invoices paid when it has no history at all.
DEFAULT_PAID_SHARE = Decimal("0.95")
COMPANY_PRIOR_WEIGHT = 10
# How far the low and high cases move the probability of paying.
PROBABILITY_SPREAD = Decimal("0.10")
CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")


@dataclass(frozen=True)
class Item:
    """An amount a customer is expected to pay: an open invoice or a planned one."""

    customer_id: int
    currency: str
    amount: Decimal
    due_on: dt.date


@dataclass(frozen=True)
class Outcome:
    """A customer's invoices due long enough ago to judge (`total`), of which `paid` are paid."""

    paid: int
    total: int


@dataclass(frozen=True)
class Payer:
    """What the forecast expects of one customer: shifts in days (typical, slow, fast) and the
    probability of paying at all."""

    shift: int
    slow_shift: int
    fast_shift: int
    probability: Decimal


@dataclass(frozen=True)
class Week:
    starts_on: dt.date
    from_open: Decimal
    from_recurring: Decimal
    low: Decimal
    high: Decimal

    @property
    def expected(self) -> Decimal:
        return self.from_open + self.from_recurring

    @property
    def ends_on(self) -> dt.date:
        return self.starts_on + dt.timedelta(days=6)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def clamp_shift(days: float | int) -> int:
    """A shift in whole days kept within the sensible range (a customer who once paid a year
    late does not move every invoice a year)."""
    return max(EARLIEST_SHIFT, min(LATEST_SHIFT, round(days)))


def _quantile(values: Sequence[int], which: int) -> float:
    """The lower (which=0) or upper (which=2) quartile; the median of one value is itself."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(sorted(values), n=4, method="inclusive")[which]


def paid_share(outcome: Outcome | None, prior: Decimal) -> Decimal:
    """The probability of paying: the customer's share of invoices paid, pulled towards `prior`
    by `PRIOR_WEIGHT` invoices' worth of it (no history: `prior`)."""
    if outcome is None or outcome.total == 0:
        return prior
    paid, total = outcome.paid, outcome.total
    return (Decimal(paid) + prior * PRIOR_WEIGHT) / (Decimal(total) + PRIOR_WEIGHT)


def company_paid_share(outcomes: Iterable[Outcome]) -> Decimal:
    """The company's share of invoices paid, itself pulled towards `DEFAULT_PAID_SHARE` by
    `COMPANY_PRIOR_WEIGHT` invoices' worth (a company whose payments are not yet registered is
    not a company nobody pays)."""
    paid = total = 0
    for outcome in outcomes:
        paid += outcome.paid
        total += outcome.total
    return (Decimal(paid) + DEFAULT_PAID_SHARE * COMPANY_PRIOR_WEIGHT) / (Decimal(total) + COMPANY_PRIOR_WEIGHT)


def payers(
    customer_ids: Iterable[int], delays: Mapping[int, Sequence[int]], outcomes: Mapping[int, Outcome]
) -> dict[int, Payer]:
    """Each customer's expected behaviour from their history (`delays`: days late, negative
    when early, of their paid invoices)."""
    every_delay = [days for found in delays.values() for days in found]
    company = (
        (clamp_shift(statistics.median(every_delay)), clamp_shift(_quantile(every_delay, 2)),
         clamp_shift(_quantile(every_delay, 0)))
        if every_delay else (0, 0, 0)
    )  # fmt: skip
    prior = company_paid_share(outcomes.values())
    found = {}
    for customer_id in set(customer_ids):
        own = delays.get(customer_id, ())
        if len(own) >= MIN_HISTORY:
            shift = clamp_shift(statistics.median(own))
            slow, fast = clamp_shift(_quantile(own, 2)), clamp_shift(_quantile(own, 0))
        else:
            shift, slow, fast = company
        found[customer_id] = Payer(shift, slow, fast, paid_share(outcomes.get(customer_id), prior))
    return found


def expected_on(due_on: dt.date, shift: int, today: dt.date) -> dt.date:
    """The day a payment is expected: the due date moved by the shift, never before today."""
    return max(today, due_on + dt.timedelta(days=shift))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def forecast(
    *,
    today: dt.date,
    open_items: Iterable[Item],
    planned_items: Iterable[Item] = (),
    delays: Mapping[int, Sequence[int]],
    outcomes: Mapping[int, Outcome],
    weeks: int = WEEKS,
) -> dict[str, list[Week]]:
    """Per currency, `weeks` Monday-based weeks from the one holding `today`: what is expected
    from open invoices, from planned (recurring) ones, and the low-high band. Amounts expected
    after the last week are left out."""
    open_items, planned_items = list(open_items), list(planned_items)
    known = payers({item.customer_id for item in [*open_items, *planned_items]}, delays, outcomes)
    first = monday_of(today)
    # Days as ordinals: the loop runs once per invoice (50,000 at a month's end).
    first_day, today_day, end_day = first.toordinal(), today.toordinal(), first.toordinal() + 7 * weeks

    def week_of(due_day: int, shift: int) -> int | None:
        day = max(today_day, due_day + shift)
        return (day - first_day) // 7 if day < end_day else None

    zeros = lambda: [ZERO] * weeks  # noqa: E731
    expected: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: {"open": zeros(), "recurring": zeros()})
    slow: dict[str, list[Decimal]] = defaultdict(zeros)
    fast: dict[str, list[Decimal]] = defaultdict(zeros)
    for kind, items in (("open", open_items), ("recurring", planned_items)):
        for item in items:
            if item.amount <= ZERO:
                continue
            payer = known[item.customer_id]
            by_kind, due_day = expected[item.currency], item.due_on.toordinal()
            index = week_of(due_day, payer.shift)
            if index is not None:
                by_kind[kind][index] += item.amount * payer.probability
            index = week_of(due_day, payer.slow_shift)
            if index is not None:
                slow[item.currency][index] += item.amount * max(ZERO, payer.probability - PROBABILITY_SPREAD)
            index = week_of(due_day, payer.fast_shift)
            if index is not None:
                fast[item.currency][index] += item.amount * min(ONE, payer.probability + PROBABILITY_SPREAD)
    result = {}
    for currency, by_kind in expected.items():
        rows = []
        for index in range(weeks):
            from_open, from_recurring = _cents(by_kind["open"][index]), _cents(by_kind["recurring"][index])
            cases = (from_open + from_recurring, _cents(slow[currency][index]), _cents(fast[currency][index]))
            rows.append(Week(first + dt.timedelta(weeks=index), from_open, from_recurring, min(cases), max(cases)))
        result[currency] = rows
    return result


def currencies_in_order(currencies: Iterable[str], default: str) -> list[str]:
    """The company's own currency first, the others alphabetically."""
    return sorted(set(currencies), key=lambda code: (code != default, code))
