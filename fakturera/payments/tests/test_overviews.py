"""The overviews' reads: home figures, aged receivables, the forecast's inputs and the customer
statement, exact and in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fakturera.invoicing.tests.factories import credit_note, exchange_rates, issued_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.payments import selectors
from fakturera.payments.services import credit_refund, payment_register, payment_reverse

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 12, 5)


def pay(company, user, invoice, amount, on):
    return payment_register(
        company=company, actor=user, amount=amount, currency=invoice.currency, booked_on=on, invoice_id=invoice.pk
    )


@pytest.fixture
def aged(company, admin_user):
    """Four invoices of 1,250.00 SEK due 157, 82 and 35 days before AS_OF and 15 days after it;
    the 82-day one part-paid 250, and another customer's invoice over-paid by 100."""
    customer = PersonFactory(company=company, name="Anna")
    other = PersonFactory(company=company, name="Bertil")
    made = [
        issued_invoice(company, admin_user, "1000", customer=customer, issued_on=day)
        for day in (dt.date(2026, 6, 1), dt.date(2026, 8, 15), dt.date(2026, 10, 1), dt.date(2026, 11, 20))
    ]
    paid = issued_invoice(company, admin_user, "100", customer=other, issued_on=dt.date(2026, 11, 20))
    pay(company, admin_user, made[1], "250", dt.date(2026, 11, 1))
    pay(company, admin_user, paid, "225", dt.date(2026, 11, 25))
    return customer, other, made


def test_aging_buckets_per_currency_and_customer(company, aged):
    _customer, _other, _made = aged

    with CaptureQueriesContext(connection) as queries:
        totals = selectors.aging_totals(company=company, as_of=AS_OF)
    assert len(queries) == 1
    assert totals["SEK"] == {
        "not_due": Decimal("1250.00"),
        "days_1_30": Decimal("0.00"),
        "days_31_60": Decimal("1250.00"),
        "days_61_90": Decimal("1000.00"),
        "days_over_90": Decimal("1250.00"),
        "total": Decimal("4750.00"),
        "invoices": 4,
    }
    rows = list(selectors.aging_by_customer(company=company, as_of=AS_OF, currency="SEK"))
    assert [(row["customer_name"], row["total"]) for row in rows] == [("Anna", Decimal("4750.00"))]
    assert selectors.credit_balance_totals(company=company) == {"SEK": Decimal("100.00")}


def test_aging_as_of_an_earlier_day_leaves_out_later_invoices_and_moves_the_buckets(company, aged):
    totals = selectors.aging_totals(company=company, as_of=dt.date(2026, 10, 15))["SEK"]

    # Due Jul 1 (106 days), Sep 14 (31 days), Oct 31 (not due); the Nov 20 one did not exist.
    assert totals["days_over_90"] == Decimal("1250.00")
    assert totals["days_31_60"] == Decimal("1000.00")
    assert totals["not_due"] == Decimal("1250.00")
    assert totals["total"] == Decimal("3500.00")


def test_bucket_edges(company, admin_user):
    customer = PersonFactory(company=company)
    invoice = issued_invoice(company, admin_user, "1000", customer=customer, issued_on=dt.date(2026, 10, 1))
    due = invoice.due_on
    for days, key in ((0, "not_due"), (1, "days_1_30"), (30, "days_1_30"), (31, "days_31_60"), (60, "days_31_60"),
                      (61, "days_61_90"), (90, "days_61_90"), (91, "days_over_90")):  # fmt: skip
        totals = selectors.aging_totals(company=company, as_of=due + dt.timedelta(days=days))["SEK"]
        assert totals[key] == Decimal("1250.00"), (days, key)


def test_home_figures(company, aged):
    with CaptureQueriesContext(connection) as queries:
        figures = selectors.receivables_at_a_glance(company=company, today=dt.date(2026, 12, 15))
    assert len(queries) == 1
    (sek,) = figures
    # Overdue on Dec 15: the three older ones; due Dec 15-20 (Tuesday to Sunday): Dec 20.
    assert (sek.overdue_amount, sek.overdue_count) == (Decimal("3500.00"), 3)
    assert (sek.due_week_amount, sek.due_week_count) == (Decimal("1250.00"), 1)


def test_unmatched_payments_summary(company, admin_user):
    payment_register(company=company, actor=admin_user, amount="99.50", currency="SEK", booked_on=AS_OF)
    payment_register(company=company, actor=admin_user, amount="10", currency="EUR", booked_on=AS_OF)

    found = selectors.unmatched_payments_summary(company=company)

    assert found.count == 2
    assert found.amounts == {"EUR": Decimal("10.00"), "SEK": Decimal("99.50")}


