"""Recurring invoices changed while others generate their orders, issue them and issue
invoices to the same customers, in four processes at once (PostgreSQL: real OS processes,
each with its own connection). A recurring invoice is locked alone, never with its company
(invoicing/DESIGN.md, "Locks"): nothing fails, the numbers have no gap."""

from __future__ import annotations

import datetime as dt

import pytest

from fakturera.core.tests.processes import run_in_processes
from fakturera.invoicing.models import Invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.recurring.services import recurring_generate
from fakturera.recurring.tests.helpers import line, recurring

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JAN_1 = dt.date(2027, 1, 1)
N = 8


def change(*, user_id: int, recurring_ids: list[int], rounds: int):
    from django.contrib.auth import get_user_model

    from fakturera.recurring.models import RecurringInvoice
    from fakturera.recurring.services import recurring_update

    user = get_user_model().objects.get(pk=user_id)
    errors, done = [], 0
    for round_ in range(rounds):
        for pk in recurring_ids:
            try:
                recurring_update(recurring_invoice=RecurringInvoice(pk=pk), actor=user, note=f"Ändrad {round_}")
                done += 1
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    return {"done": done, "errors": errors}


def generate_and_issue(*, company_id: int, user_id: int, customer_ids: list[int], months: list[str]):
    from django.contrib.auth import get_user_model

    from fakturera.invoicing.services import invoice_create_issued, invoices_issue_drafts
    from fakturera.invoicing.tests.factories import line as invoice_line
    from fakturera.parties.models import Company, Customer
    from fakturera.recurring.services import recurring_generate

    company, user = Company.objects.get(pk=company_id), get_user_model().objects.get(pk=user_id)
    errors, done = [], 0
    for month in months:
        try:
            ids = recurring_generate(company=company, today=dt.date.fromisoformat(month)).order_ids
            if ids:
                invoices_issue_drafts(company=company, actor=user, invoice_ids=ids)
            done += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        for customer_id in customer_ids:
            try:
                customer = Customer.objects.get(pk=customer_id)
                invoice_create_issued(
                    company=company, customer=customer, actor=user, lines=[invoice_line("Extra", "50")]
                )
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    return {"done": done, "errors": errors}


def either(**kwargs):
    """The process's part: changing recurring invoices, or generating and issuing."""
    return change(**kwargs) if "recurring_ids" in kwargs else generate_and_issue(**kwargs)


def test_changing_recurring_invoices_while_orders_are_generated_and_issued_fails_nothing(company, admin_user):
    customers = [PersonFactory(company=company) for _ in range(N)]
    recurring_ids = [
        recurring(company, customer, admin_user, line("Webbhotell", "199", "monthly", JAN_1)).pk
        for customer in customers
    ]
    customer_ids = [customer.pk for customer in customers]
    months = [f"2027-{month:02d}-01" for month in range(1, 5)]
    user = {"user_id": admin_user.pk}
    calls = [
        {**user, "recurring_ids": recurring_ids, "rounds": 3},
        {**user, "recurring_ids": list(reversed(recurring_ids)), "rounds": 3},
        {**user, "company_id": company.pk, "customer_ids": customer_ids[::2], "months": months},
        {**user, "company_id": company.pk, "customer_ids": customer_ids[1::2], "months": months},
    ]

    results = run_in_processes("fakturera.recurring.tests.test_deadlocks:either", calls)

    assert [r.get("errors") for r in results] == [[]] * 4, results
    # a run skips what a change holds locked: the next run generates it
    recurring_generate(company=company, today=dt.date(2027, 4, 1))
    orders = Invoice.objects.filter(recurring_invoice__isnull=False)
    assert orders.count() == N * 4  # each recurring invoice's order of each month, once
    numbers = sorted(Invoice.objects.filter(company=company, number__isnull=False).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
