"""Issued invoices and credit notes become vouchers in series B, in the issuing transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.utils import translation

from fakturera.billables.tests.factories import add_lines
from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.services import vouchers_book_documents
from fakturera.bookkeeping.states import Series, SourceKind
from fakturera.bookkeeping.tests.helpers import accounts_of, assert_every_voucher_balances, lines_of
from fakturera.core.errors import DomainError
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.invoicing.services import invoice_issue, invoices_register_from_basis
from fakturera.invoicing.tests.factories import ISSUED_ON, credit_note, draft_invoice, issued_invoice, line
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db


def voucher_of(invoice: Invoice) -> Voucher:
    kind = SourceKind.CREDIT_NOTE if invoice.is_credit_note else SourceKind.INVOICE
    return Voucher.objects.get(source_kind=kind, source_id=invoice.pk)


def test_an_issued_invoice_is_a_balanced_voucher(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000", customer=PersonFactory(company=company, name="Anna Berg"))

    voucher = voucher_of(invoice)

    assert (voucher.series, voucher.number, voucher.date) == (Series.INVOICES, 1, ISSUED_ON)
    assert voucher.fiscal_year_start == dt.date(2026, 1, 1)
    assert voucher.text == f"Faktura {invoice.display_number}, Anna Berg"
    assert lines_of(voucher) == [
        ("1510", Decimal("1250.00"), ""),
        ("3001", Decimal("-1000.00"), ""),
        ("2611", Decimal("-250.00"), ""),
    ]
    assert assert_every_voucher_balances(company) == 1


def test_sales_by_vat_rate_and_category_vat_per_rate_and_the_rounding(admin_user):
    company = CompanyFactory(is_rounding_to_whole_units=True)
    user = StaffFactory(company=company, role="admin").user
    invoice = issued_invoice(
        company,
        user,
        lines=[
            line("Behandling", "500.30", vat_category="E", vat_rate="0"),
            line("Bok", "100", vat_rate="6"),
            line("Mat", "200", vat_rate="12"),
            line("Kurs", "300"),
            line("Kurs 2", "100", account_code="3041"),
        ],
    )

    assert invoice.rounding_amount == Decimal("-0.30")
    assert accounts_of(voucher_of(invoice)) == {
        "1510": invoice.total_amount,
        "3004": Decimal("-500.30"),
        "3003": Decimal("-100.00"),
        "2631": Decimal("-6.00"),
        "3002": Decimal("-200.00"),
        "2621": Decimal("-24.00"),
        "3001": Decimal("-300.00"),
        "3041": Decimal("-100.00"),
        "2611": Decimal("-100.00"),
        "3740": Decimal("0.30"),
    }
    assert assert_every_voucher_balances(company) == 1


def test_a_lines_account_code_decides_a_reminder_fee_and_interest(company, admin_user):
    invoice = issued_invoice(
        company,
        admin_user,
        lines=[
            line("Påminnelseavgift", "60", vat_category="O", vat_rate="0", account_code="3990"),
            line("Dröjsmålsränta", "12.50", vat_category="O", vat_rate="0", account_code="8313"),
        ],
    )

    assert accounts_of(voucher_of(invoice)) == {
        "1510": Decimal("72.50"),
        "3990": Decimal("-60.00"),
        "8313": Decimal("-12.50"),
    }


def test_an_invoice_of_no_amount_changes_no_account_and_makes_no_voucher(company, admin_user):
    free = issued_invoice(company, admin_user, "0")
    paid = issued_invoice(company, admin_user, "100")

    assert not Voucher.objects.filter(source_id=free.pk).exists()
    assert voucher_of(paid).number == 1


def test_a_credit_note_is_the_mirror_image(company, admin_user):
    invoice = issued_invoice(company, admin_user, lines=[line("Kurs", "400"), line("Bok", "100", vat_rate="6")])
    first_line = invoice.lines.get(position=1)

    note = credit_note(invoice, admin_user, quantities={first_line.pk: Decimal("1")}, issued_on=ISSUED_ON)

    voucher = voucher_of(note)
    assert voucher.source_kind == SourceKind.CREDIT_NOTE
    assert voucher.number == 2
    assert voucher.text.startswith(f"Kreditfaktura {note.display_number} (krediterar {invoice.display_number})")
    assert accounts_of(voucher) == {"1510": Decimal("-500.00"), "3001": Decimal("400.00"), "2611": Decimal("100.00")}
    assert assert_every_voucher_balances(company) == 2


def test_an_account_that_is_no_account_refuses_the_issuing_and_takes_no_number(company, admin_user):
    draft = draft_invoice(company, admin_user, lines=[line("Kurs", "400", account_code="30X1")])
    series_before = NumberSeries.objects.get(company=company).next_number

    with translation.override("en"), pytest.raises(DomainError) as refused:
        invoice_issue(invoice=draft, actor=admin_user, issued_on=ISSUED_ON)

    assert "“30X1”" in refused.value.message
    assert "Line 1 (“Kurs”)" in refused.value.message
    assert Invoice.objects.get(pk=draft.pk).is_draft
    assert NumberSeries.objects.get(company=company).next_number == series_before
    assert not Voucher.objects.exists()


def test_numbers_are_gap_free_per_series_and_fiscal_year(company, admin_user):
    first = issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 11, 20))
    second = issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 11, 21))
    other_company = CompanyFactory()

    elsewhere = issued_invoice(other_company, StaffFactory(company=other_company, role="admin").user, "100")

    assert [voucher_of(first).number, voucher_of(second).number] == [1, 2]
    assert voucher_of(elsewhere).number == 1


def test_a_new_fiscal_year_starts_at_one(company, admin_user, time_machine):
    time_machine.move_to(dt.datetime(2027, 1, 2, 12, tzinfo=dt.UTC))
    old = issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 12, 30))
    new = issued_invoice(company, admin_user, "100", issued_on=dt.date(2027, 1, 2))

    assert (voucher_of(old).fiscal_year_start, voucher_of(old).number) == (dt.date(2026, 1, 1), 1)
    assert (voucher_of(new).fiscal_year_start, voucher_of(new).number) == (dt.date(2027, 1, 1), 1)


def test_a_foreign_company_keeps_no_books_here(admin_user):
    company = CompanyFactory(country="NO", org_number="923609016", bankgiro="")
    user = StaffFactory(company=company, role="admin").user
    issued_invoice(company, user, "100")

    assert not Voucher.objects.filter(company=company).exists()


def test_registering_hundreds_of_invoices_books_them_in_a_fixed_number_of_statements(
    company, admin_user, django_assert_max_num_queries
):
    customers = [PersonFactory(company=company) for _ in range(300)]
    for customer in customers:
        add_lines(company, customer, "100", "250")
    invoices = invoices_register_from_basis(company=company, actor=admin_user, customer_ids=None, issued_on=ISSUED_ON)
    assert len(invoices) == 300
    ids = [invoice.pk for invoice in invoices]
    assert Voucher.objects.filter(company=company).count() == 300
    assert sorted(Voucher.objects.values_list("number", flat=True)) == list(range(1, 301))
    assert assert_every_voucher_balances(company) == 300

    # Booked again as one event (the subscriber's work, measured alone): the company, the
    # documents (3), the mapping, one number range, the vouchers (ids, COPY) and their lines (COPY)
    # on PostgreSQL whatever the count; SQLite's bulk_create splits inserts by its variable limit.
    Voucher.objects.filter(company=company).update(source_id=-F("source_id"))
    with django_assert_max_num_queries(9 if connection.vendor == "postgresql" else 20):
        booked = vouchers_book_documents(company_id=company.pk, invoice_ids=ids, actor_id=admin_user.pk)
    assert len(booked) == 300