def test_forecast_inputs_in_three_queries(company, aged):
    _customer, other, _made = aged
    with CaptureQueriesContext(connection) as queries:
        inputs = selectors.forecast_inputs(company=company, today=AS_OF)
    assert len(queries) == 3
    assert sorted(item.amount for item in inputs.open_items) == [Decimal("1000.00"), *[Decimal("1250.00")] * 3]
    # The over-paid invoice was due Dec 20 and paid Nov 25: 25 days early.
    assert inputs.delays == {other.pk: [-25]}


def test_statement_running_balance_opening_and_closing(company, admin_user):
    customer = PersonFactory(company=company, name="Cecilia")
    first = issued_invoice(company, admin_user, "1000", customer=customer, issued_on=dt.date(2026, 9, 1))
    pay(company, admin_user, first, "1250", dt.date(2026, 9, 20))
    second = issued_invoice(company, admin_user, "400", customer=customer, issued_on=dt.date(2026, 10, 5))
    third = issued_invoice(company, admin_user, "200", customer=customer, issued_on=dt.date(2026, 10, 10))
    pay(company, admin_user, second, "600", dt.date(2026, 10, 20))  # 100 over: credit, applied to the third
    credit_note(third, admin_user, issued_on=dt.date(2026, 10, 25))  # the third credited: 250 less owed
    credit_refund(
        company=company, actor=admin_user, customer_id=customer.pk, amount="50", currency="SEK",
        refunded_on=dt.date(2026, 11, 2),
    )  # fmt: skip

    found = selectors.customer_statement(
        company=company, customer=customer, starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 11, 30),
        currency="SEK", today=AS_OF,
    )  # fmt: skip

    assert found.opening_balance == Decimal("0.00")  # the September invoice was paid in full
    kinds = [(entry.kind, entry.amount, entry.balance) for entry in found.entries if entry.amount]
    assert kinds[0] == ("invoice", Decimal("500.00"), Decimal("500.00"))
    assert kinds[1] == ("invoice", Decimal("250.00"), Decimal("750.00"))
    assert kinds[2] == ("payment", Decimal("-600.00"), Decimal("150.00"))
    assert ("credit_note", Decimal("-250.00"), Decimal("-100.00")) in kinds
    assert kinds[-1] == ("refund", Decimal("50.00"), Decimal("-50.00"))
    assert found.closing_balance == Decimal("-50.00")
    # The closing balance is what is open less the credit balance.
    credit = selectors.credit_balance_totals(company=company).get("SEK", Decimal(0))
    assert found.closing_balance == found.open_total - credit
    before = selectors.customer_statement(
        company=company, customer=customer, starts_on=dt.date(2026, 9, 10), ends_on=dt.date(2026, 9, 30),
        currency="SEK", today=AS_OF,
    )  # fmt: skip
    assert before.opening_balance == Decimal("1250.00")
    assert before.closing_balance == Decimal("0.00")


def test_a_reversed_payment_comes_back_on_the_statement_and_currencies_stay_apart(company, admin_user):
    customer = PersonFactory(company=company)
    invoice = issued_invoice(company, admin_user, "1000", customer=customer, issued_on=dt.date(2026, 10, 1))
    exchange_rates(company, on=dt.date(2026, 10, 2))
    euro = issued_invoice(company, admin_user, "100", customer=customer, issued_on=dt.date(2026, 10, 2), currency="EUR")
    payment = pay(company, admin_user, invoice, "1250", dt.date(2026, 10, 5))
    payment_reverse(company=company, actor=admin_user, payment_id=payment.pk, reason="wrong customer")

    found = selectors.customer_statement(
        company=company, customer=customer, starts_on=dt.date(2026, 10, 1), ends_on=timezone.localdate(),
        currency="SEK", today=timezone.localdate(),
    )  # fmt: skip

    assert [(entry.kind, entry.balance) for entry in found.entries] == [
        ("invoice", Decimal("1250.00")),
        ("payment", Decimal("0.00")),
        ("payment_reversed", Decimal("1250.00")),
    ]
    assert found.closing_balance == found.open_total == Decimal("1250.00")
    assert selectors.statement_currencies(company=company, customer=customer) == ["SEK", "EUR"]
    assert euro.currency == "EUR"
