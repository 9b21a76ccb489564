"""The reminder run: which overdue invoices are due for which level today (`reminders_assess`,
read only), and queueing their reminders through distribution (`reminders_run`), the daily job
and the "Send reminders" page alike (DESIGN.md, "The run").

Idempotent by construction: a reminder is a row per (invoice, level), unique in the database.
The runs of one company take turns (a lock held for the run's transaction). Holding it, a run
leaves out the levels a row already holds (given by a run since its assessment), moves the
failed and undone rows of its levels back to queued (a compare-and-set), sends what is left
through distribution, and then inserts the new rows as they ended: queued with their delivery,
failed with why, sent when the level is a task only. The unique key stays the backstop: a row
inserted twice rolls the whole run back, nothing sent. A second run the same day finds every
level given; two runs at once send each reminder once; a run after a missed week sends each
invoice's one due level (rules.next_level_due).

Payments first: an invoice is overdue only while payments says money is open after its due
date (payments.selectors.overdue_receivables); an invoice whose customer may have paid into the
unmatched queue (a payer's name agreeing with the customer's) waits, and the run warns when the
last bank file is older than the company's setting.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.collections import law
from fakturera.collections.collection_agency import CollectionReady, claims_hand_over, collection_ready
from fakturera.collections.events import REMINDERS_QUEUED
from fakturera.collections.models import Reminder
from fakturera.collections.overdue import overdue_record
from fakturera.collections.rules import Given, Level, Policy, next_level_due
from fakturera.collections.selectors import (
    collection_rate_on,
    collection_settings_of,
    fee_agreed_by_customer,
    interest_invoices_among,
    interest_rate_periods,
    pauses_in_force,
    policies_of,
)
from fakturera.collections.states import COUNTING_STATES, ReminderState, TaskMode
from fakturera.core.bulk import any_of, bulk_insert_returning_ids, bulk_update
from fakturera.core.collector import collector_paused
from fakturera.core.db import one_at_a_time, run_retrying
from fakturera.core.events import publish
from fakturera.distribution.models import Purpose
from fakturera.distribution.selectors import delivery_ids_by_invoice, sendings
from fakturera.distribution.services import invoices_send
from fakturera.invoicing.history import actor_id_of
from fakturera.parties.models import Company
from fakturera.parties.selectors import customer_kinds_and_names
from fakturera.payments.rules import NameIndex
from fakturera.payments.selectors import Overdue, last_bank_import_at, overdue_receivables, unmatched_payer_names

# Why an overdue invoice gets no reminder today although its level is due.
HELD_PAUSED = "paused"
HELD_BELOW_MINIMUM = "below_minimum"
HELD_PAYMENT_WAITING = "payment_waiting"
# The previous reminder (or the invoice itself) is still queued or its delivery uncertain: the
# next level waits for it to be delivered (distribution would refuse it as "on its way").
HELD_NOT_DELIVERED = "not_delivered"


class InterestPiece(NamedTuple):
    """Interest on the open amount over one period at one annual rate (the rate in force). A
    named tuple: a reminder run makes one or two for each of a hundred thousand claims."""

    rate: Decimal
    from_on: dt.date
    to_on: dt.date
    amount: Decimal

    def as_data(self) -> dict[str, str]:
        return {
            "rate": str(self.rate),
            "from": self.from_on.isoformat(),
            "to": self.to_on.isoformat(),
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class Due:
    """An overdue invoice due for a level today, with what that reminder says."""

    claim: Overdue
    customer_kind: str
    level: Level
    fee: law.FeeDecision
    interest: tuple[InterestPiece, ...]
    new_due_on: dt.date
    is_last_level: bool = False
    retry_id: int | None = None  # its failed or undone row of this level, queued again

    @property
    def interest_amount(self) -> Decimal:
        return sum((piece.amount for piece in self.interest), Decimal("0.00"))

    @property
    def has_letter(self) -> bool:
        return self.level.task_mode != TaskMode.INSTEAD

    @property
    def total(self) -> Decimal:
        return self.claim.open_amount + self.fee.amount + self.interest_amount


@dataclass
class Assessment:
    on: dt.date
    due: list[Due] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)  # invoice id -> HELD_*
    overdue_count: int = 0
    warnings: list[str] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)  # payments' overdue receivables read
    # Invoices whose last reminder's deadline has passed: ready for debt collection.
    collection_ready: list[CollectionReady] = field(default_factory=list)


def interest_pieces(
    *,
    principal: Decimal,
    due_on: dt.date,
    on: dt.date,
    rates: Sequence[law.RatePeriod],
    currency: str,
    cuts: dict[tuple[int, dt.date, dt.date], Any] | None = None,
) -> tuple[InterestPiece, ...]:
    """Interest from the day after the due date (räntelagen 6 §) to `on`, one piece per rate
    period, each rounded (core.money) as the letter prints it. law.RateMissing for a day no rate
    covers. `cuts` keeps the days cut by rate period per due date across the calls of one run."""
    key = (id(rates), due_on, on)
    cut = cuts.get(key) if cuts is not None else None
    if cut is None:
        try:
            cut = law.rate_spans(from_date=due_on, to_date=on, rates=rates)
        except law.RateMissing as missing:
            cut = missing
        if cuts is not None:
            cuts[key] = cut
    if isinstance(cut, law.RateMissing):
        raise cut
    return tuple(
        InterestPiece(percent, first, last, law.span_interest(principal, percent, first, last, currency))
        for percent, first, last in cut
    )


def reminders_assess(*, company: Company, on: dt.date, invoice_ids: Iterable[int] | None = None) -> Assessment:
    """The overdue invoices due for their next level on `on` (or held, with why), with each
    reminder's fee, interest and new due date. Reads only; a fixed number of queries."""
    assessment = Assessment(on=on)
    claims = overdue_receivables(company_id=company.pk, on=on, invoice_ids=invoice_ids)
    assessment.overdue_count = len(claims)
    assessment.overdue = claims
    settings = collection_settings_of(company=company)
    _warn_of_an_old_bank_file(company, on, settings.bank_import_stale_days, assessment)
    if not claims:
        return assessment
    customers = customer_kinds_and_names(company_id=company.pk, customer_ids={c.customer_id for c in claims})
    policies = policies_of(company=company)
    given, retries, undelivered = _reminders_given(company, [c.invoice_id for c in claims])
    pauses = pauses_in_force(company=company, claims={c.invoice_id: c.customer_id for c in claims}, on=on)
    numbers = {
        claim.invoice_id: number
        for claim in claims
        if (
            number := next_level_due(
                policies[customers[claim.customer_id][0]],
                due_on=claim.due_on,
                latest=given.get(claim.invoice_id),
                today=on,
            )
        )
        is not None
    }
    on_its_way = {
        pk for pk, sending in sendings(company=company, invoice_ids=sorted(numbers)).items() if sending.is_on_its_way
    }
    earlier = _earlier_reminders(company, sorted(pk for pk in numbers if pk in given))
    waiting = _customers_with_a_payment_waiting(company, customers)
    agreed = fee_agreed_by_customer(company=company, customer_ids={c.customer_id for c in claims})
    # No interest on interest: an interest invoice is reminded without a fee or interest of its own.
    interest_invoices = interest_invoices_among(company=company, invoice_ids=[c.invoice_id for c in claims])
    country = company.country
    rates: dict[str, list[law.RatePeriod]] = {}
    collection_rate = collection_rate_on(country=country, on=on)
    missing_rate: set[dt.date] = set()
    cuts: dict[tuple[int, dt.date, dt.date], Any] = {}  # interest_pieces: the rate periods' days per due date
    last_level = {kind: max((each.number for each in policy.levels), default=0) for kind, policy in policies.items()}
    for claim in claims:
        kind, _name = customers[claim.customer_id]
        policy: Policy = policies[kind]
        number = numbers.get(claim.invoice_id)
        if number is None:
            continue
        if claim.invoice_id in undelivered or claim.invoice_id in on_its_way:
            assessment.held[claim.invoice_id] = HELD_NOT_DELIVERED
            continue
        if claim.invoice_id in pauses:
            assessment.held[claim.invoice_id] = HELD_PAUSED
            continue
        if claim.open_amount < policy.minimum_amount:
            assessment.held[claim.invoice_id] = HELD_BELOW_MINIMUM
            continue
        if claim.customer_id in waiting:
            assessment.held[claim.invoice_id] = HELD_PAYMENT_WAITING
            continue
        level = policy.level(number)
        assert level is not None
        fee = law.FeeDecision(Decimal("0.00"), law.FeeKind.NONE)
        is_charged = claim.invoice_id not in interest_invoices
        if level.task_mode != TaskMode.INSTEAD and is_charged:
            fee = law.fee_for_reminder(
                country=country,
                customer_kind=kind,
                currency=claim.currency,
                level_fee=level.fee_amount,
                is_fee_agreed=agreed.get(claim.customer_id, False),
                is_claiming_late_compensation=settings.is_claiming_late_compensation,
                due_on=claim.due_on,
                today=on,
                earlier=earlier.get(claim.invoice_id, ()),
                collection_rate=collection_rate,
            )
        interest: tuple[InterestPiece, ...] = ()
        if level.is_claiming_interest and is_charged:
            if kind not in rates:
                rates[kind] = interest_rate_periods(country=country, customer_kind=kind)
            try:
                interest = interest_pieces(
                    principal=claim.open_amount,
                    due_on=claim.due_on,
                    on=on,
                    rates=rates[kind],
                    currency=claim.currency,
                    cuts=cuts,
                )
            except law.RateMissing as missing:
                missing_rate.add(missing.day)
        assessment.due.append(
            Due(
                claim=claim,
                customer_kind=kind,
                level=level,
                fee=fee,
                interest=interest,
                new_due_on=on + dt.timedelta(days=level.new_due_days),
                is_last_level=number == last_level[kind],
                retry_id=retries.get((claim.invoice_id, number)),
            )
        )
    assessment.collection_ready = collection_ready(
        company=company,
        on=on,
        claims=claims,
        kinds={pk: kind for pk, (kind, _name) in customers.items()},
        policies=policies,
        given=given,
        held=pauses,
    )
    if missing_rate:
        assessment.warnings.append(
            _(
                "No late-payment interest is claimed in these reminders: the rate table has no rate for "
                "%(day)s. Enter the rate in force (Settings, Collections) and the next reminders claim it."
            )
            % {"day": min(missing_rate).isoformat()}
        )
    return assessment


