"""Foreign currency in the books (issue 16): a EUR invoice is booked in kronor at the rate stored
on it at issue; its payment in EUR at the rate of the payment date; the difference against the
receivable goes to exchange gains (3960) or losses (7960). Without a rate for the day nothing is
booked at a guessed one: the document is left out and named on the Vouchers page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.selectors import documents_unbooked
from fakturera.bookkeeping.services import period_lock
from fakturera.bookkeeping.states import Series
from fakturera.bookkeeping.tests.helpers import accounts_of, assert_every_voucher_balances, balance, lines_of
from fakturera.invoicing.tests.factories import ISSUED_ON, credit_note, exchange_rates, issued_invoice
from fakturera.payments.services import payment_register

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 11, 27)
EXEMPT = [
    {"description": "Konsultation", "quantity": "1", "unit_price": "1000.00", "vat_category": "E", "vat_rate": "0"}
]


def pay(company, user, invoice, amount: str, on: dt.date = PAID_ON):
    return payment_register(
        company=company, actor=user, amount=amount, currency="EUR", booked_on=on, invoice_id=invoice.pk,
        payer_name="Müller GmbH",
    )  # fmt: skip


def test_a_eur_invoice_is_booked_at_its_rate_and_its_payment_at_the_payment_days_with_a_gain(company, admin_user):
    exchange_rates(company, on=ISSUED_ON, EUR="11.0000")
    exchange_rates(company, on=PAID_ON, EUR="11.5000")
    invoice = issued_invoice(company, admin_user, "1000", currency="EUR")  # 1,000 + 250 VAT = 1,250 EUR

    pay(company, admin_user, invoice, "1250.00")

    booked = Voucher.objects.get(company=company, series=Series.INVOICES)
    assert (booked.currency, booked.exchange_rate) == ("EUR", Decimal("11.00000000"))
    assert accounts_of(booked) == {
        "1510": Decimal("13750.00"),
        "3001": Decimal("-11000.00"),
        "2611": Decimal("-2750.00"),  # the VAT in SEK the invoice states
    }
    assert invoice.sek_vat_amount == Decimal("2750.00")
    paid = Voucher.objects.get(company=company, series=Series.PAYMENTS)
    assert (paid.date, paid.currency, paid.exchange_rate) == (PAID_ON, "EUR", Decimal("11.50000000"))
    assert accounts_of(paid) == {
        "1930": Decimal("14375.00"),  # 1,250 EUR at 11.50
        "1510": Decimal("-13750.00"),  # the receivable at the rate it was booked at
        "3960": Decimal("-625.00"),  # the gain: 1,250 x (11.50 - 11.00)
    }
    assert balance(company, "1510") == 0
    assert_every_voucher_balances(company)


def test_a_lower_rate_on_the_payment_day_is_a_loss(company, admin_user):
    exchange_rates(company, on=ISSUED_ON, EUR="11.0000")
    exchange_rates(company, on=PAID_ON, EUR="10.8000")
    invoice = issued_invoice(company, admin_user, "1000", currency="EUR")

    pay(company, admin_user, invoice, "1250.00")

    paid = Voucher.objects.get(company=company, series=Series.PAYMENTS)
    assert lines_of(paid) == [
        ("1930", Decimal("13500.00"), ""),
        ("1510", Decimal("-13750.00"), f"Faktura {invoice.display_number}"),
        ("7960", Decimal("250.00"), ""),
    ]
    assert balance(company, "1510") == 0


def test_a_zero_rated_eur_invoice_takes_the_rate_of_its_date_and_its_credit_note_the_same(company, admin_user):
    exchange_rates(company, on=ISSUED_ON - dt.timedelta(days=2), EUR="11.2000")
    invoice = issued_invoice(company, admin_user, lines=EXEMPT, currency="EUR")
    exchange_rates(company, on=ISSUED_ON + dt.timedelta(days=1), EUR="12.0000")

    credit_note(invoice, admin_user, issued_on=ISSUED_ON + dt.timedelta(days=1))

    booked, credited = Voucher.objects.filter(company=company, series=Series.INVOICES).order_by("number")
    assert booked.exchange_rate == credited.exchange_rate == Decimal("11.20000000")
    assert accounts_of(booked)["1510"] == Decimal("11200.00")
    assert balance(company, "1510") == 0


def test_without_a_rate_for_the_day_nothing_is_booked_at_a_guessed_one(company, admin_user):
    exchange_rates(company, on=ISSUED_ON - dt.timedelta(days=30), EUR="11.0000")  # too old to use
    invoice = issued_invoice(company, admin_user, lines=EXEMPT, currency="EUR")

    assert not Voucher.objects.filter(company=company).exists()
    assert documents_unbooked(company, date_from=None, date_to=None) == [invoice.display_number]

    exchange_rates(company, on=PAID_ON, EUR="11.0000")  # the payment day's, after the invoice date
    pay(company, admin_user, invoice, "1000.00")

    # The money is at the bank (at its day's rate) but the receivable was never booked: the money
    # waits on customer prepayments, not cleared against a receivable the books do not hold.
    (paid,) = Voucher.objects.filter(company=company)
    assert accounts_of(paid) == {"1930": Decimal("11000.00"), "2420": Decimal("-11000.00")}


def test_the_rate_entered_afterwards_books_the_document_that_waited_for_it_once(company, admin_user):
    invoice = issued_invoice(company, admin_user, lines=EXEMPT, currency="EUR")
    assert not Voucher.objects.filter(company=company).exists()

    exchange_rates(company, on=ISSUED_ON - dt.timedelta(days=1), EUR="11.5000")

    (booked,) = Voucher.objects.filter(company=company)
    assert (booked.source_id, booked.date, booked.exchange_rate) == (invoice.pk, ISSUED_ON, Decimal("11.50000000"))
    assert accounts_of(booked)["1510"] == Decimal("11500.00")
    assert documents_unbooked(company, date_from=None, date_to=None) == []
    exchange_rates(company, on=ISSUED_ON, EUR="11.6000")  # a later rate books nothing again
    assert Voucher.objects.filter(company=company).count() == 1
    exchange_rates(company, on=PAID_ON, EUR="11.5000")
    pay(company, admin_user, invoice, "1000.00")
    assert balance(company, "1510") == 0
    assert_every_voucher_balances(company)


def test_a_document_of_a_closed_month_stays_unbooked_when_its_rate_comes(company, admin_user):
    invoice = issued_invoice(company, admin_user, lines=EXEMPT, currency="EUR")
    period_lock(company=company, actor=admin_user, month=ISSUED_ON.replace(day=1))

    exchange_rates(company, on=ISSUED_ON, EUR="11.5000")

    assert not Voucher.objects.filter(company=company).exists()
    assert documents_unbooked(company, date_from=None, date_to=None) == [invoice.display_number]
