"""The demo's business events are booked as they happen: every demo voucher balances, the
books reconcile with the demo's receivables and payments in kronor, its EUR invoices are booked
at their rates, and a second run books
nothing again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Sum

from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.selectors import documents_unbooked, unbalanced_vouchers
from fakturera.bookkeeping.states import SourceKind
from fakturera.bookkeeping.tests.helpers import assert_every_voucher_balances, balance
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Company
from fakturera.payments.models import Payment, Receivable
from fakturera.payments.states import PaymentStatus

pytestmark = pytest.mark.django_db


def test_every_demo_voucher_balances_and_the_books_reconcile():
    call_command("demo", stdout=StringIO())
    count = Voucher.objects.count()

    for company in Company.objects.all():
        assert unbalanced_vouchers(company) == []
        if company.country != "SE":
            assert not Voucher.objects.filter(company=company).exists()
            continue
        issued = Invoice.objects.filter(company=company).exclude(status="draft")
        unbooked = documents_unbooked(company, date_from=None, date_to=None)
        assert assert_every_voucher_balances(company) >= issued.count() - len(unbooked)
        booked = Voucher.objects.filter(company=company, source_kind__in=[SourceKind.INVOICE, SourceKind.CREDIT_NOTE])
        assert booked.count() == issued.count() - len(unbooked)
        # A foreign-currency document is booked at its rate, in kronor (the demo's EUR invoices have one).
        assert booked.exclude(currency="").count() == issued.exclude(currency="SEK").count() - len(unbooked)
        receivables = Receivable.objects.filter(company=company, currency="SEK")
        # Rounded to the öre: SQLite sums decimals as floating point.
        assert balance(company, "1510", currency="") == round(receivables.aggregate(s=Sum("open_amount"))["s"] or 0, 2)
        live = Payment.objects.filter(company=company, currency="SEK").exclude(status=PaymentStatus.REVERSED)
        unallocated = live.aggregate(s=Sum(F("amount") - F("allocated_amount")))["s"] or 0
        assert balance(company, "2420", currency="") == -round(unallocated, 2)
    assert count > 0

    call_command("demo", stdout=StringIO())
    assert Voucher.objects.count() == count
