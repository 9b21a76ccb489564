"""The set-up the collections tests share, here and in the staff pages' (browser) and the API's
tests: the reference rates, the collection settings, a reminder policy that ends in debt
collection, an invoice reminded until it is ready for collection, an invoice paid late, and
reminders sent as print."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fakturera.collections.models import StatutoryRate
from fakturera.collections.run import reminders_run
from fakturera.collections.services import collection_settings_save, policy_save
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.services import channel_setting_save, distribution_settings_save
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.models import Company
from fakturera.payments.services import payment_register

# Two reminders, ten days to pay after each: the first 7 days after the due date, the second 14
# days after the first.
TWO_LEVELS = [
    {"days": 7, "days_from": "due_date", "new_due_days": 10},
    {"days": 14, "days_from": "previous", "new_due_days": 10},
]


def reference_rates() -> None:
    """A made-up Swedish reference rate of 2 % for every half-year the tests reach (the seeded
    table stops where the published rates could be checked)."""
    for year in (2025, 2026, 2027):
        for month in (1, 7):
            StatutoryRate.objects.get_or_create(
                country="SE",
                kind="reference",
                valid_from=dt.date(year, month, 1),
                defaults={"value": Decimal("2.00"), "source": "test"},
            )


def settings_saved(company: Company, **changes: Any) -> None:
    """The collection settings: no reminder fee agreed, no late-payment compensation, interest
    invoices proposed from 100 (unless `changes` say otherwise)."""
    given = {
        "is_reminder_fee_agreed": False,
        "is_claiming_late_compensation": False,
        "bank_import_stale_days": 2,
        "interest_invoice_mode": "propose",
        "interest_invoice_minimum_amount": "100",
        **changes,
    }
    collection_settings_save(company=company, **given)


def collection_policy(company: Company, actor: Any) -> None:
    """Persons' reminders: two (TWO_LEVELS), then debt collection."""
    policy_save(company=company, actor=actor, customer_kind="person", levels=TWO_LEVELS, last_level_action="collection")


def reminded_to_the_last_level(company: Company, actor: Any, *, days_ago: Iterable[int] = (33, 19)) -> None:
    """The reminder runs of `days_ago`, each reminder sent by the worker to a real SMTP server.
    With collection_policy, an invoice due 40 days ago gets level 1 33 days ago and level 2 19
    days ago: the last deadline has passed, it is ready for collection."""
    today = timezone.localdate()
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        for ago in days_ago:
            reminders_run(company=company, actor=actor, on=today - dt.timedelta(days=ago))
            deliveries_work(now=timezone.now() + dt.timedelta(minutes=10))


def paid_late(
    company: Company,
    user: Any,
    *,
    days_late: int = 20,
    net: str = "8000.00",
    parts: Iterable[tuple[dt.date, str]] | None = None,
    **options: Any,
) -> Invoice:
    """An invoice of net + 25 % VAT due `days_late` days before today, paid by `parts` ((date,
    amount), all of it today by default)."""
    invoice = overdue_invoice(company, user, net, days_overdue=days_late, **options)
    for on, amount in parts or [(timezone.localdate(), str(invoice.total_amount))]:
        payment_register(
            company=company, actor=user, amount=amount, currency="SEK", booked_on=on, invoice_id=invoice.pk
        )
    return invoice


def reminders_by_print(company: Company) -> None:
    """Invoices and reminders go as print, with an undo window of a minute."""
    channel_setting_save(company=company, channel="print", is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel="print", reserve_channel="", reminder_channel="print", undo_minutes=1
    )
