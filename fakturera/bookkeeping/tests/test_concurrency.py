"""Vouchers booked by four processes at once (PostgreSQL: real processes and row locks): invoices
issued and payments registered concurrently, the first voucher of each series made by a race for
its counter row. Every series is numbered 1..n without a gap or a double, and nothing fails."""

from __future__ import annotations

import datetime as dt

import pytest

from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.states import Series
from fakturera.bookkeeping.tests.helpers import assert_every_voucher_balances
from fakturera.core.tests.processes import run_in_processes
from fakturera.invoicing.tests.factories import draft_invoice
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ISSUED_ON = dt.date(2026, 11, 20)


def book(*, kind: str, **kwargs) -> dict:
    """One process: issue its drafts, or register its payments."""
    return issue(**kwargs) if kind == "issue" else pay(**kwargs)


def issue(*, draft_ids: list[int], user_id: int) -> dict:
    from fakturera.invoicing.models import Invoice
    from fakturera.invoicing.services import invoice_issue

    try:
        for pk in draft_ids:
            invoice_issue(invoice=Invoice.objects.get(pk=pk), actor=user_id, issued_on=ISSUED_ON)
    except Exception as exc:  # every error counts: the test wants none
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"done": len(draft_ids)}


def pay(*, company_id: int, user_id: int, count: int) -> dict:
    from fakturera.parties.models import Company
    from fakturera.payments.services import payment_register

    company = Company.objects.get(pk=company_id)
    try:
        for _ in range(count):
            payment_register(company=company, actor=user_id, amount="10", currency="SEK", booked_on=ISSUED_ON)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"done": count}


def test_concurrent_bookings_number_every_series_without_a_gap():
    company = CompanyFactory()
    user = StaffFactory(company=company, role="admin").user
    drafts = [draft_invoice(company, user, "100").pk for _ in range(8)]

    results = run_in_processes(
        "fakturera.bookkeeping.tests.test_concurrency:book",
        [
            {"kind": "issue", "draft_ids": drafts[:4], "user_id": user.pk},
            {"kind": "pay", "company_id": company.pk, "user_id": user.pk, "count": 5},
            {"kind": "issue", "draft_ids": drafts[4:], "user_id": user.pk},
            {"kind": "pay", "company_id": company.pk, "user_id": user.pk, "count": 5},
        ],
    )

    assert results == [{"done": 4}, {"done": 5}, {"done": 4}, {"done": 5}]
    for series, n in ((Series.INVOICES, 8), (Series.PAYMENTS, 10)):
        numbers = sorted(Voucher.objects.filter(company=company, series=series).values_list("number", flat=True))
        assert numbers == list(range(1, n + 1))
    assert assert_every_voucher_balances(company) == 18
