"""Payments by hand, undo, allocation by hand, the credit balance and the receivables kept from
invoicing's events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from fakturera.core.errors import DomainError, StateConflict
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import credit_note, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.payments.models import Allocation, Payment, Receivable
from fakturera.payments.services import (
    NotFound,
    credit_apply,
    credit_balances,
    credit_refund,
    payment_allocate,
    payment_register,
    payment_reverse,
    payment_settings_save,
    payment_unallocate,
)
from fakturera.payments.states import AllocationKind, MatchMethod, PaymentStatus, ReceivableState

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 11, 25)


def receivable(invoice) -> Receivable:
    return Receivable.objects.get(pk=invoice.pk)


def test_issuing_writes_the_receivable(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")

    found = receivable(invoice)

    assert found.total_amount == invoice.total_amount == Decimal("1250.00")
    assert found.open_amount == Decimal("1250.00")
    assert found.state == ReceivableState.UNPAID
    assert found.payment_reference == invoice.payment_reference
    assert found.number == invoice.display_number
    assert found.due_on == invoice.due_on


def test_a_payment_of_the_whole_amount_pays_the_invoice(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")

    payment = payment_register(
        company=company, actor=admin_user, amount="1250.00", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    found = receivable(invoice)
    assert found.state == ReceivableState.PAID
    assert found.open_amount == Decimal("0.00")
    assert found.paid_on == PAID_ON
    assert payment.status == PaymentStatus.ALLOCATED
    assert payment.match == MatchMethod.MANUAL
    assert payment.customer_id == invoice.customer_id
    # One history row: the payment, saying it paid the invoice.
    rows = list(InvoiceEvent.objects.filter(invoice=invoice, kind__startswith="payment").values_list("kind", "params"))
    assert len(rows) == 1
    assert rows[0][0] == "payment_allocated"
    assert rows[0][1]["paid"] is True
    assert not InvoiceEvent.objects.filter(invoice=invoice, kind="invoice_paid").exists()
    with translation.override("en"):
        sentence = describe(InvoiceEvent.objects.get(invoice=invoice, kind="payment_allocated"))
    assert sentence.startswith("Payment of SEK1,250.00 received")
    assert sentence.endswith("Paid in full.")


def test_an_over_payment_is_said_on_the_payments_history_row(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment_settings_save(company=company, is_applying_credit_automatically=False)

    payment_register(
        company=company, actor=admin_user, amount="1300", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    event = InvoiceEvent.objects.get(invoice=invoice, kind="payment_allocated")
    assert event.params["excess"] == "50.00"
    with translation.override("en"):
        assert describe(event).endswith("Over-paid by SEK50.00: the customer's credit balance.")


def test_part_payments_then_the_rest(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")

    payment_register(
        company=company, actor=admin_user, amount="250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )
    assert receivable(invoice).state == ReceivableState.PARTLY_PAID
    assert receivable(invoice).open_amount == Decimal("1000.00")

    payment_register(
        company=company, actor=admin_user, amount="1000", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )
    assert receivable(invoice).state == ReceivableState.PAID


def test_an_over_payment_is_the_customers_credit_and_pays_the_next_invoice(company, admin_user):
    customer = PersonFactory(company=company)
    first = issued_invoice(company, admin_user, "1000", customer=customer)
    second = issued_invoice(company, admin_user, "100", customer=customer)

    payment_register(
        company=company, actor=admin_user, amount="1300", currency="SEK", booked_on=PAID_ON, invoice_id=first.pk
    )

    # 50 over: applied automatically (the default) to the customer's next open invoice.
    assert receivable(first).state == ReceivableState.PAID
    assert receivable(second).state == ReceivableState.PARTLY_PAID
    assert receivable(second).open_amount == Decimal("75.00")
    assert credit_balances(company=company, customer_ids=[customer.pk]) == {}


def test_by_hand_the_over_payment_waits_as_a_credit_balance(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    customer = PersonFactory(company=company)
    first = issued_invoice(company, admin_user, "1000", customer=customer)
    second = issued_invoice(company, admin_user, "100", customer=customer)

    payment_register(
        company=company, actor=admin_user, amount="1300", currency="SEK", booked_on=PAID_ON, invoice_id=first.pk
    )

    assert receivable(first).state == ReceivableState.OVERPAID
    assert receivable(first).open_amount == Decimal("-50.00")
    assert credit_balances(company=company, customer_ids=[customer.pk])[customer.pk] == {"SEK": Decimal("50.00")}

    credit_apply(company=company, actor=admin_user, customer_id=customer.pk)

    assert receivable(first).state == ReceivableState.PAID
    assert receivable(second).open_amount == Decimal("75.00")


def test_a_refund_of_the_credit_balance(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    customer = PersonFactory(company=company)
    first = issued_invoice(company, admin_user, "1000", customer=customer)
    payment_register(
        company=company, actor=admin_user, amount="1300", currency="SEK", booked_on=PAID_ON, invoice_id=first.pk
    )

    with pytest.raises(DomainError):
        credit_refund(
            company=company, actor=admin_user, customer_id=customer.pk, amount="60", currency="SEK", refunded_on=PAID_ON
        )
    credit_refund(
        company=company, actor=admin_user, customer_id=customer.pk, amount="50", currency="SEK", refunded_on=PAID_ON
    )

    assert receivable(first).state == ReceivableState.PAID
    assert credit_balances(company=company, customer_ids=[customer.pk]) == {}


def test_undo_reverses_the_allocation_and_keeps_the_payment(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment = payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    payment_reverse(company=company, actor=admin_user, payment_id=payment.pk, reason="Fel faktura")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REVERSED
    assert payment.reversal_reason == "Fel faktura"
    assert receivable(invoice).state == ReceivableState.UNPAID
    assert receivable(invoice).open_amount == Decimal("1250.00")
    rows = list(Allocation.objects.filter(payment=payment).order_by("pk").values_list("amount", "reversal_of"))
    assert [amount for amount, _reversed in rows] == [Decimal("1250.00"), Decimal("-1250.00")]
    assert rows[1][1] is not None
    with pytest.raises(StateConflict):
        payment_reverse(company=company, actor=admin_user, payment_id=payment.pk)


def test_an_unmatched_payment_allocated_by_hand(company, admin_user):
    first = issued_invoice(company, admin_user, "1000")
    second = issued_invoice(company, admin_user, "200")
    payment = payment_register(company=company, actor=admin_user, amount="1500", currency="SEK", booked_on=PAID_ON)
    assert payment.status == PaymentStatus.UNMATCHED

    with pytest.raises(DomainError) as above:
        payment_allocate(company=company, actor=admin_user, payment_id=payment.pk, allocations=[(first.pk, "1300")])
    assert above.value.code == "above_open"
    assert Allocation.objects.count() == 0

    payment_allocate(
        company=company, actor=admin_user, payment_id=payment.pk, allocations=[(first.pk, "1250"), (second.pk, "250")]
    )

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.ALLOCATED
    assert receivable(first).state == receivable(second).state == ReceivableState.PAID


def test_unallocate_puts_a_payment_back_in_the_queue(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment = payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    payment_unallocate(company=company, actor=admin_user, payment_id=payment.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.UNMATCHED
    assert payment.customer_id is None
    assert receivable(invoice).state == ReceivableState.UNPAID


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [("0", "SEK", "amount"), ("-5", "SEK", "amount"), ("100", "EUR", "currency"), ("1.005", "SEK", "amount")],
)
def test_bad_payments_are_refused_and_nothing_is_written(company, admin_user, amount, currency, code):
    invoice = issued_invoice(company, admin_user, "1000")

    with pytest.raises(DomainError) as refused:
        payment_register(
            company=company,
            actor=admin_user,
            amount=amount,
            currency=currency,
            booked_on=PAID_ON,
            invoice_id=invoice.pk,
        )

    assert code in (refused.value.field or "") or refused.value.code == code
    assert Payment.objects.count() == 0
    assert receivable(invoice).state == ReceivableState.UNPAID


def test_another_companys_invoice_and_reference_are_refused(company, admin_user):
    other = CompanyFactory(org_number="5566778899", bankgiro="")
    theirs = issued_invoice(other, admin_user, "1000")

    with pytest.raises(NotFound):
        payment_register(
            company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=theirs.pk
        )
    with pytest.raises(DomainError) as refused:
        payment_register(
            company=company,
            actor=admin_user,
            amount="1250",
            currency="SEK",
            booked_on=PAID_ON,
            reference=theirs.payment_reference,
        )
    assert refused.value.code == "reference_unknown"
    assert Payment.objects.count() == 0


def test_a_payment_by_reference_finds_its_invoice(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")

    payment = payment_register(
        company=company,
        actor=admin_user,
        amount="1250",
        currency="SEK",
        booked_on=PAID_ON,
        reference=invoice.payment_reference,
    )

    assert payment.match == MatchMethod.OCR
    assert receivable(invoice).state == ReceivableState.PAID


def test_a_late_payment_has_its_days_late(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    late_on = invoice.due_on + dt.timedelta(days=12)

    payment = payment_register(
        company=company,
        actor=admin_user,
        amount="1250",
        currency="SEK",
        booked_on=min(late_on, timezone.localdate()),
        invoice_id=invoice.pk,
    )

    expected = (min(late_on, timezone.localdate()) - invoice.due_on).days
    assert payment.days_late == (expected if expected > 0 else None)
    assert receivable(invoice).days_late == payment.days_late


def test_a_second_payment_of_a_paid_invoice_is_a_double_payment(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    invoice = issued_invoice(company, admin_user, "1000")
    payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    second = payment_register(
        company=company,
        actor=admin_user,
        amount="1250",
        currency="SEK",
        booked_on=PAID_ON,
        reference=invoice.payment_reference,
    )

    assert second.is_double
    assert receivable(invoice).state == ReceivableState.OVERPAID
    assert receivable(invoice).settled_amount == Decimal("2500.00")


def test_a_credit_note_settles_what_it_credits(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")

    credit_note(invoice, admin_user)

    found = receivable(invoice)
    assert found.credited_amount == Decimal("1250.00")
    assert found.open_amount == Decimal("0.00")
    assert found.state == ReceivableState.PAID


def test_a_credit_note_of_a_paid_invoice_makes_a_credit_balance(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    invoice = issued_invoice(company, admin_user, "1000")
    payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )

    credit_note(invoice, admin_user)

    assert receivable(invoice).state == ReceivableState.OVERPAID
    assert credit_balances(company=company, customer_ids=[invoice.customer_id])[invoice.customer_id] == {
        "SEK": Decimal("1250.00")
    }
    assert AllocationKind.PAYMENT in set(Allocation.objects.values_list("kind", flat=True))


def test_a_new_invoice_is_paid_from_the_credit_balance(company, admin_user):
    customer = PersonFactory(company=company)
    first = issued_invoice(company, admin_user, "1000", customer=customer)
    payment_register(
        company=company, actor=admin_user, amount="1500", currency="SEK", booked_on=PAID_ON, invoice_id=first.pk
    )
    assert receivable(first).state == ReceivableState.OVERPAID  # nothing else open yet

    second = issued_invoice(company, admin_user, "100", customer=customer)

    assert receivable(second).state == ReceivableState.PAID
    assert receivable(first).open_amount == Decimal("-125.00")
