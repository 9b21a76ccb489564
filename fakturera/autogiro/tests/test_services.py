"""Mandates, payment orders (once per invoice) and the run's file, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fakturera.autogiro.files import ENCODING
from fakturera.autogiro.models import Mandate, MandateStatus, PaymentOrder, PaymentOrderStatus, Run
from fakturera.autogiro.services import (
    OrderResult,
    autogiro_settings_save,
    mandate_active_for,
    mandate_add,
    mandate_cancel,
    mandates_active_for,
    payment_order_file,
    payment_order_results,
    payment_orders_add,
)
from fakturera.autogiro.tests.factories import AutogiroSettingsFactory, MandateFactory
from fakturera.core.errors import DomainError, StateConflict, ValidationFailed
from fakturera.invoicing.services import credit_note_create
from fakturera.invoicing.tests.factories import ISSUED_ON, credit_note, exchange_rates, issued_invoice
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_a_bank_account_mandate_is_added_with_the_customer_number_as_payer_number(company, admin_user):
    customer = PersonFactory(company=company, personnummer="19811218-9876")

    mandate = mandate_add(
        company=company,
        customer=customer,
        actor=admin_user,
        valid_from=ISSUED_ON,
        clearing_number="8327-9",
        account_number="994 333 447",
        holder_id_number="811218-9876",
    )

    assert (mandate.payer_number, mandate.clearing_number, mandate.account_number) == (
        str(customer.number),
        "83279",
        "994333447",
    )
    assert mandate.holder_id_number == "19811218-9876"
    assert mandate_active_for(customer)


def test_a_bankgiro_mandate_uses_the_bankgiro_as_payer_number(company, admin_user):
    customer = OrganisationFactory(company=company)

    mandate = mandate_add(
        company=company, customer=customer, actor=admin_user, valid_from=ISSUED_ON, payer_bankgiro="5050-1055"
    )

    assert (mandate.payer_number, mandate.payer_bankgiro) == ("50501055", "5050-1055")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"clearing_number": "12", "account_number": "1234"}, "clearing_number"),
        ({"clearing_number": "8327", "account_number": "x"}, "account_number"),
        ({"payer_bankgiro": "5050-1056"}, "payer_bankgiro"),
        ({"payer_bankgiro": "5050-1055", "payer_number": "123"}, "payer_number"),
        ({"clearing_number": "8327", "account_number": "1234", "payer_number": "1" * 17}, "payer_number"),
        (
            {"clearing_number": "8327", "account_number": "1234", "holder_id_number": "19811218-9877"},
            "holder_id_number",
        ),
    ],
)
def test_bad_mandates_are_refused_and_nothing_is_written(company, admin_user, fields, field):
    customer = PersonFactory(company=company)

    with pytest.raises(ValidationFailed) as caught:
        mandate_add(company=company, customer=customer, actor=admin_user, valid_from=ISSUED_ON, **fields)

    assert field in caught.value.errors
    assert not Mandate.objects.exists()


def test_one_active_mandate_per_customer_and_per_payer_number(company, admin_user):
    first = MandateFactory(company=company, payer_number="555")
    other = PersonFactory(company=company)

    with pytest.raises(StateConflict):
        mandate_add(company=company, customer=first.customer, actor=admin_user, valid_from=ISSUED_ON,
                    clearing_number="8327", account_number="1234")  # fmt: skip
    with pytest.raises(DomainError, match="already used"):
        mandate_add(company=company, customer=other, actor=admin_user, valid_from=ISSUED_ON,
                    payer_number="555", clearing_number="8327", account_number="1234")  # fmt: skip

    mandate_cancel(mandate=first, cancelled_on=ISSUED_ON)
    again = mandate_add(company=company, customer=other, actor=admin_user, valid_from=ISSUED_ON,
                        payer_number="555", clearing_number="8327", account_number="1234")  # fmt: skip
    assert again.is_active
    assert not mandate_active_for(first.customer)
    with pytest.raises(StateConflict):
        mandate_cancel(mandate=first)


def test_the_batch_question_answers_for_many_customers_in_one_query(company, django_assert_num_queries):
    with_mandate = MandateFactory.create_batch(3, company=company)
    cancelled = MandateFactory(company=company, status=MandateStatus.CANCELLED, cancelled_on=ISSUED_ON)
    without = PersonFactory(company=company)
    ids = [m.customer_id for m in with_mandate] + [cancelled.customer_id, without.pk]

    with django_assert_num_queries(1):
        active = mandates_active_for(company=company, customer_ids=ids)

    assert active == {m.customer_id for m in with_mandate}


def test_payment_orders_are_added_once_per_invoice(company, admin_user):
    mandate = MandateFactory(company=company)
    invoice = issued_invoice(company, admin_user, customer=mandate.customer)

    [order] = payment_orders_add(invoices=[invoice])
    [again] = payment_orders_add(invoices=[invoice])

    assert again.pk == order.pk
    assert PaymentOrder.objects.count() == 1
    assert order.amount == Decimal("1000.00")
    assert order.due_on == invoice.due_on
    assert order.reference == invoice.payment_reference
    assert order.payer_number == mandate.payer_number


def test_invoices_that_cannot_be_collected_are_refused_all_together(company, admin_user):
    mandate = MandateFactory(company=company)
    good = issued_invoice(company, admin_user, customer=mandate.customer)
    no_mandate = issued_invoice(company, admin_user, customer=PersonFactory(company=company))
    exchange_rates(company)
    in_euro = issued_invoice(company, admin_user, customer=mandate.customer, currency="EUR")
    note = credit_note(issued_invoice(company, admin_user, customer=mandate.customer), admin_user)

    with pytest.raises(ValidationFailed) as caught:
        payment_orders_add(invoices=[good, no_mandate, in_euro, note])

    messages = " ".join(caught.value.errors["__all__"])
    assert "no active Autogiro mandate" in messages
    assert "SEK" in messages
    assert "not an issued invoice" in messages
    assert not PaymentOrder.objects.exists()


def test_the_run_file_holds_the_waiting_orders_and_is_the_same_on_every_download(company, admin_user):
    AutogiroSettingsFactory(company=company, customer_number="471117", bankgiro="991-2346")
    first, second = MandateFactory(company=company, payer_number="1001"), MandateFactory(company=company)
    early = issued_invoice(company, admin_user, "100", customer=first.customer)
    late = issued_invoice(company, admin_user, "200.40", customer=second.customer)
    payment_orders_add(invoices=[early])
    payment_orders_add(invoices=[late])
    PaymentOrder.objects.filter(invoice=early).update(due_on=dt.date(2026, 11, 25))

    content = payment_order_file(company, dt.date(2026, 11, 27))

    lines = content.decode(ENCODING).split("\r\n")
    assert lines[0] == f"0120261127AUTOGIRO{'':44}4711170009912346  "
    # Due before the run: collected as soon as possible; due later: on its due date.
    assert lines[1][:43] == "82GENAST  0    0000000000001001000000012500"
    assert lines[2][:43] == f"82{late.due_on:%Y%m%d}0    {second.payer_number:0>16}000000025050"
    assert lines[2][53:69].rstrip() == late.payment_reference
    assert lines[3:] == [""]
    assert set(PaymentOrder.objects.values_list("status", flat=True)) == {PaymentOrderStatus.FILED}
    assert payment_order_file(company, dt.date(2026, 11, 27)) == content
    run = Run.objects.get()
    assert (run.order_count, run.total_amount) == (2, Decimal("375.50"))


def test_a_run_needs_settings_and_waiting_orders(company, admin_user):
    with pytest.raises(DomainError, match="settings"):
        payment_order_file(company, ISSUED_ON)
    autogiro_settings_save(company=company, customer_number="4711", bankgiro="9912346")

    with pytest.raises(DomainError, match="No payment orders"):
        payment_order_file(company, ISSUED_ON)
    assert not Run.objects.exists()


def test_orders_of_a_cancelled_mandate_stay_out_of_the_file(company, admin_user):
    AutogiroSettingsFactory(company=company)
    kept, dropped = MandateFactory(company=company), MandateFactory(company=company)
    payment_orders_add(invoices=[issued_invoice(company, admin_user, customer=kept.customer)])
    payment_orders_add(invoices=[issued_invoice(company, admin_user, customer=dropped.customer)])
    mandate_cancel(mandate=dropped)

    content = payment_order_file(company, ISSUED_ON)

    assert content.count(b"\r\n82") == 1
    assert PaymentOrder.objects.get(mandate=dropped).status == PaymentOrderStatus.WAITING


def test_settings_are_checked(company):
    with pytest.raises(ValidationFailed) as caught:
        autogiro_settings_save(company=company, customer_number="1234567", bankgiro="991-2345")

    assert set(caught.value.errors) == {"customer_number", "bankgiro"}
    saved = autogiro_settings_save(company=company, customer_number="4711", bankgiro="9912346")
    assert (saved.customer_number, saved.bankgiro) == ("004711", "991-2346")


def test_a_credit_note_lowers_the_waiting_order_and_a_full_credit_withdraws_it(company, admin_user):
    AutogiroSettingsFactory(company=company)
    partly, fully = MandateFactory(company=company), MandateFactory(company=company)
    kept = issued_invoice(company, admin_user, "800", customer=partly.customer)
    gone = issued_invoice(company, admin_user, "800", customer=fully.customer)
    payment_orders_add(invoices=[kept, gone])
    [line] = kept.lines.all()

    credit_note_create(invoice=kept, actor=admin_user, quantities={line.pk: "0.25"})  # 250.00 of 1,000.00
    credit_note_create(invoice=gone, actor=admin_user)

    assert PaymentOrder.objects.get(invoice=kept).amount == Decimal("750.00")
    assert not PaymentOrder.objects.filter(invoice=gone).exists()
    content = payment_order_file(company, ISSUED_ON)
    assert content.count(b"\r\n82") == 1
    assert b"000000075000" in content


def _filed(company, user, *payer_numbers):
    AutogiroSettingsFactory(company=company, customer_number="471117", bankgiro="991-2346")
    invoices = []
    for payer in payer_numbers:
        mandate = MandateFactory(company=company, payer_number=payer)
        invoices.append(issued_invoice(company, user, "100", customer=mandate.customer))
    payment_orders_add(invoices=invoices)
    payment_order_file(company, dt.date(2026, 11, 27))
    return list(PaymentOrder.objects.filter(invoice__in=invoices).order_by("pk"))


def test_reported_results_move_the_orders_once(company, admin_user):
    collected, refused, stopped, retried = _filed(company, admin_user, "0001001", "1002", "1003", "1004")
    on = dt.date(2026, 12, 1)

    found = payment_order_results(
        company=company,
        results=[
            OrderResult(PaymentOrderStatus.APPROVED, "1001", Decimal("125.00"), collected.reference, "0", on),
            OrderResult(PaymentOrderStatus.REJECTED, "1002", Decimal("125.00"), "", "01", None),
            OrderResult(PaymentOrderStatus.STOPPED, "1003", Decimal("125.00"), stopped.reference, "1", on),
            OrderResult(PaymentOrderStatus.STOPPED, "1004", Decimal("125.00"), retried.reference, "9", on),
            OrderResult(PaymentOrderStatus.APPROVED, "9999", Decimal("125.00"), "", "0", on),
        ],
    )

    assert [f.order_id if f else None for f in found] == [collected.pk, refused.pk, stopped.pk, retried.pk, None]
    assert all(f.moved for f in found[:4])
    statuses = dict(PaymentOrder.objects.values_list("pk", "status"))
    assert [statuses[o.pk] for o in (collected, refused, stopped, retried)] == [
        "approved",
        "rejected",
        "stopped",
        "stopped",
    ]
    refused.refresh_from_db()
    assert (refused.result_code, refused.result_reason) == ("01", "no mandate for the payer number")

    # Read again, nothing moves; a renewed funds check (status 9) can still be collected.
    again = payment_order_results(
        company=company,
        results=[
            OrderResult(PaymentOrderStatus.REJECTED, "1002", Decimal("125.00"), "", "01", None),
            OrderResult(PaymentOrderStatus.APPROVED, "1004", Decimal("125.00"), retried.reference, "0", on),
            OrderResult(PaymentOrderStatus.REJECTED, "1001", Decimal("125.00"), collected.reference, "13", on),
        ],
    )

    assert [(f.order_id, f.moved) for f in again] == [(refused.pk, False), (retried.pk, True), (collected.pk, False)]
    statuses = dict(PaymentOrder.objects.values_list("pk", "status"))
    assert [statuses[o.pk] for o in (collected, refused, retried)] == ["approved", "rejected", "approved"]
