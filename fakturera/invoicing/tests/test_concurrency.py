"""Two staff acting at the same moment (PostgreSQL: real row locks, real threads)."""

import time
from collections import Counter
from decimal import Decimal
from unittest import mock

import pytest

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.tests.factories import add_items
from fakturera.core.errors import DomainError
from fakturera.core.tests.concurrency import run_together
from fakturera.invoicing import numbering
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.services import (
    credit_note_create,
    invoice_issue,
    invoices_register_from_basis,
)
from fakturera.invoicing.states import InvoiceKind
from fakturera.invoicing.tests.factories import DraftInvoiceFactory, issued_invoice, line
from fakturera.parties.tests.factories import PersonFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def slow_numbers(delay=0.3):
    """Hold the registering transaction open a little, so the other one meets its locks."""
    original = numbering.numbers_take

    def slow(**kwargs):
        result = original(**kwargs)
        time.sleep(delay)
        return result

    return mock.patch("fakturera.invoicing.issuing.numbers_take", side_effect=slow)


def test_two_staff_registering_the_same_basis_invoice_each_item_once(company, admin_user):
    customers = [PersonFactory(company=company) for _ in range(3)]
    for customer in customers:
        add_items(company, customer, "100", "200")

    with slow_numbers():
        results = run_together(
            lambda: invoices_register_from_basis(company=company, actor=admin_user),
            lambda: invoices_register_from_basis(company=company, actor=admin_user),
        )

    succeeded = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert (len(succeeded), len(refused)) == (1, 1), results
    assert "nothing left to invoice" in str(refused[0])
    assert Invoice.objects.count() == 3
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3]
    assert InvoiceLine.objects.filter(basis_item__isnull=False).count() == 6
    assert not BasisItem.objects.filter(status=BasisItemStatus.OPEN).exists()


def test_overlapping_selections_invoice_the_shared_customer_once(company, admin_user):
    a, b, c = (PersonFactory(company=company) for _ in range(3))
    for customer in (a, b, c):
        add_items(company, customer, "100")

    with slow_numbers():
        results = run_together(
            lambda: invoices_register_from_basis(company=company, actor=admin_user, customer_ids=[a.pk, b.pk]),
            lambda: invoices_register_from_basis(company=company, actor=admin_user, customer_ids=[b.pk, c.pk]),
        )

    assert all(isinstance(r, list) for r in results), results
    assert Counter(Invoice.objects.values_list("customer_id", flat=True)) == {a.pk: 1, b.pk: 1, c.pk: 1}
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3]


def test_drafts_issued_at_once_get_distinct_consecutive_numbers(company, admin_user):
    drafts = DraftInvoiceFactory.create_batch(4, company=company, actor=admin_user, lines=[line("x", "10")])

    results = run_together(*[lambda d=d: invoice_issue(invoice=d, actor=admin_user) for d in drafts])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_two_partial_credits_at_once_cannot_exceed_the_invoice(company, admin_user):
    invoice = issued_invoice(company, admin_user, "100", quantity="3", description="x", issued_on=None)
    line = invoice.lines.get()

    results = run_together(
        lambda: credit_note_create(invoice=invoice, actor=admin_user, quantities={line.pk: Decimal("2")}),
        lambda: credit_note_create(invoice=invoice, actor=admin_user, quantities={line.pk: Decimal("2")}),
    )

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    assert "Only 1 of “x” is left to credit" in str(refused[0])
    credited = InvoiceLine.objects.filter(invoice__kind=InvoiceKind.CREDIT_NOTE).values_list("quantity", flat=True)
    assert list(credited) == [Decimal("2.000")]
