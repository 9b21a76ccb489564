"""Interest that is not lost (issue 15): an invoice paid after its due date owes interest day by
day at the rate in force each day, on what was unpaid each day, and the fees its reminders
charged; a proposal appears (or is issued at once, or never), once per invoice whatever the
events; issued, it is a real invoice, numbered, booked to 8313 and 3990, valid Peppol, never
charged interest or fees itself (DESIGN.md, "Interest invoices")."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from fakturera.bookkeeping.models import Voucher
from fakturera.collections import law
from fakturera.collections.interest_invoices import (
    interest_charges_dismiss,
    interest_charges_record,
    interest_invoices_issue,
)
from fakturera.collections.models import InterestCharge, Reminder, StatutoryRate
from fakturera.collections.run import reminders_assess
from fakturera.collections.states import InterestChargeState, ReminderState
from fakturera.collections.tasks import interest_invoices_issue_automatically
from fakturera.collections.tests.factories import paid_late, settings_saved
from fakturera.core.events import publish
from fakturera.documents.data import document_data
from fakturera.documents.pdf.render import render_pdfs
from fakturera.documents.ubl.build import build_ubl
from fakturera.documents.ubl.validator import validate_ubl, validator_path
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice, InvoiceEvent
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import OrganisationFactory
from fakturera.payments.events import INVOICE_PAID
from fakturera.payments.services import payment_register

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 7, 10)
D = Decimal


@pytest.fixture(autouse=True)
def july_10th():
    # A payment ten days after the first of July: the interest spans two rate periods.
    with time_machine.travel(dt.datetime(2026, 7, 10, 10, tzinfo=dt.UTC)):
        yield


@pytest.fixture(autouse=True)
def rates(db):
    """Sweden's reference rate (made up): 2 % in the spring of 2026, 4 % from 1 July, so late
    interest is 10 % and then 12 % (räntelagen 6 §: + 8 points)."""
    for valid_from, value in (
        (dt.date(2025, 7, 1), "2.00"),
        (dt.date(2026, 1, 1), "2.00"),
        (dt.date(2026, 7, 1), "4.00"),
    ):
        StatutoryRate.objects.update_or_create(
            country="SE", kind="reference", valid_from=valid_from, defaults={"value": D(value), "source": "test"}
        )


def settings(company, **changes):
    """The shared collection settings, interest invoices proposed from 10."""
    settings_saved(company, **{"interest_invoice_minimum_amount": "10", **changes})


# --- the law, pure -----------------------------------------------------------------------------------

RATES = [
    law.RatePeriod(dt.date(2026, 1, 1), dt.date(2026, 6, 30), D("10")),
    law.RatePeriod(dt.date(2026, 7, 1), dt.date(2026, 12, 31), D("12")),
]


def test_interest_runs_on_what_is_unpaid_each_day_at_the_rate_of_each_day():
    spans = law.interest_until_paid(
        owed=D("10000.00"),
        due_on=dt.date(2026, 6, 20),
        parts=[(dt.date(2026, 7, 10), D("6000.00")), (dt.date(2026, 6, 25), D("4000.00"))],
        rates=RATES,
        currency="SEK",
    )

    assert [(s.from_on, s.to_on, s.days, s.principal, s.percent, s.amount) for s in spans] == [
        # 10,000 for 5 days at 10 % (the day after the due date to the first payment's day).
        (dt.date(2026, 6, 21), dt.date(2026, 6, 25), 5, D("10000.00"), D("10"), D("13.70")),
        # The 6,000 left: to the end of June at 10 %, then at 12 % until paid.
        (dt.date(2026, 6, 26), dt.date(2026, 6, 30), 5, D("6000.00"), D("10"), D("8.22")),
        (dt.date(2026, 7, 1), dt.date(2026, 7, 10), 10, D("6000.00"), D("12"), D("19.73")),
    ]


def test_money_paid_by_the_due_date_bears_no_interest_and_a_missing_rate_is_refused():
    spans = law.interest_until_paid(
        owed=D("1000.00"),
        due_on=dt.date(2026, 6, 20),
        parts=[(dt.date(2026, 6, 20), D("1000.00"))],
        rates=RATES,
        currency="SEK",
    )
    assert spans == []
    with pytest.raises(law.RateMissing):
        law.interest_until_paid(
            owed=D("1000.00"),
            due_on=dt.date(2026, 12, 20),
            parts=[(dt.date(2027, 1, 5), D("1000.00"))],
            rates=RATES,
            currency="SEK",
        )


# --- recorded when paid ----------------------------------------------------------------------------------


def test_an_invoice_paid_late_gets_one_proposal_with_its_interest_and_fees(company, admin_user):
    settings(company)
    invoice = overdue_invoice(company, admin_user, "8000.00", days_overdue=20)  # due 20 June, 10,000 with VAT
    Reminder.objects.create(
        company=company,
        invoice=invoice,
        customer=invoice.customer,
        level=1,
        state=ReminderState.SENT,
        assessed_on=dt.date(2026, 7, 1),
        queued_at=dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC),
        currency="SEK",
        open_amount=D("10000.00"),
        fee_amount=D("60.00"),
        fee_kind=law.FeeKind.REMINDER_FEE,
    )

    payment_register(
        company=company, actor=admin_user, amount="10000.00", currency="SEK", booked_on=TODAY, invoice_id=invoice.pk
    )

    charge = InterestCharge.objects.get(invoice=invoice)
    assert charge.state == InterestChargeState.PROPOSED
    assert (charge.due_on, charge.paid_on, charge.days_late) == (dt.date(2026, 6, 20), TODAY, 20)
    # 10 days at 10 % (21-30 June) and 10 days at 12 % (1-10 July) on 10,000.
    assert [(p["from"], p["to"], p["rate"], p["amount"]) for p in charge.interest_periods] == [
        ("2026-06-21", "2026-06-30", "10.00", "27.40"),
        ("2026-07-01", "2026-07-10", "12.00", "32.88"),
    ]
    assert (charge.interest_amount, charge.fee_amount) == (D("60.28"), D("60.00"))
    [entry] = InvoiceEvent.objects.filter(invoice=invoice, kind="interest_invoice_proposed")
    assert describe(entry) == "Paid late: an interest invoice is proposed (interest 60.28 SEK, fees 60.00 SEK)."


def test_payment_in_parts_charges_interest_on_what_was_left_each_day(company, admin_user):
    settings(company)
    invoice = paid_late(
        company,
        admin_user,
        parts=[(dt.date(2026, 6, 25), "4000.00"), (TODAY, "6000.00")],
    )

    charge = InterestCharge.objects.get(invoice=invoice)
    assert [(p["principal"], p["days"], p["amount"]) for p in charge.interest_periods] == [
        ("10000.00", 5, "13.70"),
        ("6000.00", 5, "8.22"),
        ("6000.00", 10, "19.73"),
    ]
    assert charge.interest_amount == D("41.65")


def test_below_the_minimum_nothing_is_proposed_but_it_is_not_weighed_again(company, admin_user):
    settings(company, interest_invoice_minimum_amount="100")
    invoice = paid_late(company, admin_user)

    charge = InterestCharge.objects.get(invoice=invoice)
    assert (charge.state, charge.interest_amount) == (InterestChargeState.BELOW_MINIMUM, D("60.28"))
    assert interest_charges_record(company_id=company.pk, invoice_ids=[invoice.pk]) == []
    assert InterestCharge.objects.filter(invoice=invoice).count() == 1


def test_never_records_nothing_and_on_time_owes_nothing(company, admin_user):
    settings(company, interest_invoice_mode="never")
    late = paid_late(company, admin_user)
    settings(company)
    on_time = overdue_invoice(company, admin_user, "8000.00", days_overdue=0)
    payment_register(
        company=company, actor=admin_user, amount="10000.00", currency="SEK", booked_on=TODAY, invoice_id=on_time.pk
    )

    assert not InterestCharge.objects.filter(invoice__in=[late, on_time]).exists()


def test_the_event_twice_proposes_once(company, admin_user):
    settings(company)
    invoice = paid_late(company, admin_user)

    publish(INVOICE_PAID, company_id=company.pk, invoice_ids=[invoice.pk])
    publish(INVOICE_PAID, company_id=company.pk, invoice_ids=[invoice.pk])

    assert InterestCharge.objects.filter(invoice=invoice).count() == 1
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="interest_invoice_proposed").count() == 1


def test_automatic_mode_issues_in_a_background_task(company, admin_user, django_capture_on_commit_callbacks):
    settings(company, interest_invoice_mode="issue")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice = paid_late(company, admin_user)
        charge = InterestCharge.objects.get(invoice=invoice)
        # Not issued in the payments' transaction: queued for after it.
        assert charge.state == InterestChargeState.PROPOSED

    assert callbacks  # the task, run when the payment committed
    charge.refresh_from_db()
    assert charge.state == InterestChargeState.ISSUED
    interest_invoices_issue_automatically.func(company.pk, [charge.pk])  # run again: issues nothing
    assert Invoice.objects.filter(interest_charge=charge).count() == 1
    assert Invoice.objects.filter(company=company).count() == 2


# --- issued, dismissed -------------------------------------------------------------------------------


def test_issuing_makes_a_numbered_invoice_booked_to_interest_and_fees(company, admin_user):
    settings(company)
    invoice = overdue_invoice(company, admin_user, "8000.00", days_overdue=20)
    Reminder.objects.create(
        company=company,
        invoice=invoice,
        customer=invoice.customer,
        level=1,
        state=ReminderState.SENT,
        assessed_on=dt.date(2026, 7, 1),
        queued_at=dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC),
        currency="SEK",
        open_amount=D("10000.00"),
        fee_amount=D("60.00"),
        fee_kind=law.FeeKind.REMINDER_FEE,
    )
    payment_register(
        company=company, actor=admin_user, amount="10000.00", currency="SEK", booked_on=TODAY, invoice_id=invoice.pk
    )
    charge = InterestCharge.objects.get(invoice=invoice)

    result = interest_invoices_issue(company=company, actor=admin_user, charge_ids=[charge.pk])

    charge.refresh_from_db()
    interest_invoice = Invoice.objects.get(pk=charge.charge_invoice_id)
    assert result.issued == {charge.pk: interest_invoice.display_number}
    assert interest_invoice.status == "issued"
    assert interest_invoice.number == invoice.number + 1  # the company's one series
    assert interest_invoice.customer_id == invoice.customer_id
    assert interest_invoice.payment_reference
    assert interest_invoice.payment_reference != invoice.payment_reference
    lines = list(interest_invoice.lines.order_by("position"))
    # In the invoice's language (the customer's: Swedish), one line per rate period and per fee.
    number = invoice.display_number
    assert [
        (line.description.replace("\xa0", " "), line.net_amount, line.vat_category, line.account_code) for line in lines
    ] == [
        (
            f"Dröjsmålsränta på faktura {number}, 10 dagar från 2026-06-21 till 2026-06-30 med 10,00 % på 10 000,00 kr",
            D("27.40"),
            "O",
            "8313",
        ),
        (
            f"Dröjsmålsränta på faktura {number}, 10 dagar från 2026-07-01 till 2026-07-10 med 12,00 % på 10 000,00 kr",
            D("32.88"),
            "O",
            "8313",
        ),
        ("Påminnelseavgift, påminnelse 2026-07-01", D("60.00"), "O", "3990"),
    ]
    assert (interest_invoice.vat_amount, interest_invoice.net_amount) == (D("0.00"), D("120.28"))
    voucher = Voucher.objects.get(company=company, source_kind="invoice", source_id=interest_invoice.pk)
    booked = {row.account: row.amount for row in voucher.lines.all()}
    assert booked["8313"] == D("-60.28")
    assert booked["3990"] == D("-60.00")
    issued_entry = InvoiceEvent.objects.get(invoice=invoice, kind="interest_invoice_issued")
    assert describe(issued_entry) == f"Interest invoice {interest_invoice.display_number} issued for the late payment."

    # PDF like any invoice, in the customer's language (Swedish).
    [pdf] = render_pdfs([document_data(interest_invoice)], template="standard")
    text = " ".join(page.extract_text().replace("\u00a0", " ") for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Dröjsmålsränta på faktura {invoice.display_number}" in " ".join(text.split())
    assert interest_invoice.payment_reference in text


def test_an_interest_invoice_is_never_charged_interest_or_fees(company, admin_user):
    settings(company)
    invoice = paid_late(company, admin_user, days_late=60, net="80000.00")
    charge = InterestCharge.objects.get(invoice=invoice)
    result = interest_invoices_issue(company=company, actor=admin_user, charge_ids=[charge.pk])
    [interest_invoice_id] = result.invoice_ids

    # Thirty days after its own due date, unpaid: reminded, but without fee or interest.
    later = TODAY + dt.timedelta(days=60)
    StatutoryRate.objects.update_or_create(
        country="SE", kind="reference", valid_from=dt.date(2027, 1, 1), defaults={"value": D("4"), "source": "t"}
    )
    assessment = reminders_assess(company=company, on=later, invoice_ids=[interest_invoice_id])
    [due] = assessment.due
    assert (due.fee.amount, due.interest) == (D("0.00"), ())

    # Paid late, it owes no interest in turn.
    with time_machine.travel(dt.datetime.combine(later, dt.time(10), tzinfo=dt.UTC)):
        total = Invoice.objects.get(pk=interest_invoice_id).total_amount
        payment_register(
            company=company,
            actor=admin_user,
            amount=str(total),
            currency="SEK",
            booked_on=later,
            invoice_id=interest_invoice_id,
        )
    assert not InterestCharge.objects.filter(invoice_id=interest_invoice_id).exists()


@pytest.mark.needs_shared("the Peppol validator")
def test_the_interest_invoice_is_valid_peppol(company, admin_user):
    if not validator_path().is_file():
        pytest.fail("The Peppol validator is missing: run ../shared/peppol/validate --setup")
    settings(company)
    # A customer with an electronic address, as a Peppol customer has (PEPPOL-EN16931-R010).
    invoice = paid_late(company, admin_user, customer=OrganisationFactory(company=company))
    charge = InterestCharge.objects.get(invoice=invoice)
    result = interest_invoices_issue(company=company, actor=admin_user, charge_ids=[charge.pk])

    xml = build_ubl(document_data(Invoice.objects.get(pk=result.invoice_ids[0])))

    assert validate_ubl(xml) == []
    assert b"VATEX-EU-O" in xml


def test_dismissing_needs_a_reason_and_keeps_it_in_the_history(company, admin_user):
    settings(company)
    invoice = paid_late(company, admin_user)
    charge = InterestCharge.objects.get(invoice=invoice)

    with pytest.raises(Exception, match="Say why"):
        interest_charges_dismiss(company=company, actor=admin_user, charge_ids=[charge.pk], reason=" ")
    charge.refresh_from_db()
    assert charge.state == InterestChargeState.PROPOSED

    assert interest_charges_dismiss(company=company, actor=admin_user, charge_ids=[charge.pk], reason="Good customer")
    charge.refresh_from_db()
    assert (charge.state, charge.dismiss_reason) == (InterestChargeState.DISMISSED, "Good customer")
    [entry] = InvoiceEvent.objects.filter(invoice=invoice, kind="interest_invoice_dismissed")
    assert describe(entry) == "Interest invoice dismissed: Good customer"
    with pytest.raises(Exception, match="None of the chosen interest invoices is left to issue"):
        interest_invoices_issue(company=company, actor=admin_user, charge_ids=[charge.pk])


def test_recording_costs_the_same_statements_for_one_invoice_or_many(company, admin_user):
    # A bank file pays fifty thousand invoices in one event: no statement per invoice.
    settings(company, interest_invoice_mode="never")
    invoices = [paid_late(company, admin_user, days_late=25 - n) for n in range(5)]  # a series only goes forward
    settings(company)

    with CaptureQueriesContext(connection) as one:
        interest_charges_record(company_id=company.pk, invoice_ids=[invoices[0].pk])
    with CaptureQueriesContext(connection) as four:
        interest_charges_record(company_id=company.pk, invoice_ids=[each.pk for each in invoices[1:]])

    assert InterestCharge.objects.filter(company=company, state=InterestChargeState.PROPOSED).count() == 5
    assert len(four.captured_queries) == len(one.captured_queries)
