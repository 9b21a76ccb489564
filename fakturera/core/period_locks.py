"""Whether a date falls in a month a company has closed for bookkeeping, for the apps that
issue and book money and may not import the bookkeeping app (invoicing sits below it, payments
beside it): bookkeeping registers the answer in its AppConfig.ready(), as payments answers
`payment_facts`. With no provider (bookkeeping not installed) no month is closed.

Bokföringslagen (1999:1078) 5 kap. 5 §: what is booked for a period stays as it was; a
correction is a new verification. So once the accountant has closed a month (reported its
VAT, reconciled it), nothing may be dated in it any more: issuing and booking a payment
refuse, before they take a number or write a row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError

# (company id, first days of months) -> those of the months that are closed.
Provider = Callable[[int, frozenset[dt.date]], set[dt.date]]
_providers: list[Provider] = []


class PeriodLocked(DomainError):
    code = "period_locked"


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def locked_months(company_id: int, dates: Iterable[dt.date]) -> list[dt.date]:
    """The closed months (their first days, in order) among those of `dates`: one query per
    provider whatever the number of dates."""
    months = frozenset(month_of(day) for day in dates)
    if not months:
        return []
    found: set[dt.date] = set()
    for provider in _providers:
        found |= provider(company_id, months)
    return sorted(found)


def check_open(company_id: int, dates: Iterable[dt.date], *, field: str | None = None) -> None:
    """Refuse (PeriodLocked, naming the month) when any of `dates` is in a closed month."""
    closed = locked_months(company_id, dates)
    if closed:
        raise PeriodLocked(
            _(
                "%(month)s is closed for bookkeeping: nothing can be dated in it. Choose a date in an "
                "open month, or ask an administrator to reopen %(month)s."
            )
            % {"month": closed[0].strftime("%Y-%m")},
            field=field,
        )
