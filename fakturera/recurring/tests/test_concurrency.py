"""Two generation runs at the same moment (PostgreSQL: real row locks, real threads)."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from unittest import mock

import pytest

from fakturera.core.tests.concurrency import run_together
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.services import invoices_issue_drafts
from fakturera.parties.tests.factories import PersonFactory
from fakturera.recurring import services
from fakturera.recurring.models import RecurringLine
from fakturera.recurring.services import recurring_generate
from fakturera.recurring.tests.helpers import line, recurring

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JAN_1 = dt.date(2027, 1, 1)


def slow_plans(delay: float = 0.3):
    """Hold each generating transaction open a little, so the other run meets its locks."""
    original = services.plan_orders

    def slow(*args, **kwargs):
        time.sleep(delay)
        return original(*args, **kwargs)

    return mock.patch("fakturera.recurring.services.plan_orders", side_effect=slow)


def test_two_runs_at_once_generate_each_order_once(company, admin_user):
    # given five customers' recurring invoices, each three months behind
    for _ in range(5):
        recurring(
            company,
            PersonFactory(company=company),
            admin_user,
            line("Webbhotell", "199", "monthly", JAN_1),
            line("Backup", "49", "monthly", JAN_1),
        )

    # when two runs start at the same moment
    with slow_plans(), mock.patch.object(services, "GENERATE_BATCH", 2):
        results = run_together(
            lambda: recurring_generate(today=dt.date(2027, 3, 1)),
            lambda: recurring_generate(today=dt.date(2027, 3, 1)),
        )

    # then neither failed, together they made each (recurring invoice, date) order once
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.orders for r in results) == 15
    orders = Counter(Invoice.objects.values_list("recurring_invoice_id", "recurring_on"))
    assert len(orders) == 15
    assert set(orders.values()) == {1}
    assert InvoiceLine.objects.count() == 30
    assert set(RecurringLine.objects.values_list("next_on", flat=True)) == {dt.date(2027, 4, 1)}


def test_a_run_while_another_holds_the_lock_skips_and_finds_nothing_left(company, admin_user):
    recurring(company, PersonFactory(company=company), admin_user, line("Webbhotell", "199", "monthly", JAN_1))

    with slow_plans(0.6):
        results = run_together(
            lambda: recurring_generate(today=JAN_1),
            lambda: (time.sleep(0.2), recurring_generate(today=JAN_1))[1],
        )

    assert sorted(r.orders for r in results) == [0, 1], results
    assert Invoice.objects.count() == 1


def test_invoicing_the_same_orders_twice_at_once_numbers_each_once(company, admin_user):
    for _ in range(4):
        recurring(company, PersonFactory(company=company), admin_user, line("A", "10", "monthly", JAN_1))
    ids = recurring_generate(today=JAN_1).order_ids

    results = run_together(
        lambda: invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=ids),
        lambda: invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=list(reversed(ids))),
    )

    issued = [r for r in results if isinstance(r, list)]
    assert len(issued) == 1, results
    assert "None of the chosen drafts is left" in str(next(r for r in results if isinstance(r, Exception)))
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
