"""Two reminder runs at once (PostgreSQL: real OS processes, each with its own connection), as
two schedulers or the daily job and a click on the Reminders page meet: each reminder is given
once, by the unique key on (invoice, level), and one delivery goes per invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fakturera.collections.models import Reminder, StatutoryRate
from fakturera.core.tests.processes import run_in_processes
from fakturera.distribution.models import Delivery
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.tests.factories import overdue_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 20


def run_reminders(*, company_id: int) -> dict:
    """One process: the company's reminder run; what it queued, or the error."""
    from fakturera.collections.run import reminders_run
    from fakturera.parties.models import Company

    try:
        result = reminders_run(company=Company.objects.get(pk=company_id))
    except Exception as exc:  # every error counts: the test wants none
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"queued": result.queued}


def test_two_runs_at_once_give_each_reminder_once(company, admin_user):
    StatutoryRate.objects.create(
        country="SE", kind="reference", valid_from=dt.date(2026, 7, 1), value=Decimal("2.00"), source="test"
    )
    StatutoryRate.objects.create(
        country="SE", kind="reference", valid_from=dt.date(2027, 1, 1), value=Decimal("2.00"), source="test"
    )
    invoices = [overdue_invoice(company, admin_user, "100.00", days_overdue=10) for _ in range(N)]
    email_channel(company, 25, reminder_channel="email")

    results = run_in_processes(
        "fakturera.collections.tests.test_run_concurrency:run_reminders", [{"company_id": company.pk}] * 2
    )

    assert all("error" not in result for result in results), results
    assert sorted(result["queued"] for result in results) == [0, N]
    assert Reminder.objects.filter(company=company).count() == N
    for invoice in invoices:
        assert Delivery.objects.filter(invoice=invoice, purpose="reminder").count() == 1
