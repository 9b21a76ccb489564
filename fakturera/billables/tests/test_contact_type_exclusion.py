"""Seed 001: a contact type can be excluded from invoicing. Excluding it takes its journal
notes' open items out of the basis at once; including it again brings back those that
left for that reason (and notes written meanwhile), never the ones staff removed or
those already invoiced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fakturera.billables.models import BasisItem, BasisItemStatus, RemovedBecause
from fakturera.billables.services import basis_item_remove, basis_source_set, journal_note_create
from fakturera.catalog.models import ContactType
from fakturera.catalog.services import catalog_item_save
from fakturera.catalog.tests.factories import ContactTypeFactory
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import BasisSource
from fakturera.parties.tests.factories import PersonFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db


def _notes(company, contact_type, n: int):
    """n notes of the type, each of its own client."""
    return [
        journal_note_create(
            company=company,
            customer=PersonFactory(company=company),
            contact_type=contact_type,
            noted_on=dt.date(2026, 10, 31) + dt.timedelta(days=d),
        )
        for d in range(1, n + 1)
    ]


def _states(notes) -> list[tuple[str, str]]:
    items = {i.journal_note_id: i for i in BasisItem.objects.filter(journal_note__in=notes)}
    return [(items[n.pk].status, items[n.pk].removed_because) if n.pk in items else ("none", "") for n in notes]


def _edit(client, contact_type, *, excluded: bool, price: str = "500"):
    data = {"name": contact_type.name, "unit_price": price, "vat": "S:25", "account_code": "", "is_active": "on"}
    if excluded:
        data["is_excluded_from_invoicing"] = "on"
    return client.post(reverse("staff:catalog_edit", args=["contact-type", contact_type.pk]), data)


def test_excluding_a_contact_type_on_its_page_takes_its_open_items_out_of_the_basis(company):
    # Given a basis of journal notes: three calls (one invoiced, one removed by staff) and a visit
    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    client, user = staff_client(company)
    call = ContactTypeFactory(company=company, name="Samtal")
    visit = ContactTypeFactory(company=company, name="Besök")
    invoiced, removed, first = _notes(company, call, 3)
    invoices_register_from_basis(company=company, actor=user, customer_ids=[invoiced.customer_id])
    basis_item_remove(item=removed.basis_item)
    calls = [first, *_notes(company, call, 2)]
    (other,) = _notes(company, visit, 1)

    # When staff exclude the call type from invoicing
    response = _edit(client, call, excluded=True)

    # Then its open items leave the basis, marked why; the rest stay as they were
    assert _states(calls) == [(BasisItemStatus.REMOVED, RemovedBecause.EXCLUDED)] * 3
    assert _states([invoiced, removed, other]) == [
        (BasisItemStatus.INVOICED, ""),
        (BasisItemStatus.REMOVED, RemovedBecause.STAFF),
        (BasisItemStatus.OPEN, ""),
    ]
    assert messages_of(response) == ["“Samtal” was saved.", "3 journal notes left the basis."]
    # ... and a note written while excluded does not enter it
    call.refresh_from_db()
    (later,) = _notes(company, call, 1)
    assert _states([later]) == [("none", "")]

    # When it is included again (at a new price)
    response = _edit(client, call, excluded=False, price="650")

    # Then the items that left for the exclusion come back priced anew, the note written
    # meanwhile enters, and the one staff removed stays out
    assert _states([*calls, later]) == [(BasisItemStatus.OPEN, "")] * 4
    assert {i.unit_price for i in BasisItem.objects.filter(journal_note__in=[*calls, later])} == {Decimal("650")}
    assert _states([invoiced, removed]) == [
        (BasisItemStatus.INVOICED, ""),
        (BasisItemStatus.REMOVED, RemovedBecause.STAFF),
    ]
    assert messages_of(response)[-1] == "4 journal notes are back in the basis."


def test_included_again_while_the_basis_is_bookings_waits_for_the_switch(company, admin_user):
    # Given notes of an excluded type, in a company whose basis became its bookings
    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    call = ContactTypeFactory(company=company)
    notes = _notes(company, call, 2)
    catalog_item_save(model=ContactType, company=company, instance=call, is_excluded_from_invoicing=True)
    basis_source_set(company=company, source=BasisSource.BOOKINGS)

    # When the type is included again, nothing enters the basis of bookings
    catalog_item_save(model=ContactType, company=company, instance=call, is_excluded_from_invoicing=False)
    assert _states(notes) == [(BasisItemStatus.REMOVED, RemovedBecause.BASIS_SOURCE)] * 2

    # ... and switching to journal notes brings them in
    company.refresh_from_db()
    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    assert _states(notes) == [(BasisItemStatus.OPEN, "")] * 2


def test_saving_a_contact_type_without_changing_its_exclusion_moves_nothing(company, django_assert_num_queries):
    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    call = ContactTypeFactory(company=company)
    notes = _notes(company, call, 2)

    catalog_item_save(model=ContactType, company=company, instance=call, unit_price="900")

    assert _states(notes) == [(BasisItemStatus.OPEN, "")] * 2
    assert {i.unit_price for i in BasisItem.objects.filter(journal_note__in=notes)} == {Decimal("500")}


def test_excluding_costs_the_same_statements_for_2_or_40_notes(company, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    counts = []
    for n in (2, 40):
        call = ContactTypeFactory(company=company)
        _notes(company, call, n)
        for excluded in (True, False):
            with CaptureQueriesContext(connection) as queries:
                catalog_item_save(
                    model=ContactType, company=company, instance=call, is_excluded_from_invoicing=excluded
                )
            counts.append(len(queries))
    assert counts[:2] == counts[2:]
