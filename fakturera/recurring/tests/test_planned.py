"""What the recurring invoices will make in the weeks ahead, for the cash-in forecast: from the
pure schedule, with the customer's payment terms, nothing of a deleted recurring invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fakturera.parties.tests.factories import PersonFactory
from fakturera.recurring.selectors import planned_invoicing
from fakturera.recurring.services import recurring_delete
from fakturera.recurring.tests.helpers import line, recurring

pytestmark = pytest.mark.django_db
START = dt.date(2027, 1, 31)


def test_orders_ahead_with_their_totals_and_due_dates(company, admin_user):
    customer = PersonFactory(company=company, payment_terms_days=10)
    recurring(
        company,
        customer,
        admin_user,
        line("Hyra", "1000", "monthly", START),
        line("Service", "99.99", "quarterly", START, quantity="2", vat_rate="12"),
    )
    other = recurring(company, PersonFactory(company=company), admin_user, line("Städ", "400", "weekly", START))
    recurring_delete(recurring_invoice=other, actor=admin_user)

    with CaptureQueriesContext(connection) as queries:
        found = planned_invoicing(company=company, until=dt.date(2027, 4, 30))

    assert len(queries) == 1  # no dynamic prices
    assert [(order.on, order.total, order.due_on) for order in found] == [
        # 1,000 + 25 %, and 2 x 99.99 = 199.98 + 12 % (24.00)
        (dt.date(2027, 1, 31), Decimal("1473.98"), dt.date(2027, 2, 10)),
        (dt.date(2027, 2, 28), Decimal("1250.00"), dt.date(2027, 3, 10)),
        (dt.date(2027, 3, 31), Decimal("1250.00"), dt.date(2027, 4, 10)),
        (dt.date(2027, 4, 30), Decimal("1473.98"), dt.date(2027, 5, 10)),
    ]
    assert {order.customer_id for order in found} == {customer.pk}
