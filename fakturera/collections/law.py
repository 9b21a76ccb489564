"""The Nordic law of reminders and late-payment interest, as data and pure functions.

No ORM and no settings: the services hand in what the database knows (the rates in force, the
reminders already sent) and get back a decision. Two questions are answered here, and only here:

- `policy_problems`: may a company's reminder policy be saved? (checked on every save)
- `fee_for_reminder`: what fee may this reminder of this claim carry, given what was sent
  before? (asked by the run for every reminder, so a policy saved under older rules, a rate
  changed since or a fee agreement withdrawn can never lead to a fee the law refuses)

Each limit names its source. Where a figure or a rule could not be checked against the text of
the law while this was written, the comment says so ("not verified"); such a limit is applied
in the stricter reading, so that at worst a fee that might have been allowed is not charged.

Sources (the texts as read):
- SE: lag (1981:739) om ersättning för inkassokostnader m.m., as amended by SFS 2013:56
  (riksdagen.se): 2 § (a fee for a written reminder only where agreed at the latest when the
  debt arose), 4 § (at most 60 kronor for a written reminder), 4 a § (a förseningsersättning
  between businesses when the creditor is owed late interest; 450 kronor since 16 March 2013).
  Räntelagen (1975:635): 6 § (late interest from the due date at the reference rate + 8
  percentage points), 9 § (the Riksbank fixes the reference rate for each calendar half-year).
- NO: inkassoforskriften (FOR-1989-07-14-562) § 1-2 (a written purring sent at the earliest
  14 days after the due date may carry 1/20 of the inkassosats, the rate on the day it is
  sent), § 1-3 (at most two purringer with a fee per claim, the second only when the debtor
  let a deadline of at least 14 days given in the first pass); forskrift om inkassosatsen
  (FOR-2002-12-13-1641): 700 kroner since 1 January 2017. Forsinkelsesrenteloven (LOV-1976-12-
  17-100) § 3: the late-interest rate fixed by Finansdepartementet each half-year.
- DK: renteloven § 5 (late interest at the reference rate, Nationalbanken's official lending
  rate on 1 January and 1 July, + 8 per cent), § 9 b (a fee of 100 kr for a reminder, at most
  three reminders per claim, at least 10 days apart).
- FI: korkolaki (633/1982) 4 § (viivästyskorko = viitekorko + 7 points), 4 a § (+ 8 points in
  commercial contracts), 12 § (the viitekorko, fixed for each half-year); laki saatavien
  perinnästä (513/1999) 10 a § (the maximum costs a consumer can be charged; 5 euros for a
  maksumuistutus) and 10 b § (time limits in consumer collection: no fee for a reminder sent
  earlier than 14 days after the due date). The 5 euros and the 14 days are as the issue states
  them and the Kuluttaja-asiamies's guideline lists them; the paragraph text itself was not
  verified here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from fakturera.core.money import round_money

PERSON = "person"
ORGANISATION = "organisation"


class RateKind:
    """The kinds of dated figures the rate table holds, each published by an authority."""

    REFERENCE = "reference"  # SE referensränta, DK udlånsrente, FI viitekorko (percent)
    LATE_INTEREST = "late_interest"  # NO forsinkelsesrente, already the full rate (percent)
    COLLECTION_RATE = "collection_rate"  # NO inkassosats (kroner)


# The rates fixed for a calendar half-year: a row is in force until the next row or the end
# of its half-year, whichever comes first. A half-year nobody has entered has no rate, and
# interest over it is refused rather than computed with a rate that has run out.
HALF_YEARLY = frozenset({RateKind.REFERENCE, RateKind.LATE_INTEREST})


@dataclass(frozen=True)
class CountryLaw:
    country: str
    currency: str
    law_name: str
    # The reminder fee cap in the country's currency (None: a share of a rate, see NO).
    fee_cap: Decimal | None
    fee_cap_citation: str
    # At most this many reminders with a fee per claim (None: no limit in the law).
    max_fees_per_claim: int | None
    max_fees_citation: str
    # A fee only on a reminder sent at least this many days after the due date.
    fee_earliest_days_after_due: int
    fee_earliest_citation: str
    # A fee only on a reminder sent at least this many days after the previous reminder.
    fee_min_days_between: int
    fee_between_citation: str
    # A second fee only when the previous reminder gave at least this many days to pay.
    fee_needs_previous_deadline_days: int
    fee_deadline_citation: str
    # The interest: which table row, and the margin in percentage points per customer kind.
    interest_rate_kind: str
    interest_margin: dict[str, Decimal]
    interest_citation: str
    # A fee must have been agreed in advance (the company's terms or the customer's).
    fee_needs_agreement: bool = False
    agreement_citation: str = ""
    # Between businesses, a one-off compensation the creditor may claim instead of the fee.
    late_compensation_amount: Decimal | None = None
    late_compensation_citation: str = ""


SWEDEN = CountryLaw(
    country="SE",
    currency="SEK",
    law_name="lag (1981:739) om ersättning för inkassokostnader m.m.",
    fee_cap=Decimal("60"),
    fee_cap_citation="lag (1981:739) om ersättning för inkassokostnader m.m., 4 § 1",
    # The law caps each fee; one fee per claim is the rule (and the Swedish practice
    # of god inkassosed), applied as the stricter reading.
    max_fees_per_claim=1,
    max_fees_citation="lag (1981:739) 2 och 4 §§; one reminder fee per claim",
    fee_earliest_days_after_due=1,
    fee_earliest_citation="lag (1981:739) 1 §: a reminder of a debt that has fallen due",
    fee_min_days_between=0,
    fee_between_citation="",
    fee_needs_previous_deadline_days=0,
    fee_deadline_citation="",
    interest_rate_kind=RateKind.REFERENCE,
    interest_margin={PERSON: Decimal("8"), ORGANISATION: Decimal("8")},
    interest_citation="räntelagen (1975:635) 6 och 9 §§",
    fee_needs_agreement=True,
    agreement_citation="lag (1981:739) om ersättning för inkassokostnader m.m., 2 §",
    late_compensation_amount=Decimal("450"),
    late_compensation_citation="lag (1981:739) om ersättning för inkassokostnader m.m., 4 a §",
)

NORWAY = CountryLaw(
    country="NO",
    currency="NOK",
    law_name="inkassoforskriften",
    fee_cap=None,  # 1/20 of the inkassosats in force on the day the reminder is sent
    fee_cap_citation="inkassoforskriften § 1-2 første ledd (1/20 av inkassosatsen)",
    max_fees_per_claim=2,
    max_fees_citation="inkassoforskriften § 1-3",
    fee_earliest_days_after_due=14,
    fee_earliest_citation="inkassoforskriften § 1-2 første ledd (tidligst 14 dager etter forfall)",
    fee_min_days_between=0,
    fee_between_citation="",
    fee_needs_previous_deadline_days=14,
    fee_deadline_citation="inkassoforskriften § 1-3 (betalingsfrist på minst 14 dager i første purring)",
    interest_rate_kind=RateKind.LATE_INTEREST,
    interest_margin={PERSON: Decimal("0"), ORGANISATION: Decimal("0")},
    interest_citation="forsinkelsesrenteloven § 3 (forskrift fastsatt av Finansdepartementet)",
)

DENMARK = CountryLaw(
    country="DK",
    currency="DKK",
    law_name="renteloven",
    fee_cap=Decimal("100"),
    fee_cap_citation="renteloven § 9 b, stk. 1",
    max_fees_per_claim=3,
    max_fees_citation="renteloven § 9 b, stk. 1 (højst 3 rykkerskrivelser)",
    fee_earliest_days_after_due=1,
    fee_earliest_citation="renteloven § 9 b: a reminder of a claim that has fallen due",
    fee_min_days_between=10,
    fee_between_citation="renteloven § 9 b, stk. 1 (mindst 10 dage mellem rykkerskrivelserne)",
    fee_needs_previous_deadline_days=0,
    fee_deadline_citation="",
    interest_rate_kind=RateKind.REFERENCE,
    interest_margin={PERSON: Decimal("8"), ORGANISATION: Decimal("8")},
    interest_citation="renteloven § 5, stk. 1",
)

FINLAND = CountryLaw(
    country="FI",
    currency="EUR",
    law_name="laki saatavien perinnästä (513/1999)",
    fee_cap=Decimal("5"),
    # Not verified against the paragraph text here (see the module's note); the same cap is
    # applied to organisations, the stricter reading.
    fee_cap_citation="laki saatavien perinnästä (513/1999) 10 a § (maksumuistutus enintään 5 euroa)",
    # Not verified here: at most three reminders with costs, the stricter reading.
    max_fees_per_claim=3,
    max_fees_citation="laki saatavien perinnästä (513/1999) 10 a–10 c §§ (not verified: at most 3)",
    fee_earliest_days_after_due=14,
    fee_earliest_citation="laki saatavien perinnästä (513/1999) 10 b § (aikaisintaan 14 päivää erääntymisestä)",
    fee_min_days_between=0,
    fee_between_citation="",
    fee_needs_previous_deadline_days=0,
    fee_deadline_citation="",
    interest_rate_kind=RateKind.REFERENCE,
    interest_margin={PERSON: Decimal("7"), ORGANISATION: Decimal("8")},
    interest_citation="korkolaki (633/1982) 4, 4 a ja 12 §",
)

LAWS: dict[str, CountryLaw] = {law.country: law for law in (SWEDEN, NORWAY, DENMARK, FINLAND)}

# The Norwegian fee is this share of the inkassosats (inkassoforskriften § 1-2, since the
# amendment in force 1 October 2020; before, 1/10).
NORWAY_FEE_SHARE = Decimal(1) / Decimal(20)


def law_of(country: str) -> CountryLaw:
    try:
        return LAWS[country]
    except KeyError:
        raise ValueError(f"No reminder law for country {country!r}.") from None


def fee_cap(law: CountryLaw, *, collection_rate: Decimal | None) -> Decimal | None:
    """The highest fee one reminder may carry, in the law's currency; None when it cannot be
    known (Norway without an inkassosats in the rate table)."""
    if law.fee_cap is not None:
        return law.fee_cap
    if collection_rate is None:
        return None
    # Rounded down to the øre: the cap must not be exceeded by rounding.
    return (collection_rate * NORWAY_FEE_SHARE).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


# --- the policy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelTerms:
    """What the law looks at in one level of a policy."""

    number: int
    days: int  # after the due date (level 1) or after the previous reminder
    fee_amount: Decimal | None
    new_due_days: int


def earliest_days_after_due(levels: Sequence[LevelTerms]) -> list[int]:
    """For each level, the fewest days after the due date it can be sent: level 1's days, and
    each later level's days added to the previous level's (a later run only delays it)."""
    total, out = 0, []
    for level in levels:
        total += level.days
        out.append(total)
    return out


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.normalize():f} {currency}"


def policy_problems(
    *, country: str, customer_kind: str, levels: Sequence[LevelTerms], collection_rate: Decimal | None
) -> dict[str, list[str]]:
    """Every way the levels' fees and timing break the law of `country` for `customer_kind`,
    keyed by form field (`levels-<i>-fee_amount`, `levels`), each naming the limit and the
    law. Empty when the policy may be saved."""
    law = law_of(country)
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    cap = fee_cap(law, collection_rate=collection_rate)
    earliest = earliest_days_after_due(levels)
    with_fee = [(index, level) for index, level in enumerate(levels) if level.fee_amount]
    for index, level in with_fee:
        field = f"levels-{index}-fee_amount"
        assert level.fee_amount is not None
        if cap is None:
            add(
                field,
                _("No reminder fee can be set: the rate table has no inkassosats in force (%(law)s).")
                % {"law": law.fee_cap_citation},
            )
        elif level.fee_amount > cap:
            add(
                field,
                _("Level %(level)s: a reminder fee of at most %(cap)s is allowed (%(law)s).")
                % {"level": level.number, "cap": _money(cap, law.currency), "law": law.fee_cap_citation},
            )
        if earliest[index] < law.fee_earliest_days_after_due:
            add(
                f"levels-{index}-days",
                _(
                    "Level %(level)s carries a fee but can be sent %(days)s days after the due date;"
                    " a fee is allowed only from %(least)s days after it (%(law)s)."
                )
                % {
                    "level": level.number,
                    "days": earliest[index],
                    "least": law.fee_earliest_days_after_due,
                    "law": law.fee_earliest_citation,
                },
            )
        if law.fee_min_days_between and index > 0 and level.days < law.fee_min_days_between:
            add(
                f"levels-{index}-days",
                _(
                    "Level %(level)s carries a fee but follows the previous reminder after %(days)s days;"
                    " at least %(least)s days must pass between reminders (%(law)s)."
                )
                % {
                    "level": level.number,
                    "days": level.days,
                    "least": law.fee_min_days_between,
                    "law": law.fee_between_citation,
                },
            )
    if law.max_fees_per_claim is not None and len(with_fee) > law.max_fees_per_claim:
        add(
            "levels",
            _("At most %(count)s reminders of a claim may carry a fee (%(law)s); this policy has %(has)s.")
            % {"count": law.max_fees_per_claim, "law": law.max_fees_citation, "has": len(with_fee)},
        )
    if law.fee_needs_previous_deadline_days:
        for position, (index, level) in enumerate(with_fee[1:], start=1):
            previous = levels[with_fee[position - 1][0]]
            if previous.new_due_days < law.fee_needs_previous_deadline_days:
                add(
                    f"levels-{index}-fee_amount",
                    _(
                        "Level %(level)s may carry a fee only if the reminder with the previous fee"
                        " gave at least %(least)s days to pay; level %(previous)s gives %(days)s (%(law)s)."
                    )
                    % {
                        "level": level.number,
                        "least": law.fee_needs_previous_deadline_days,
                        "previous": previous.number,
                        "days": previous.new_due_days,
                        "law": law.fee_deadline_citation,
                    },
                )
    del customer_kind  # the same limits for both kinds in the law as read (see FINLAND)
    return problems


# --- a fee at run time ------------------------------------------------------------------------


class FeeKind:
    NONE = ""
    REMINDER_FEE = "reminder_fee"
    LATE_COMPENSATION = "late_compensation"


@dataclass(frozen=True)
class EarlierReminder:
    """A reminder of the same claim already sent (or queued): what the law counts."""

    sent_on: dt.date
    fee_amount: Decimal
    fee_kind: str
    new_due_on: dt.date | None


@dataclass(frozen=True)
class FeeDecision:
    amount: Decimal
    kind: str
    # Why no fee, or a smaller one, when the level asked for one: a code and its sentence.
    reason: str = ""
    message: str = ""


def fee_for_reminder(
    *,
    country: str,
    customer_kind: str,
    currency: str,
    level_fee: Decimal | None,
    is_fee_agreed: bool,
    is_claiming_late_compensation: bool,
    due_on: dt.date,
    today: dt.date,
    earlier: Iterable[EarlierReminder],
    collection_rate: Decimal | None,
) -> FeeDecision:
    """The fee this reminder may carry. The level's fee is what the company asks; the law and
    what was sent before decide what is charged (never more than asked). A Swedish business
    whose company claims the förseningsersättning owes it with the first reminder, whatever the
    level's fee. Asked only for a reminder that is sent (not for a level that only opens a
    staff task)."""
    law = law_of(country)
    earlier = sorted(earlier, key=lambda reminder: reminder.sent_on)
    charged = [reminder for reminder in earlier if reminder.fee_amount > 0]
    days_late = (today - due_on).days

    def none(reason: str, message: str) -> FeeDecision:
        return FeeDecision(Decimal("0.00"), FeeKind.NONE, reason, message)

    # SE 4 a §: between businesses, a one-off förseningsersättning instead of reminder fees.
    if (
        law.late_compensation_amount is not None
        and is_claiming_late_compensation
        and customer_kind == ORGANISATION
        and currency == law.currency
    ):
        if charged:
            return none("already_charged", _("The late-payment compensation is claimed once per claim."))
        if days_late < 1:
            return none("not_due", _("The invoice is not overdue."))
        return FeeDecision(round_money(law.late_compensation_amount, currency), FeeKind.LATE_COMPENSATION)

    if not level_fee or level_fee <= 0:
        return none("", "")
    if currency != law.currency:
        return none(
            "currency",
            _("No reminder fee on an invoice in %(currency)s: the law's fee is in %(law_currency)s.")
            % {"currency": currency, "law_currency": law.currency},
        )
    if law.fee_needs_agreement and not is_fee_agreed:
        return none(
            "not_agreed",
            _("No reminder fee: it was not agreed in advance (%(law)s).") % {"law": law.agreement_citation},
        )
    if days_late < law.fee_earliest_days_after_due:
        return none(
            "too_early",
            _("No reminder fee before %(days)s days after the due date (%(law)s).")
            % {"days": law.fee_earliest_days_after_due, "law": law.fee_earliest_citation},
        )
    if law.max_fees_per_claim is not None and len(charged) >= law.max_fees_per_claim:
        return none(
            "max_fees",
            _("No more reminder fees: at most %(count)s per claim (%(law)s).")
            % {"count": law.max_fees_per_claim, "law": law.max_fees_citation},
        )
    if law.fee_min_days_between and earlier and (today - earlier[-1].sent_on).days < law.fee_min_days_between:
        return none(
            "too_soon",
            _("No reminder fee: less than %(days)s days since the previous reminder (%(law)s).")
            % {"days": law.fee_min_days_between, "law": law.fee_between_citation},
        )
    if law.fee_needs_previous_deadline_days and charged:
        previous = charged[-1]
        deadline_days = (previous.new_due_on - previous.sent_on).days if previous.new_due_on else 0
        if deadline_days < law.fee_needs_previous_deadline_days or (
            previous.new_due_on is not None and today <= previous.new_due_on
        ):
            return none(
                "deadline",
                _(
                    "No second reminder fee: the previous reminder must have given at least %(days)s days"
                    " to pay, and they must have passed (%(law)s)."
                )
                % {"days": law.fee_needs_previous_deadline_days, "law": law.fee_deadline_citation},
            )
    cap = fee_cap(law, collection_rate=collection_rate)
    if cap is None:
        return none(
            "no_rate",
            _("No reminder fee: the rate table has no inkassosats in force (%(law)s).") % {"law": law.fee_cap_citation},
        )
    return FeeDecision(round_money(min(level_fee, cap), currency), FeeKind.REMINDER_FEE)


# --- interest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatePeriod:
    """An annual rate in percent in force from `starts_on` to `ends_on` (inclusive)."""

    starts_on: dt.date
    ends_on: dt.date | None
    percent: Decimal


@dataclass(frozen=True)
class PublishedRate:
    """One row of the rate table as the law module reads it."""

    valid_from: dt.date
    value: Decimal


class RateMissing(ValueError):
    """No rate is in force on `day`: nobody has entered the published rate yet."""

    def __init__(self, day: dt.date):
        super().__init__(f"No rate in force on {day.isoformat()}.")
        self.day = day


def half_year_end(day: dt.date) -> dt.date:
    return dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)


def periods_of(rows: Iterable[PublishedRate], *, kind: str, margin: Decimal = Decimal(0)) -> list[RatePeriod]:
    """The table's rows of one country and kind as periods, the margin added. A half-yearly
    rate ends with its half-year even when no later row exists (räntelagen 9 §, renteloven
    § 5, korkolaki 12 §, the Norwegian half-yearly forskrift)."""
    ordered = sorted(rows, key=lambda row: row.valid_from)
    periods = []
    for index, row in enumerate(ordered):
        following = ordered[index + 1].valid_from - dt.timedelta(days=1) if index + 1 < len(ordered) else None
        own_end = half_year_end(row.valid_from) if kind in HALF_YEARLY else None
        ends = min(d for d in (following, own_end) if d is not None) if (following or own_end) else None
        periods.append(RatePeriod(row.valid_from, ends, row.value + margin))
    return periods


def rate_on(periods: Sequence[RatePeriod], day: dt.date) -> Decimal | None:
    for period in periods:
        if period.starts_on <= day and (period.ends_on is None or day <= period.ends_on):
            return period.percent
    return None


DAYS_IN_YEAR = Decimal(365)


def interest_exact(*, principal: Decimal, from_date: dt.date, to_date: dt.date, rates: Sequence[RatePeriod]) -> Decimal:
    """Unrounded interest on `principal` for each day after `from_date` up to and including
    `to_date`, each day at the rate in force that day, actual/365. Days are summed per rate
    period (one multiplication per period, not per day). Raises RateMissing for a day
    without a rate."""
    if to_date <= from_date or principal <= 0:
        return Decimal(0)
    first, last = from_date + dt.timedelta(days=1), to_date
    total = Decimal(0)
    day = first
    ordered = sorted(rates, key=lambda period: period.starts_on)
    while day <= last:
        period = next(
            (p for p in ordered if p.starts_on <= day and (p.ends_on is None or day <= p.ends_on)),
            None,
        )
        if period is None:
            raise RateMissing(day)
        until = last if period.ends_on is None else min(last, period.ends_on)
        days = (until - day).days + 1
        total += principal * period.percent / 100 * days / DAYS_IN_YEAR
        day = until + dt.timedelta(days=1)
    return total


def interest_owed(
    *, principal: Decimal, from_date: dt.date, to_date: dt.date, rates: Sequence[RatePeriod], currency: str
) -> Decimal:
    """Late-payment interest from the day after `from_date` (the due date: räntelagen 6 §,
    "från förfallodagen", counted as the days after it; the same count for every country) to
    `to_date` inclusive, rounded once (core.money)."""
    return round_money(interest_exact(principal=principal, from_date=from_date, to_date=to_date, rates=rates), currency)


@dataclass(frozen=True)
class InterestSpan:
    """Interest on one principal over days at one annual rate: `from_on` to `to_on`, both
    counted, rounded once (core.money) as a letter or an interest invoice's line shows it."""

    percent: Decimal
    from_on: dt.date
    to_on: dt.date
    principal: Decimal
    amount: Decimal

    @property
    def days(self) -> int:
        return (self.to_on - self.from_on).days + 1

    def as_data(self) -> dict[str, object]:
        # The rate as published (10.00, 10.125), not the table's four decimals.
        rate = self.percent.normalize()
        return {
            "rate": str(rate if rate.as_tuple().exponent < -2 else rate.quantize(Decimal("0.01"))),
            "from": self.from_on.isoformat(),
            "to": self.to_on.isoformat(),
            "days": self.days,
            "principal": str(self.principal),
            "amount": str(self.amount),
        }