def _warn_of_an_old_bank_file(company: Company, on: dt.date, days: int, assessment: Assessment) -> None:
    last = last_bank_import_at(company_id=company.pk)
    if last is None:
        assessment.warnings.append(
            _(
                "No bank file has been read yet: payments not yet imported may be reminded. "
                "Import the bank's file first."
            )
        )
    elif (on - timezone.localdate(last)).days > days:
        assessment.warnings.append(
            _(
                "The last bank file was read %(date)s, more than %(days)s days ago: payments since then are not"
                " known, and their invoices may be reminded. Import the bank's latest file first."
            )
            % {"date": timezone.localdate(last).isoformat(), "days": days}
        )


def _reminders_given(
    company: Company, invoice_ids: list[int]
) -> tuple[dict[int, Given], dict[tuple[int, int], int], set[int]]:
    """Of the invoices' reminders: the latest that counts (queued or sent), the failed or undone
    rows by (invoice, level), queued again when due, and the invoices with a reminder still
    queued (not yet delivered). The figures the law counts are read later, for the invoices due
    today only (`_earlier_reminders`): a run the day after reads every reminder and needs none."""
    given: dict[int, Given] = {}
    retries: dict[tuple[int, int], int] = {}
    undelivered: set[int] = set()
    rows = Reminder.objects.filter(Q(company=company) & any_of(Reminder, invoice_ids, "invoice_id")).values_list(
        "pk", "invoice_id", "level", "state", "assessed_on"
    )
    for pk, invoice_id, level, state, assessed_on in rows:
        if state in COUNTING_STATES:
            latest = given.get(invoice_id)
            if latest is None or level > latest.level:
                given[invoice_id] = Given(level=level, assessed_on=assessed_on)
            if state == ReminderState.QUEUED:
                undelivered.add(invoice_id)
        else:
            retries[(invoice_id, level)] = pk
    return given, retries, undelivered


