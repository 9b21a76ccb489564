"""Bankgirot's Autogiro reports imported: every payment specification and rejected-orders sample
(new and old layout) into a company with the mandates and filed payment orders the sample
names; approved collections paid, rejected and stopped ones back among the unpaid with the
reason in their history, and the same report read twice changing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from fakturera.autogiro.files import Collection
from fakturera.autogiro.models import PaymentOrder, PaymentOrderStatus, Run
from fakturera.autogiro.tests.factories import AutogiroSettingsFactory, MandateFactory
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import issued_invoice, line
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.payments import history
from fakturera.payments.files import AutogiroReader, FileRefused
from fakturera.payments.files.autogiro import Outcome
from fakturera.payments.importing import AccountRefused, payments_import
from fakturera.payments.models import Payment, PaymentImport, PaymentKey, Receivable
from fakturera.payments.states import MatchMethod, PaymentMethod, PaymentSource, PaymentStatus, ReceivableState
from fakturera.payments.testing import autogiro_payment_specification
from fakturera.payments.tests.samples import NEW_LAYOUT, OLD_LAYOUT, needs_formats, sample

pytestmark = pytest.mark.django_db

REPORTS = [
    NEW_LAYOUT / "autogiro_exempelfil_bet-spec-o-tk_sv.txt",
    NEW_LAYOUT / "autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt",
    OLD_LAYOUT
    / (
        "autogiro_gl_betalningsspec-stoppadebetalningar-tackningskontroll_fran-bankgirot-medgivanden-"
        "bankgironummer_exempelfil_sv.txt"
    ),
    OLD_LAYOUT / "autogiro_gl_avvisadebetaln_fran-bankgirot-medgivanden-bankgironummer_exempelfil_sv.txt",
    OLD_LAYOUT / "autogiro_gl_exempelfil_avvisadebetalningar_fran-bankgirot-medgivanden-kontonummer_exemeplfil_sv.txt",
]


def filed_orders(company, user, results):
    """A customer, mandate, issued invoice and filed payment order for each collection (TK82) of
    the report, with its payer number, amount and reference. Returns {line: order}."""
    run = Run.objects.create(company=company, run_on=dt.date(2026, 11, 1), content=b"", total_amount=Decimal("0"))
    mandates = {}
    orders = {}
    for result in results:
        if result.order_type != "82" or result.outcome is Outcome.REFUNDED:
            continue
        if result.payer_number not in mandates:
            customer = PersonFactory(company=company)
            mandates[result.payer_number] = MandateFactory(
                company=company, customer=customer, payer_number=result.payer_number
            )
        mandate = mandates[result.payer_number]
        invoice = issued_invoice(
            company,
            user,
            customer=mandate.customer,
            lines=[line("Ridlektion", str(result.amount), vat_category="E", vat_rate="0")],
        )
        assert invoice.total_amount == result.amount
        orders[result.line] = PaymentOrder.objects.create(
            company=company,
            invoice=invoice,
            mandate=mandate,
            payer_number=mandate.payer_number,
            amount=result.amount,
            due_on=invoice.due_on,
            reference=result.reference,
            status=PaymentOrderStatus.FILED,
            run=run,
        )
    return orders


@needs_formats
@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name[:60])
def test_every_report_moves_its_orders_and_books_the_collected_once(path, company, admin_user):
    path = sample(path)
    reader = AutogiroReader(path)
    results = list(reader)
    orders = filed_orders(company, admin_user, results)
    assert orders

    record = payments_import(source=path, filename=path.name, actor=admin_user)

    assert record.company == company
    assert record.format == str(reader.summary.format)
    assert record.transaction_count == len(results) == record.booked_count + record.skipped_count + record.ignored_count
    approved = [r for r in results if r.outcome is Outcome.APPROVED and r.order_type == "82"]
    assert record.booked_count == record.matched_count == len(approved)
    assert record.totals == ({"SEK": str(sum(r.amount for r in approved))} if approved else {})
    for result in results:
        order = orders.get(result.line)
        if order is None:
            continue
        order.refresh_from_db()
        receivable = Receivable.objects.get(pk=order.invoice_id)
        events = list(InvoiceEvent.objects.filter(invoice_id=order.invoice_id, kind=history.DIRECT_DEBIT_REJECTED))
        if result.outcome is Outcome.APPROVED:
            payment = Payment.objects.get(payment_import=record, allocations__invoice_id=order.invoice_id)
            assert (payment.amount, payment.method, payment.source, payment.match, payment.status) == (
                result.amount,
                PaymentMethod.DIRECT_DEBIT,
                PaymentSource.AUTOGIRO,
                MatchMethod.AUTOGIRO,
                PaymentStatus.ALLOCATED,
            )
            assert payment.booked_on == result.payment_date
            assert payment.match_details["payment_order_id"] == order.pk
            assert order.status == PaymentOrderStatus.APPROVED
            assert receivable.state == ReceivableState.PAID
            assert events == []
        else:
            expected = PaymentOrderStatus.STOPPED if result.outcome is Outcome.STOPPED else PaymentOrderStatus.REJECTED
            assert (order.status, order.result_code, order.result_on) == (expected, result.code, result.payment_date)
            assert receivable.state == ReceivableState.UNPAID
            assert not Payment.objects.filter(allocations__invoice_id=order.invoice_id).exists()
            [event] = events
            assert event.params["code"] == result.code
            assert event.params["outcome"] == expected
            assert order.result_reason in describe(event)
    assert Payment.objects.filter(company=company).count() == len(approved)

    again = payments_import(source=path, filename=path.name, actor=admin_user)

    assert again.booked_count == 0
    assert again.skipped_count == record.booked_count + record.skipped_count + (
        len([r for r in results if r.order_type == "82" and r.outcome in (Outcome.STOPPED, Outcome.REJECTED)])
    )
    assert {row["reason"] for row in again.skipped} <= {"already_booked", "already_reported", "payout", "refund"}
    assert Payment.objects.filter(company=company).count() == len(approved)
    assert InvoiceEvent.objects.filter(invoice__company=company, kind=history.DIRECT_DEBIT_REJECTED).count() == len(
        [r for r in results if r.order_type == "82" and r.outcome in (Outcome.STOPPED, Outcome.REJECTED)]
    )


@needs_formats
def test_the_new_payment_specification_in_detail(company, admin_user):
    path = sample(REPORTS[0])
    results = list(AutogiroReader(path))
    orders = filed_orders(company, admin_user, results)
    # Payer 105's order is not in this system: its collection is booked all the same, unmatched.
    unknown = orders.pop(8)
    PaymentOrder.objects.filter(pk=unknown.pk).update(payer_number="999")

    record = payments_import(source=path, filename=path.name)

    assert record.booked_count == 5
    assert record.matched_count == 4
    assert record.unmatched_count == 1
    assert {row["reason"] for row in record.skipped} == {"stopped", "payout", "refund"}
    assert [row["code"] for row in record.skipped if row["reason"] == "stopped"] == ["1", "2", "9"]
    assert Payment.objects.get(payment_import=record, payer_account="105").status == PaymentStatus.UNMATCHED
    stopped = orders[9]
    stopped.refresh_from_db()
    [event] = InvoiceEvent.objects.filter(invoice_id=stopped.invoice_id, kind=history.DIRECT_DEBIT_REJECTED)
    assert describe(event) == "Direct debit of SEK3,000.00 not collected: insufficient funds"
    with translation.override("sv"):
        assert "täckning saknades" in describe(event)
    assert set(PaymentKey.objects.filter(company=company).values_list("key", flat=True)) >= {
        "autogiro:991-2346:82:101:2009-11-10:3000.00:000000RIDLEKTION:00001:1"
    }


@needs_formats
def test_a_stopped_order_is_collected_by_a_later_report(company, admin_user):
    """Status 9 (renewed funds check): Bankgirot tries again, and the next report approves it."""
    path = sample(REPORTS[0])
    orders = filed_orders(company, admin_user, list(AutogiroReader(path)))
    payments_import(source=path)
    renewed = orders[11]
    renewed.refresh_from_db()
    assert renewed.status == PaymentOrderStatus.STOPPED
    # The next report: the same collection, approved on the next try.
    report = autogiro_payment_specification(
        [(Collection("2222101", Decimal("3000.00"), dt.date(2009, 11, 11), "000000RIDLEKTION"), "0")],
        written_at=dt.datetime(2009, 11, 11, 19, 0),
        paid_on=dt.date(2009, 11, 11),
        serial="00002",
    )

    record = payments_import(source=report)

    assert record.booked_count == record.matched_count == 1
    renewed.refresh_from_db()
    assert renewed.status == PaymentOrderStatus.APPROVED
    assert Receivable.objects.get(pk=renewed.invoice_id).state == ReceivableState.PAID


@needs_formats
def test_the_company_is_found_by_its_autogiro_bankgiro(company, admin_user):
    path = sample(REPORTS[3])
    company.bankgiro = "5050-1055"
    company.save()
    AutogiroSettingsFactory(company=company, bankgiro="991-2346")
    orders = filed_orders(company, admin_user, list(AutogiroReader(path)))

    record = payments_import(source=path, company=company)

    assert record.company == company
    assert set(
        PaymentOrder.objects.filter(pk__in=[o.pk for o in orders.values()]).values_list("status", flat=True)
    ) == {PaymentOrderStatus.REJECTED}


@needs_formats
def test_a_report_for_another_company_or_none_is_refused_and_nothing_is_written(company):
    path = sample(REPORTS[0])
    company.bankgiro = "5050-1055"
    company.save()
    with pytest.raises(AccountRefused, match="belongs to no company"):
        payments_import(source=path)
    other = CompanyFactory(org_number="5566778899", bankgiro="991-2346")
    assert other.pk != company.pk
    with pytest.raises(AccountRefused, match="another company"):
        payments_import(source=path, company=company)
    assert PaymentImport.objects.count() == Payment.objects.count() == 0


@needs_formats
def test_a_report_with_wrong_totals_is_refused_whole(company, admin_user):
    path = sample(REPORTS[0])
    orders = filed_orders(company, admin_user, list(AutogiroReader(path)))
    broken = path.read_bytes().replace(
        b"00000000000001070000003000000009912346000000RIDLEKTION          2",
        b"00000000000001070000003000000009912346000000RIDLEKTION          0",
    )
    with pytest.raises(FileRefused):
        payments_import(source=broken)
    assert PaymentImport.objects.count() == Payment.objects.count() == 0
    assert set(
        PaymentOrder.objects.filter(pk__in=[o.pk for o in orders.values()]).values_list("status", flat=True)
    ) == {PaymentOrderStatus.FILED}


@needs_formats
def test_the_autogiro_bgmax_file_imports_through_the_bank_file_path(company):
    path = sample(NEW_LAYOUT / "autogiro_exempelfil_bg-max-forma_sv.txt")
    company.bankgiro = "991-2346"
    company.save()

    record = payments_import(source=path, filename=path.name)

    assert record.format == "bgmax"
    assert record.booked_count == 4
    assert set(Payment.objects.filter(payment_import=record).values_list("method", flat=True)) == {
        PaymentMethod.DIRECT_DEBIT
    }
    assert payments_import(source=path).skipped_count == 4


@needs_formats
def test_the_command_imports_a_report(company, admin_user, capsys):
    path = sample(REPORTS[1])
    filed_orders(company, admin_user, list(AutogiroReader(path)))

    call_command("import-payments", str(path), "--company", company.org_number)

    out = capsys.readouterr().out
    assert "autogiro.rejected new" in out
    assert "3 payment orders rejected or stopped" in out


def _report_of(company, user, n, serial):
    """n collections (every other one stopped) of n filed orders, as Bankgirot would report them."""
    run = Run.objects.create(company=company, run_on=dt.date(2026, 11, 20 + n % 5), content=b"", total_amount=0)
    collections = []
    for i in range(n):
        mandate = MandateFactory(company=company)
        invoice = issued_invoice(company, user, "100", customer=mandate.customer)
        PaymentOrder.objects.create(
            company=company,
            invoice=invoice,
            mandate=mandate,
            payer_number=mandate.payer_number,
            amount=invoice.total_amount,
            due_on=invoice.due_on,
            reference=invoice.payment_reference,
            status=PaymentOrderStatus.FILED,
            run=run,
        )
        collection = Collection(mandate.payer_number, invoice.total_amount, None, invoice.payment_reference)
        collections.append((collection, "0" if i % 2 == 0 else "1"))
    return autogiro_payment_specification(
        collections, written_at=dt.datetime(2026, 12, 1, 6, 0), paid_on=dt.date(2026, 12, 1), serial=serial
    )


def test_a_report_is_imported_in_a_fixed_number_of_statements(company, admin_user):
    small = _report_of(company, admin_user, 4, "00001")
    large = _report_of(company, admin_user, 16, "00002")
    with CaptureQueriesContext(connection) as few:
        payments_import(source=small)
    with CaptureQueriesContext(connection) as many:
        record = payments_import(source=large)

    assert record.booked_count == 8
    assert record.ignored_count == 8
    assert len(many.captured_queries) == len(few.captured_queries)