def interest_spans(
    *, principal: Decimal, from_date: dt.date, to_date: dt.date, rates: Sequence[RatePeriod], currency: str
) -> list[InterestSpan]:
    """Interest on `principal` for each day after `from_date` up to and including `to_date`,
    one span per rate period in force (the rate of each day), each rounded. RateMissing for a
    day no rate covers."""
    return spans_over(rate_spans(from_date=from_date, to_date=to_date, rates=rates), principal, currency)


def rate_spans(
    *, from_date: dt.date, to_date: dt.date, rates: Sequence[RatePeriod]
) -> tuple[tuple[Decimal, dt.date, dt.date], ...]:
    """The days after `from_date` up to and including `to_date` cut by the rate periods in force:
    (percent, first day, last day) each. The same for every claim of one due date, so a run over
    many claims cuts once per due date (`spans_over` then applies each principal)."""
    spans: list[tuple[Decimal, dt.date, dt.date]] = []
    day = from_date + dt.timedelta(days=1)
    while day <= to_date:
        period = next((p for p in rates if p.starts_on <= day and (p.ends_on is None or day <= p.ends_on)), None)
        if period is None:
            raise RateMissing(day)
        until = to_date if period.ends_on is None else min(to_date, period.ends_on)
        spans.append((period.percent, day, until))
        day = until + dt.timedelta(days=1)
    return tuple(spans)