def _earlier_reminders(company: Company, invoice_ids: list[int]) -> dict[int, list[law.EarlierReminder]]:
    """The reminders that count (queued or sent) of these invoices, as the law counts them."""
    earlier: dict[int, list[law.EarlierReminder]] = defaultdict(list)
    if not invoice_ids:
        return earlier
    rows = Reminder.objects.filter(
        Q(company=company, state__in=COUNTING_STATES) & any_of(Reminder, invoice_ids, "invoice_id")
    ).values_list("invoice_id", "assessed_on", "fee_amount", "fee_kind", "new_due_on")
    for invoice_id, assessed_on, fee_amount, fee_kind, new_due_on in rows:
        earlier[invoice_id].append(law.EarlierReminder(assessed_on, fee_amount, fee_kind, new_due_on))
    return earlier


def _customers_with_a_payment_waiting(company: Company, customers: dict[int, tuple[str, str]]) -> set[int]:
    """The customers whose name agrees with the payer of a payment in the unmatched queue: their
    money may already be here (payments.rules.names_agree, through an index of the names)."""
    payers = unmatched_payer_names(company_id=company.pk)
    if not payers:
        return set()
    index = NameIndex((pk, name) for pk, (_kind, name) in customers.items())
    return {pk for payer in payers for pk in index.agreeing(payer)}


