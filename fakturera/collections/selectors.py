"""Reads of collections: a company's policies and settings, the rate table, pauses in force.
Every company-owned read takes the company; lists are read in one query whatever their size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from fakturera.collections.law import (
    LAWS,
    PublishedRate,
    RateKind,
    RatePeriod,
    half_year_end,
    interest_periods,
    law_of,
    periods_of,
)
from fakturera.collections.models import (
    CollectionSettings,
    CustomerCollectionTerms,
    InterestCharge,
    Reminder,
    ReminderLevel,
    ReminderPause,
    ReminderPolicy,
    StatutoryRate,
)
from fakturera.collections.rules import Level, Policy, default_policy, half_years_missing
from fakturera.collections.states import COUNTING_STATES
from fakturera.core.bulk import any_of
from fakturera.distribution.selectors import template_preview_invoice
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Company, CustomerKind
from fakturera.payments.selectors import open_receivables


def _level_of(row: ReminderLevel) -> Level:
    return Level(
        number=row.number,
        days=row.days,
        days_from=row.days_from,
        channel=row.channel,
        fee_amount=row.fee_amount,
        is_claiming_interest=row.is_claiming_interest,
        new_due_days=row.new_due_days,
        task_mode=row.task_mode,
        texts=dict(row.texts or {}),
    )


def policies_of(*, company: Company) -> dict[str, Policy]:
    """The company's policy for each customer kind (the built-in one where none is saved), in
    two queries."""
    rows = {row.customer_kind: row for row in ReminderPolicy.objects.filter(company=company)}
    levels: dict[int, list[Level]] = {}
    for level in ReminderLevel.objects.filter(policy__company=company).order_by("policy_id", "number"):
        levels.setdefault(level.policy_id, []).append(_level_of(level))
    found: dict[str, Policy] = {}
    for kind in CustomerKind.values:
        row = rows.get(kind)
        if row is None:
            found[kind] = default_policy(company_id=company.pk, country=company.country, customer_kind=kind)
            continue
        found[kind] = Policy(
            company_id=company.pk,
            customer_kind=kind,
            levels=tuple(levels.get(row.pk, ())),
            minimum_amount=row.minimum_amount,
            last_level_action=row.last_level_action,
        )
    return found


def policy_of(*, company: Company, customer_kind: str) -> Policy:
    return policies_of(company=company)[customer_kind]


def collection_settings_of(*, company: Company) -> CollectionSettings:
    """The company's settings; an unsaved row with the defaults when it has none."""
    return CollectionSettings.objects.filter(company=company).first() or CollectionSettings(company=company)


def fee_agreed_by_customer(*, company: Company, customer_ids: Iterable[int]) -> dict[int, bool]:
    """Whether a reminder fee is agreed with each customer (lag (1981:739) 2 §): the customer's
    own terms where set, the company's otherwise. One query for any number."""
    default = collection_settings_of(company=company).is_reminder_fee_agreed
    ids = sorted(set(customer_ids))
    own = dict(
        CustomerCollectionTerms.objects.filter(Q(company=company) & any_of(CustomerCollectionTerms, ids, "customer_id"))
        .exclude(is_reminder_fee_agreed=None)
        .values_list("customer_id", "is_reminder_fee_agreed")
    )
    return {customer_id: own.get(customer_id, default) for customer_id in ids}


# --- the rate table -----------------------------------------------------------------------------


def rate_list(*, country: str, kind: str | None = None) -> list[StatutoryRate]:
    """The rate table of a country (one kind or all), oldest first."""
    rows = StatutoryRate.objects.filter(country=country)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("kind", "valid_from"))


def _published(country: str, kind: str) -> list[PublishedRate]:
    return [
        PublishedRate(valid_from, value)
        for valid_from, value in StatutoryRate.objects.filter(country=country, kind=kind).values_list(
            "valid_from", "value"
        )
    ]


def rate_periods(*, country: str, kind: str) -> list[RatePeriod]:
    return periods_of(_published(country, kind), kind=kind)


def interest_rate_periods(*, country: str, customer_kind: str) -> list[RatePeriod]:
    """The late-interest rate of a country for a kind of customer, period by period (the law's
    margin added), for law.interest_owed."""
    law = law_of(country)
    return interest_periods(
        country=country, customer_kind=customer_kind, rows=_published(country, law.interest_rate_kind)
    )


def collection_rate_on(*, country: str, on: dt.date) -> Decimal | None:
    """Norway's inkassosats in force on a day (inkassoforskriften § 1-2: the rate on the day the
    reminder is sent); None where the table has none (and for the other countries)."""
    row = (
        StatutoryRate.objects.filter(country=country, kind=RateKind.COLLECTION_RATE, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("value", flat=True)
        .first()
    )
    return row


# --- pauses ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseInForce:
    pause_id: int
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None
    is_customer_pause: bool


def _in_force(on: dt.date) -> Q:
    return Q(ended_at__isnull=True, starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gte=on))


