"""Payments, allocations, refunds and undoings become vouchers in series C, in the booking's
transaction, and the books reconcile with payments' own figures: receivables (1510) with the
invoices' open amounts, prepayments (2420) with the money on no invoice, the bank (1930) with
what came in less what went back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, Sum
from django.utils import timezone

from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.services import vouchers_book_allocations
from fakturera.bookkeeping.states import Series, SourceKind
from fakturera.bookkeeping.tests.helpers import accounts_of, assert_every_voucher_balances, balance, lines_of
from fakturera.invoicing.tests.factories import credit_note, issued_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.payments.importing import payments_import
from fakturera.payments.models import Allocation, Payment, Receivable
from fakturera.payments.services import (
    credit_apply,
    credit_refund,
    payment_allocate,
    payment_register,
    payment_reverse,
    payment_settings_save,
    payment_unallocate,
)
from fakturera.payments.states import PaymentStatus
from fakturera.payments.testing import Credit, camt054

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 11, 25)


def payment_vouchers(company) -> list[Voucher]:
    return list(Voucher.objects.filter(company=company, series=Series.PAYMENTS).order_by("number"))


def assert_books_reconcile(company) -> None:
    """1510 = what the invoices have open; 2420 = payments' money on no invoice; 1930 = payments in
    less refunds and undone payments. Every voucher balances on its own."""
    assert_every_voucher_balances(company)
    open_total = Receivable.objects.filter(company=company).aggregate(s=Sum("open_amount"))["s"] or 0
    assert balance(company, "1510") == open_total
    live = Payment.objects.filter(company=company).exclude(status=PaymentStatus.REVERSED)
    unallocated = live.aggregate(s=Sum(F("amount") - F("allocated_amount")))["s"] or 0
    assert balance(company, "2420") == -unallocated


def test_a_payment_of_an_invoice_debits_the_bank_and_credits_receivables(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000", customer=PersonFactory(company=company, name="Anna Berg"))

    payment = payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk,
        payer_name="Anna Berg",
    )  # fmt: skip

    (voucher,) = payment_vouchers(company)
    assert (voucher.source_kind, voucher.source_id, voucher.number, voucher.date) == (
        SourceKind.PAYMENT, payment.pk, 1, PAID_ON,
    )  # fmt: skip
    assert voucher.text == "Inbetalning, Anna Berg"
    assert lines_of(voucher) == [
        ("1930", Decimal("1250.00"), ""),
        ("1510", Decimal("-1250.00"), f"Faktura {invoice.display_number}"),
    ]
    assert_books_reconcile(company)


def test_an_unmatched_payment_waits_on_prepayments_until_allocated(company, admin_user, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC))
    invoice = issued_invoice(company, admin_user, "1000")
    payment = payment_register(company=company, actor=admin_user, amount="500.00", currency="SEK", booked_on=PAID_ON)

    (received,) = payment_vouchers(company)
    assert accounts_of(received) == {"1930": Decimal("500.00"), "2420": Decimal("-500.00")}
    assert_books_reconcile(company)

    payment_allocate(company=company, actor=admin_user, payment_id=payment.pk, allocations=[(invoice.pk, "500.00")])

    allocated = payment_vouchers(company)[1]
    assert allocated.source_kind == SourceKind.ALLOCATION
    # Moving money already in the books is dated the day it is done, not the payment's date.
    assert allocated.date == dt.date(2026, 12, 3)
    assert accounts_of(allocated) == {"2420": Decimal("500.00"), "1510": Decimal("-500.00")}
    assert_books_reconcile(company)

    payment_unallocate(company=company, actor=admin_user, payment_id=payment.pk)

    undone = payment_vouchers(company)[2]
    assert accounts_of(undone) == {"1510": Decimal("500.00"), "2420": Decimal("-500.00")}
    assert_books_reconcile(company)


def test_an_overpayment_its_credit_applied_and_refunded(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    customer = PersonFactory(company=company)
    first = issued_invoice(company, admin_user, "1000", customer=customer)
    second = issued_invoice(company, admin_user, "80", customer=customer)
    payment_register(
        company=company, actor=admin_user, amount="1400.00", currency="SEK", booked_on=PAID_ON, invoice_id=first.pk
    )
    assert_books_reconcile(company)

    credit_apply(company=company, actor=admin_user, customer_id=customer.pk)

    moved = payment_vouchers(company)[-1]
    assert moved.source_kind == SourceKind.CREDIT_TRANSFER
    assert lines_of(moved) == [
        ("1510", Decimal("100.00"), f"Faktura {first.display_number}"),
        ("1510", Decimal("-100.00"), f"Faktura {second.display_number}"),
    ]
    credit_refund(
        company=company, actor=admin_user, customer_id=customer.pk, amount="50", currency="SEK", refunded_on=PAID_ON
    )

    refund = payment_vouchers(company)[-1]
    assert (refund.source_kind, refund.date) == (SourceKind.REFUND, PAID_ON)
    assert accounts_of(refund) == {"1510": Decimal("50.00"), "1930": Decimal("-50.00")}
    assert_books_reconcile(company)
    assert balance(company, "1930") == Decimal("1350.00")


def test_a_credit_payment_applied_and_refunded_moves_prepayments(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    customer = PersonFactory(company=company)
    payment_register(
        company=company, actor=admin_user, amount="300.00", currency="SEK", booked_on=PAID_ON, customer_id=customer.pk
    )
    invoice = issued_invoice(company, admin_user, "160", customer=customer)

    credit_apply(company=company, actor=admin_user, customer_id=customer.pk)
    applied = payment_vouchers(company)[-1]
    assert accounts_of(applied) == {"2420": Decimal("200.00"), "1510": Decimal("-200.00")}
    assert invoice.pk in Receivable.objects.filter(state="paid").values_list("pk", flat=True)

    credit_refund(
        company=company, actor=admin_user, customer_id=customer.pk, amount="100", currency="SEK", refunded_on=PAID_ON
    )
    refund = payment_vouchers(company)[-1]
    assert accounts_of(refund) == {"2420": Decimal("100.00"), "1930": Decimal("-100.00")}
    assert_books_reconcile(company)


def test_a_payment_registered_by_mistake_is_undone_in_the_books(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment = payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    payment_reverse(company=company, actor=admin_user, payment_id=payment.pk, reason="fel kund")

    undone = payment_vouchers(company)[-1]
    assert (undone.source_kind, undone.source_id, undone.date) == (
        SourceKind.PAYMENT_REVERSED, payment.pk, timezone.localdate(),
    )  # fmt: skip
    assert accounts_of(undone) == {"1510": Decimal("1250.00"), "1930": Decimal("-1250.00")}
    assert balance(company, "1930") == 0
    assert_books_reconcile(company)


def test_a_cash_discount_lowers_sales_and_output_vat(company, admin_user):
    customer = PersonFactory(company=company)
    customer.cash_discount_percent, customer.cash_discount_days = Decimal("2"), 10
    customer.save()
    invoice = issued_invoice(company, admin_user, "1000", customer=customer)
    content = camt054(
        [Credit(Decimal("1225.00"), reference=invoice.payment_reference, booked_on=invoice.issued_on)],
        bankgiro_digits=company.bankgiro.replace("-", ""),
    )

    payments_import(source=content, company=company)

    (voucher,) = payment_vouchers(company)
    assert accounts_of(voucher) == {
        "1930": Decimal("1225.00"),
        "1510": Decimal("-1250.00"),
        "3731": Decimal("20.00"),
        "2611": Decimal("5.00"),
    }
    assert_books_reconcile(company)

    payment_unallocate(company=company, actor=admin_user, payment_id=Payment.objects.get().pk)

    assert accounts_of(payment_vouchers(company)[-1]) == {
        "1510": Decimal("1250.00"),
        "2420": Decimal("-1225.00"),
        "3731": Decimal("-20.00"),
        "2611": Decimal("-5.00"),
    }
    assert_books_reconcile(company)


def test_a_credit_note_on_a_paid_invoice_leaves_the_excess_on_receivables(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    credit_note(invoice, admin_user, issued_on=PAID_ON)

    assert_books_reconcile(company)
    assert balance(company, "1510") == Decimal("-1250.00")


def test_a_bank_file_is_a_voucher_per_payment_booked_in_a_fixed_number_of_statements(
    company, admin_user, django_assert_max_num_queries
):
    invoices = [issued_invoice(company, admin_user, "100") for _ in range(60)]
    content = camt054(
        [Credit(Decimal("125.00"), reference=i.payment_reference, booked_on=PAID_ON) for i in invoices]
        + [Credit(Decimal("77.00"), reference="", booked_on=PAID_ON)],
        bankgiro_digits=company.bankgiro.replace("-", ""),
    )

    payments_import(source=content, company=company)

    assert len(payment_vouchers(company)) == 61
    assert [v.number for v in payment_vouchers(company)] == list(range(1, 62))
    assert_books_reconcile(company)

    # The subscriber's work alone, booked again: payments (1), allocations (1), the company, the
    # mapping, one number range, the vouchers and lines; SQLite's inserts split by its variable limit.
    Voucher.objects.filter(company=company).update(source_id=-F("source_id"))
    allocation_ids = list(Allocation.objects.values_list("pk", flat=True))
    payment_ids = list(Payment.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(9 if connection.vendor == "postgresql" else 20):
        booked = vouchers_book_allocations(
            company_id=company.pk, allocation_ids=allocation_ids, payment_ids=payment_ids,
            reversed_payment_ids=[], actor_id=None,
        )  # fmt: skip
    assert len(booked) == 61