def spans_over(
    cut: Sequence[tuple[Decimal, dt.date, dt.date]], principal: Decimal, currency: str
) -> list[InterestSpan]:
    """Interest on `principal` over each (percent, first, last) of `rate_spans`, actual/365 as
    `interest_exact` counts it, each rounded once."""
    return [
        InterestSpan(percent, first, last, principal, span_interest(principal, percent, first, last, currency))
        for percent, first, last in cut
    ]


def span_interest(principal: Decimal, percent: Decimal, first: dt.date, last: dt.date, currency: str) -> Decimal:
    """Interest on `principal` at `percent` a year from `first` to `last`, both counted
    (actual/365), rounded once to the currency's minor unit; none on nothing owed."""
    if principal <= 0:
        return round_money(Decimal(0), currency)
    return round_money(Decimal(0) + principal * percent / 100 * ((last - first).days + 1) / DAYS_IN_YEAR, currency)


def interest_until_paid(
    *,
    owed: Decimal,
    due_on: dt.date,
    parts: Iterable[tuple[dt.date, Decimal]],
    rates: Sequence[RatePeriod],
    currency: str,
) -> list[InterestSpan]:
    """The interest owed on a claim paid late, in parts or at once (räntelagen 6 §: interest on
    what is unpaid from the due date until it is paid; renteloven § 3, korkolaki 4 §,
    forsinkelsesrenteloven § 2 alike): each day after the due date bears interest on the principal
    still unpaid that day, at the rate in force that day; a part paid stops the interest on its
    amount after its payment date (the payment date itself still counts, as `interest_owed`
    counts its last day). Money paid by the due date lowers the principal without interest.
    One span per (principal, rate period)."""
    principal = owed
    start = due_on
    spans: list[InterestSpan] = []
    for on, amount in sorted(parts):
        if on > start and principal > 0:
            spans += interest_spans(principal=principal, from_date=start, to_date=on, rates=rates, currency=currency)
            start = on
        principal -= amount
    return spans


def interest_periods(*, country: str, customer_kind: str, rows: Iterable[PublishedRate]) -> list[RatePeriod]:
    """The late-interest rate of `country` for `customer_kind`: the table's rows of the law's
    kind with the law's margin."""
    law = law_of(country)
    return periods_of(rows, kind=law.interest_rate_kind, margin=law.interest_margin[customer_kind])