def pauses_in_force(*, company: Company | int, claims: Mapping[int, int], on: dt.date) -> dict[int, PauseInForce]:
    """For each invoice of `claims` (invoice id -> its customer id) that must not be reminded on
    `on`, the pause that stops it (the invoice's own before its customer's). One query for any
    number of invoices."""
    if not claims:
        return {}
    # The company's pauses in force are few whatever the number of claims (a run assesses a
    # hundred thousand invoices): all of them are read, in one query, and matched here.
    rows = ReminderPause.objects.filter(Q(company=company) & _in_force(on)).values_list(
        "pk", "invoice_id", "customer_id", "reason", "starts_on", "ends_on"
    )
    by_invoice: dict[int, PauseInForce] = {}
    by_customer: dict[int, PauseInForce] = {}
    for pk, invoice_id, customer_id, reason, starts_on, ends_on in rows:
        if invoice_id is not None:
            by_invoice.setdefault(invoice_id, PauseInForce(pk, reason, starts_on, ends_on, False))
        else:
            by_customer.setdefault(customer_id, PauseInForce(pk, reason, starts_on, ends_on, True))
    found: dict[int, PauseInForce] = {}
    for invoice_id, customer_id in claims.items():
        pause = by_invoice.get(invoice_id) or by_customer.get(customer_id)
        if pause is not None:
            found[invoice_id] = pause
    return found


def pause_list(
    *, company: Company, invoice_id: int | None = None, customer_id: int | None = None
) -> list[ReminderPause]:
    """An invoice's or a customer's pauses, ended ones too (the history), newest first."""
    rows = ReminderPause.objects.filter(company=company)
    if invoice_id is not None:
        rows = rows.filter(invoice_id=invoice_id)
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    return list(rows.select_related("created_by", "ended_by"))


# --- the rate table's gaps, an invoice's reminders, the editor's preview invoice ---------------


@dataclass(frozen=True)
class RateGap:
    country: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date


def rate_gaps(*, until: dt.date) -> list[RateGap]:
    """Each country's half-years without its late-interest rate (law.CountryLaw.
    interest_rate_kind), from its first rate up to the half-year of `until`: interest over them
    is not claimed (law.RateMissing) until someone enters the published rate. One query."""
    wanted = {country: law.interest_rate_kind for country, law in LAWS.items()}
    entered: dict[str, list[dt.date]] = {country: [] for country in wanted}
    for country, kind, valid_from in StatutoryRate.objects.filter(country__in=list(wanted)).values_list(
        "country", "kind", "valid_from"
    ):
        if wanted[country] == kind:
            entered[country].append(valid_from)
    return [
        RateGap(country, wanted[country], starts_on, half_year_end(starts_on))
        for country in sorted(wanted)
        for starts_on in half_years_missing(entered[country], until=until)
    ]


def invoice_reminders(*, company: Company, invoice_id: int) -> list[Reminder]:
    """An invoice's reminders, level by level, with the delivery each went with (failed and
    undone ones too: the page shows what happened)."""
    return list(
        Reminder.objects.filter(company=company, invoice_id=invoice_id).select_related("delivery").order_by("level")
    )


def reminders_given_latest(*, company_id: int, invoice_ids: Iterable[int]) -> dict[int, Reminder]:
    """For each invoice, its highest level that counts (queued or sent: states.COUNTING_STATES),
    in one query; an invoice reminded only by hand (distribution's path) has none."""
    found: dict[int, Reminder] = {}
    rows = Reminder.objects.filter(
        Q(company_id=company_id, state__in=COUNTING_STATES) & any_of(Reminder, sorted(set(invoice_ids)), "invoice_id")
    ).order_by("invoice_id", "level")
    for row in rows:
        found[row.invoice_id] = row
    return found


def preview_invoice(*, company: Company, customer_kind: str, number: str = "", on: dt.date) -> Invoice | None:
    """The invoice a reminder text is previewed with: the one with this number, else the
    company's longest overdue invoice of a customer of this kind, else its latest issued one
    (distribution's choice for the invoice e-mails)."""
    if number.strip():
        return template_preview_invoice(company=company, number=number)
    overdue = (
        open_receivables(company=company)
        .filter(due_on__lt=on, open_amount__gt=0, customer__kind=customer_kind)
        .order_by("due_on", "invoice_id")
        .values_list("invoice_id", flat=True)
        .first()
    )
    if overdue is not None:
        return Invoice.objects.select_related("customer").filter(company=company, pk=overdue).first()
    return template_preview_invoice(company=company)


def rate_by_ids(ids: Iterable[int]) -> list[StatutoryRate]:
    """Rows of the rate table (the installation's: no company)."""
    return list(StatutoryRate.objects.filter(pk__in=list(ids)).order_by("pk"))


def interest_invoices_among(*, company: Company, invoice_ids: Iterable[int]) -> set[int]:
    """The interest invoices (räntefakturor) among `invoice_ids`: they bear no reminder fee and no
    interest of their own (no interest on interest). One query."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return set()
    return set(
        InterestCharge.objects.filter(
            Q(company=company) & any_of(InterestCharge, ids, "charge_invoice_id")
        ).values_list("charge_invoice_id", flat=True)
    )


def interest_charge_list(*, company: Company, state: str = "") -> QuerySet[InterestCharge]:
    """The company's interest charges (one per invoice paid late), newest payment first, with
    the customer's name and the interest invoice's number at hand."""
    rows = InterestCharge.objects.filter(company=company).select_related("customer", "charge_invoice")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-paid_on", "-pk")
