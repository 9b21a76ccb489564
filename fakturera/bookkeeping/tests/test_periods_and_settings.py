"""Closed months refuse issuing and payments with a clear message, take no number and write
nothing; the account mapping is checked whole when saved; a voucher is corrected by a new one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from fakturera.bookkeeping.models import AccountMapping, PeriodLock, Voucher
from fakturera.bookkeeping.selectors import accounts_of, period_locks, voucher_list
from fakturera.bookkeeping.services import account_mapping_save, period_lock, period_unlock, voucher_reverse
from fakturera.bookkeeping.states import Series, SourceKind
from fakturera.bookkeeping.tests.helpers import accounts_of as sums_of
from fakturera.bookkeeping.tests.helpers import assert_every_voucher_balances
from fakturera.core.errors import DomainError, StateConflict, ValidationFailed
from fakturera.core.period_locks import PeriodLocked
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.invoicing.services import invoice_issue
from fakturera.invoicing.tests.factories import credit_note, draft_invoice, issued_invoice, line
from fakturera.payments.models import Payment
from fakturera.payments.services import payment_allocate, payment_register

pytestmark = pytest.mark.django_db
NOVEMBER = dt.date(2026, 11, 1)


def test_issuing_into_a_closed_month_is_refused_and_takes_no_number(company, admin_user):
    period_lock(company=company, actor=admin_user, month=dt.date(2026, 11, 17))
    draft = draft_invoice(company, admin_user, "100")
    series_before = NumberSeries.objects.get(company=company).next_number

    with translation.override("en"), pytest.raises(PeriodLocked) as refused:
        invoice_issue(invoice=draft, actor=admin_user, issued_on=dt.date(2026, 11, 20))

    assert refused.value.message.startswith("2026-11 is closed for bookkeeping: nothing can be dated in it.")
    assert (refused.value.field, refused.value.code) == ("issued_on", "period_locked")
    assert Invoice.objects.get(pk=draft.pk).is_draft
    assert NumberSeries.objects.get(company=company).next_number == series_before
    assert not Voucher.objects.exists()

    invoice_issue(invoice=draft, actor=admin_user, issued_on=dt.date(2026, 12, 1))
    assert Voucher.objects.get(source_kind=SourceKind.INVOICE).date == dt.date(2026, 12, 1)


def test_a_credit_note_dated_in_a_closed_month_is_refused(company, admin_user):
    invoice = issued_invoice(company, admin_user, "100")
    period_lock(company=company, actor=admin_user, month=NOVEMBER)

    with pytest.raises(PeriodLocked):
        credit_note(invoice, admin_user, issued_on=dt.date(2026, 11, 30))

    assert not invoice.credit_notes.exists()


def test_a_payment_dated_in_a_closed_month_is_refused(company, admin_user):
    invoice = issued_invoice(company, admin_user, "100")
    period_lock(company=company, actor=admin_user, month=NOVEMBER)

    with translation.override("en"), pytest.raises(PeriodLocked) as refused:
        payment_register(
            company=company, actor=admin_user, amount="125", currency="SEK", booked_on=dt.date(2026, 11, 25),
            invoice_id=invoice.pk,
        )  # fmt: skip

    assert "2026-11 is closed for bookkeeping" in refused.value.message
    assert refused.value.field == "booked_on"
    assert not Payment.objects.exists()
    assert not Voucher.objects.filter(series=Series.PAYMENTS).exists()


def test_an_unmatched_payment_of_a_closed_month_can_still_be_allocated_today(company, admin_user, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC))
    invoice = issued_invoice(company, admin_user, "100")
    payment = payment_register(
        company=company, actor=admin_user, amount="125", currency="SEK", booked_on=dt.date(2026, 11, 25)
    )
    period_lock(company=company, actor=admin_user, month=NOVEMBER)

    payment_allocate(company=company, actor=admin_user, payment_id=payment.pk, allocations=[(invoice.pk, "125")])

    allocated = Voucher.objects.get(source_kind=SourceKind.ALLOCATION)
    assert allocated.date == dt.date(2026, 12, 3)


def test_reopening_a_month_lets_it_take_documents_again_and_keeps_the_record(company, admin_user):
    period_lock(company=company, actor=admin_user, month=NOVEMBER)
    with pytest.raises(StateConflict):
        period_lock(company=company, actor=admin_user, month=NOVEMBER)

    period_unlock(company=company, actor=admin_user, month=NOVEMBER)

    assert not period_locks(company).exists()
    assert PeriodLock.objects.get().unlocked_by == admin_user
    issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 11, 20))
    with pytest.raises(StateConflict):
        period_unlock(company=company, actor=admin_user, month=NOVEMBER)
    period_lock(company=company, actor=admin_user, month=NOVEMBER)
    assert period_locks(company).count() == 1


def test_the_mapping_is_checked_whole_and_refused_without_writing(company):
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        account_mapping_save(company=company, accounts={"sales_25": "30", "bank": "", "rounding": "3740"})

    assert refused.value.errors == {
        "bank": ["Choose an account for “Bank (where payments arrive)”."],
        "sales_25": ["“30” is not an account: four digits of the BAS chart, such as 3001."],
    }
    assert not AccountMapping.objects.exists()
    with pytest.raises(DomainError):
        account_mapping_save(company=company, accounts={"suspense": "2999"})


def test_the_companys_accounts_are_booked(company, admin_user):
    account_mapping_save(company=company, accounts={"sales_25": "3041", "bank": "1940"})

    assert AccountMapping.objects.count() == 2
    assert accounts_of(company.pk)["sales_25"] == "3041"
    invoice = issued_invoice(company, admin_user, "100")
    voucher = Voucher.objects.get(source_id=invoice.pk, source_kind=SourceKind.INVOICE)
    assert sums_of(voucher) == {"1510": Decimal("125.00"), "3041": Decimal("-100.00"), "2611": Decimal("-25.00")}


def test_a_voucher_is_corrected_by_a_new_one_that_reverses_it(company, admin_user):
    invoice = issued_invoice(company, admin_user, lines=[line("Kurs", "400")])
    original = Voucher.objects.get(source_kind=SourceKind.INVOICE, source_id=invoice.pk)

    correction = voucher_reverse(
        company=company, actor=admin_user, voucher_id=original.pk, on=dt.date(2026, 12, 1), reason="fel konto"
    )

    assert (correction.series, correction.number, correction.reverses) == (Series.INVOICES, 2, original)
    assert correction.text == f"Rättelse av B{original.number}: fel konto"
    assert sums_of(correction) == {account: -amount for account, amount in sums_of(original).items()}
    assert assert_every_voucher_balances(company) == 2
    with pytest.raises(StateConflict):
        voucher_reverse(company=company, actor=admin_user, voucher_id=original.pk)
    with pytest.raises(StateConflict):
        original.save()


def test_vouchers_are_listed_by_period_and_series(company, admin_user):
    first = issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 11, 2))
    issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 11, 20))
    payment_register(
        company=company, actor=admin_user, amount="125", currency="SEK", booked_on=dt.date(2026, 11, 21),
        invoice_id=first.pk,
    )  # fmt: skip

    november = voucher_list(company, date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 19))
    assert [(v.series, v.number) for v in november] == [("B", 1)]
    assert [v.series for v in voucher_list(company, series="C")] == ["C"]
    assert len(voucher_list(company)) == 3
