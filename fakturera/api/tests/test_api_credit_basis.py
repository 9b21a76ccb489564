"""Crediting through the API may return what the invoice billed to the basis (seed 001):
a credited journal note is billable again."""

from __future__ import annotations

import pytest

from fakturera.api.tests.api_clients import api_for
from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.services import basis_source_set, journal_note_create
from fakturera.billables.tests.factories import at
from fakturera.catalog.tests.factories import ContactTypeFactory
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import BasisSource
from fakturera.parties.tests.factories import PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _invoiced_note(company):
    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    customer = PersonFactory(company=company)
    note = journal_note_create(
        company=company, customer=customer, contact_type=ContactTypeFactory(company=company), noted_on=at(4).date()
    )
    user = StaffFactory(company=company).user
    (invoice,) = invoices_register_from_basis(company=company, actor=user, customer_ids=[customer.pk])
    return invoice, note


def test_credit_with_return_to_basis_makes_the_journal_note_billable_again(company):
    invoice, note = _invoiced_note(company)
    api = api_for(company)

    response = api.post(f"/invoices/{invoice.pk}/credit", {"reason": "Fel datum", "return_to_basis": True})

    assert response.status_code == 201, response.content
    item = BasisItem.objects.get(journal_note=note)
    assert item.status == BasisItemStatus.OPEN
    assert item.returned_from.invoice_line.invoice_id == invoice.pk
    history = api.get(f"/invoices/{invoice.pk}").json()["history"]
    credited = next(event for event in history if event["code"] == "credited")
    assert credited["params"]["returned_to_basis"] == 1


def test_credit_without_it_leaves_the_note_invoiced(company):
    invoice, note = _invoiced_note(company)

    response = api_for(company).post(f"/invoices/{invoice.pk}/credit", {})

    assert response.status_code == 201
    assert BasisItem.objects.get(journal_note=note).status == BasisItemStatus.INVOICED
