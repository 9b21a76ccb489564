"""The bookkeeping settings page (accounts, closing and reopening months: administrators only) and
the voucher list with its period filter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fakturera.bookkeeping.models import AccountMapping, PeriodLock
from fakturera.bookkeeping.rules import BAS_DEFAULTS
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db


def test_an_administrator_closes_and_reopens_a_month(company):
    client, user = staff_client(company, role="admin")
    url = reverse("staff:bookkeeping_settings")
    assert client.get(url).status_code == 200

    response = client.post(reverse("staff:period_close"), {"month": "2026-11"}, follow=True)

    assert "2026-11 is closed." in messages_of(response)
    lock = PeriodLock.objects.get(company=company)
    assert (lock.month, lock.locked_by, lock.unlocked_at) == (dt.date(2026, 11, 1), user, None)
    assert "2026-11" in client.get(url).content.decode()
    again = client.post(reverse("staff:period_close"), {"month": "2026-11"})
    assert again.status_code == 400
    assert "2026-11 is closed already." in again.content.decode()

    client.post(reverse("staff:period_reopen"), {"month": "2026-11"})

    assert PeriodLock.objects.get(company=company).unlocked_by == user


def test_only_an_administrator_closes_a_month_or_changes_the_accounts(company):
    accountant, _user = staff_client(company)

    assert accountant.post(reverse("staff:period_close"), {"month": "2026-11"}).status_code == 403
    assert accountant.get(reverse("staff:bookkeeping_settings")).status_code == 403
    assert not PeriodLock.objects.exists()


def test_the_accounts_are_saved_whole_or_refused_with_every_problem(company):
    client, _user = staff_client(company, role="admin")
    url = reverse("staff:bookkeeping_settings")
    data = {**BAS_DEFAULTS, "sales_25": "3041", "bank": "19X0", "rounding": ""}

    refused = client.post(url, data)

    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"bank", "rounding"}
    assert not AccountMapping.objects.exists()

    client.post(url, {**BAS_DEFAULTS, "sales_25": "3041"})
    assert list(AccountMapping.objects.values_list("purpose", "account")) == [("sales_25", "3041")]


def test_the_voucher_list_shows_each_voucher_with_its_transactions(company, admin_user):
    issued_invoice(company, admin_user, "1000", issued_on=dt.date(2026, 11, 2))
    issued_invoice(company, admin_user, "200", issued_on=dt.date(2026, 11, 20))
    client, _user = staff_client(company, role="read_only")

    page = client.get(reverse("staff:voucher_list"), {"date_from": "2026-11-01", "date_to": "2026-11-10"})

    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="voucher-row"') == 1
    for account in ("3001", "1510", "2611"):
        assert account in body


def test_the_vouchers_page_names_invoices_not_booked_for_want_of_an_exchange_rate(company, admin_user):
    lines = [{"description": "Konsultation", "quantity": "1", "unit_price": "1000.00", "vat_category": "E",
              "vat_rate": "0"}]  # fmt: skip
    invoice = issued_invoice(company, admin_user, lines=lines, currency="EUR")
    client, _user = staff_client(company)

    page = client.get(reverse("staff:voucher_list")).content.decode()

    assert "Not booked, because they are in another currency" in page
    assert f"exchange rate for their date when they were issued: {invoice.display_number}." in page