@dataclass
class RunResult:
    assessment: Assessment
    queued: int = 0  # reminders queued for sending
    tasks: int = 0  # levels given as a staff task only
    handed_over: int = 0  # invoices handed over to debt collection
    overdue: int = 0  # invoices found overdue for the first time (invoice.overdue)
    not_sent: dict[int, str] = field(default_factory=dict)  # invoice id -> why distribution refused
    batch_ids: list[int] = field(default_factory=list)


@collector_paused()
def reminders_run(
    *,
    company: Company,
    actor: Any = None,
    on: dt.date | None = None,
    invoice_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> RunResult:
    """Remind the overdue invoices due for a level (all, or those of `invoice_ids` that are due):
    the reminder rows, and their letters queued through distribution with its undo window, in one
    transaction. What was given already is not given again (the module's docstring). Runs with
    the garbage collector paused (core.collector): it holds a hundred thousand claims at once."""
    now = now or timezone.now()
    on = on or timezone.localdate(now)
    assessment = reminders_assess(company=company, on=on, invoice_ids=invoice_ids)
    result = RunResult(assessment=assessment)
    result.overdue = len(overdue_record(company_id=company.pk, on=on, claims=assessment.overdue, now=now))
    if assessment.collection_ready:
        handed = claims_hand_over(company=company, actor=actor, ready=assessment.collection_ready, on=on, now=now)
        result.handed_over = len(handed)
    if not assessment.due:
        return result
    run_retrying(lambda: _queue(company, actor, assessment, result, now=now))
    return result


def _queue(company: Company, actor: Any, assessment: Assessment, result: RunResult, *, now: dt.datetime) -> None:
    """Send the due levels no other run gave, then write their rows as they ended: queued with
    their delivery, failed with why, or sent (a level of a task only). One run of a company at a
    time (core.db.one_at_a_time), so what it finds not given is its own to give."""
    result.batch_ids = []  # run again from the start when the database aborted the transaction
    one_at_a_time(f"reminders-run:{company.pk}")
    fresh, again = _not_given(company, assessment.due, now=now, on=assessment.on)
    ours = [*fresh, *again.values()]
    if not ours:
        return
    letters: dict[str, list[int]] = defaultdict(list)
    for due in ours:
        if due.has_letter:
            letters[due.level.channel].append(due.claim.invoice_id)
    failed: dict[int, str] = {}
    queued = 0
    for channel, ids in sorted(letters.items()):
        batch = invoices_send(
            company=company, actor=actor, invoice_ids=ids, channel=channel, purpose=Purpose.REMINDER, now=now
        )
        result.batch_ids.append(batch.pk)
        queued += batch.queued_count
        for invoice_id, why in batch.not_sent.items():
            failed[invoice_id] = str(why)[:500]
    delivered = dict(delivery_ids_by_invoice(batch_ids=result.batch_ids)) if queued else {}

    def ended(due: Due) -> tuple[str, int | None, dt.datetime | None, str]:
        """(state, delivery id, sent at, error) of a reminder just given."""
        invoice_id = due.claim.invoice_id
        if not due.has_letter:
            return ReminderState.SENT, None, now, ""
        if invoice_id in failed:
            return ReminderState.FAILED, None, None, failed[invoice_id]
        return ReminderState.QUEUED, delivered.get(invoice_id), None, ""

    ids = bulk_insert_returning_ids(
        Reminder,
        ("company_id", "invoice_id", "customer_id", "level", "assessed_on", "queued_at", "currency", *FIGURES,
         "state", "delivery_id", "sent_at", "error"),
        [
            (company.pk, d.claim.invoice_id, d.claim.customer_id, d.level.number, assessment.on, now,
             d.claim.currency, *_figures(d).values(), *ended(d))
            for d in fresh
        ],
    )  # fmt: skip
    if again:
        bulk_update(
            Reminder,
            ("state", "delivery_id", "sent_at", "error"),
            [(pk, *ended(due)) for pk, due in again.items()],
            only_if={"queued_at": now},
        )
    reminder_ids = [*ids, *again]
    result.queued = queued
    result.tasks = sum(1 for due in ours if not due.has_letter)
    result.not_sent = failed
    given = [(pk, due) for pk, due in zip(reminder_ids, ours, strict=True) if due.claim.invoice_id not in failed]
    if given:
        publish(
            REMINDERS_QUEUED,
            company_id=company.pk,
            actor_id=actor_id_of(actor),
            reminders=[
                {
                    "reminder_id": pk,
                    "invoice_id": due.claim.invoice_id,
                    "customer_id": due.claim.customer_id,
                    "level": due.level.number,
                    "task_mode": due.level.task_mode,
                    "is_last_level": due.is_last_level,
                }
                for pk, due in given
            ],
        )


def _figures(due: Due) -> dict[str, Any]:
    """What a reminder row says of its level: the amounts, the interest's periods, the new due date."""
    return {
        "open_amount": due.claim.open_amount,
        "fee_amount": due.fee.amount,
        "fee_kind": due.fee.kind,
        "interest_amount": due.interest_amount,
        "interest_until": due.interest[-1].to_on if due.interest else None,
        "interest_periods": [piece.as_data() for piece in due.interest],
        "new_due_on": due.new_due_on if due.has_letter else None,
    }


FIGURES = (
    "open_amount",
    "fee_amount",
    "fee_kind",
    "interest_amount",
    "interest_until",
    "interest_periods",
    "new_due_on",
)


def _not_given(company: Company, due: list[Due], *, now: dt.datetime, on: dt.date) -> tuple[list[Due], dict[int, Due]]:
    """The due levels this run gives, under the run's lock: the new ones no row holds yet (another
    run may have given them since the assessment), and the failed or undone rows moved back to
    queued by one compare-and-set, given today's figures (row id -> due)."""
    fresh = [d for d in due if d.retry_id is None]
    if fresh:
        taken = set(
            Reminder.objects.filter(
                Q(company=company) & any_of(Reminder, sorted({d.claim.invoice_id for d in fresh}), "invoice_id")
            ).values_list("invoice_id", "level")
        )
        if taken:
            fresh = [d for d in fresh if (d.claim.invoice_id, d.level.number) not in taken]
    retries = {d.retry_id: d for d in due if d.retry_id is not None}
    if not retries:
        return fresh, {}
    Reminder.objects.filter(
        Q(company=company, state__in=(ReminderState.FAILED, ReminderState.UNDONE)) & any_of(Reminder, list(retries))
    ).update(
        state=ReminderState.QUEUED,
        attempt=F("attempt") + 1,
        queued_at=now,
        assessed_on=on,
        delivery=None,
        error="",
    )
    moved = set(
        Reminder.objects.filter(
            Q(company=company, queued_at=now, state=ReminderState.QUEUED) & any_of(Reminder, list(retries))
        ).values_list("pk", flat=True)
    )
    again = {pk: d for pk, d in retries.items() if pk in moved}
    bulk_update(Reminder, FIGURES, [(pk, *_figures(d).values()) for pk, d in again.items()])
    return fresh, again
