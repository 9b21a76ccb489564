"""Reads of collections: a company's policies and settings, the rate table, pauses in force.
Every company-owned read takes the company; lists are read in one query whatever their size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from fakturera.collections.law import PublishedRate, RateKind, RatePeriod, interest_periods, law_of, periods_of
from fakturera.collections.models import (
    CollectionSettings,
    CustomerCollectionTerms,
    ReminderLevel,
    ReminderPause,
    ReminderPolicy,
    StatutoryRate,
)
from fakturera.collections.rules import Level, Policy, default_policy
from fakturera.core.bulk import any_of
from fakturera.parties.models import Company, CustomerKind


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
