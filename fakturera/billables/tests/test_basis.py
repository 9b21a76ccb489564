"""Seed 001: bookings and journal notes feed the basis; staff edit it before registering."""

from decimal import Decimal

import pytest

from fakturera.billables.models import BasisItem, BasisItemStatus, PaymentStatus, RemovedBecause
from fakturera.billables.services import (
    basis_item_add,
    basis_item_remove,
    basis_item_update,
    basis_source_set,
    booking_create,
    booking_set_payment_status,
    booking_update,
    journal_note_create,
)
from fakturera.billables.tests.factories import add_items, at
from fakturera.catalog.tests.factories import ContactTypeFactory, TreatmentTypeFactory
from fakturera.core.errors import DomainError, StateConflict
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import BasisSource
from fakturera.parties.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def open_items(company):
    return list(BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN))


def test_a_not_paid_booking_is_in_the_basis_with_the_treatment_price(company):
    client = PersonFactory(company=company)
    therapy = TreatmentTypeFactory(company=company, name="Samtalsterapi", unit_price=Decimal("950"))

    booking_create(company=company, customer=client, treatment_type=therapy, starts_at=at(3, 14))

    [item] = open_items(company)
    assert item.customer == client
    assert item.unit_price == Decimal("950.0000")
    assert item.vat_category == "E"
    assert item.description == "Samtalsterapi 2026-11-03 14:00"


def test_paying_another_way_takes_the_booking_out_and_not_paid_puts_it_back(company):
    client = PersonFactory(company=company)
    booking = booking_create(
        company=company, customer=client, treatment_type=TreatmentTypeFactory(company=company), starts_at=at(3)
    )

    booking_set_payment_status(booking=booking, payment_status=PaymentStatus.SWISH)
    assert open_items(company) == []
    assert BasisItem.objects.get(booking=booking).removed_because == RemovedBecause.PAID

    booking_set_payment_status(booking=booking, payment_status=PaymentStatus.NOT_PAID)
    assert [i.booking for i in open_items(company)] == [booking]


def test_a_booking_paid_by_card_never_enters_the_basis(company):
    booking_create(
        company=company,
        customer=PersonFactory(company=company),
        treatment_type=TreatmentTypeFactory(company=company),
        starts_at=at(4),
        payment_status=PaymentStatus.CARD,
    )
    assert open_items(company) == []


def test_journal_notes_only_count_when_the_company_bills_journal_notes(company):
    client = PersonFactory(company=company)
    visit = ContactTypeFactory(company=company, name="Besök")
    phone = ContactTypeFactory(company=company, name="Telefon", is_excluded_from_invoicing=True)

    journal_note_create(company=company, customer=client, contact_type=visit, noted_on=at(5).date())
    assert open_items(company) == []  # the company bills bookings

    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    journal_note_create(company=company, customer=client, contact_type=phone, noted_on=at(6).date())

    assert [i.description for i in open_items(company)] == ["Besök 2026-11-05"]


def test_switching_the_source_moves_the_basis_and_back(company):
    client = PersonFactory(company=company)
    booking = booking_create(
        company=company, customer=client, treatment_type=TreatmentTypeFactory(company=company), starts_at=at(3)
    )
    note = journal_note_create(
        company=company, customer=client, contact_type=ContactTypeFactory(company=company), noted_on=at(4).date()
    )

    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    assert [i.journal_note for i in open_items(company)] == [note]

    basis_source_set(company=company, source=BasisSource.BOOKINGS)
    assert [i.booking for i in open_items(company)] == [booking]


def test_an_item_removed_by_staff_stays_removed(company):
    booking = booking_create(
        company=company,
        customer=PersonFactory(company=company),
        treatment_type=TreatmentTypeFactory(company=company),
        starts_at=at(3),
    )
    basis_item_remove(item=BasisItem.objects.get(booking=booking))

    booking_set_payment_status(booking=booking, payment_status=PaymentStatus.CASH)
    booking_set_payment_status(booking=booking, payment_status=PaymentStatus.NOT_PAID)

    assert open_items(company) == []


def test_an_invoiced_booking_cannot_be_repriced(company, admin_user):
    client = PersonFactory(company=company)
    booking = booking_create(
        company=company, customer=client, treatment_type=TreatmentTypeFactory(company=company), starts_at=at(3)
    )
    invoices_register_from_basis(company=company, actor=admin_user)

    with pytest.raises(StateConflict, match="already invoiced"):
        booking_update(booking=booking, treatment_type=TreatmentTypeFactory(company=company))
    booking_set_payment_status(booking=booking, payment_status=PaymentStatus.CARD)  # after the fact: allowed

    assert BasisItem.objects.get(booking=booking).status == BasisItemStatus.INVOICED


def test_staff_edit_a_price_and_add_a_line(company):
    client = PersonFactory(company=company)
    [item] = add_items(company, client, "100")

    basis_item_update(item=item, unit_price="120,50", quantity="2")
    basis_item_add(
        company=company, customer=client, description="Intyg", unit_price="300", vat_category="S", vat_rate="6"
    )

    items = open_items(company)
    assert [(i.description, i.quantity, i.unit_price) for i in items] == [
        ("Line 1", Decimal("2.000"), Decimal("120.5000")),
        ("Intyg", Decimal("1.000"), Decimal("300.0000")),
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"quantity": "0"}, "quantity", "more than zero"),
        ({"unit_price": "-5"}, "unit_price", "cannot be negative"),
        ({"unit_price": "99999999999"}, "unit_price", "not a plausible price"),
        ({"vat_category": "X"}, "vat_category", "is not a VAT category"),
        ({"vat_category": "S", "vat_rate": "7"}, "vat_rate", "is not a VAT rate"),
        ({"vat_category": "E", "vat_rate": "25"}, "vat_rate", "carry no VAT"),
        ({"currency": "EUR"}, "currency", "basis is in SEK"),
        ({"currency": "USD"}, "currency", "not a currency we invoice in"),
        ({"description": "  "}, "description", "Describe"),
    ],
)
def test_bad_manual_lines_are_refused_and_nothing_is_written(company, fields, field, message):
    client = PersonFactory(company=company)
    add_items(company, client, "100")
    data = {"description": "Extra", "quantity": "1", "unit_price": "10", "vat_category": "S", "vat_rate": "25"}

    with pytest.raises(DomainError) as exc:
        basis_item_add(company=company, customer=client, **{**data, **fields})

    assert message in str(exc.value)
    assert field in (exc.value.field, *getattr(exc.value, "errors", {}))
    assert BasisItem.objects.count() == 1


def test_another_companys_customer_cannot_get_items(company):
    stranger = PersonFactory()
    with pytest.raises(DomainError):
        basis_item_add(company=company, customer=stranger, description="x", unit_price="1", vat_rate="25")
    assert BasisItem.objects.count() == 0


def test_a_manual_line_without_vat_gets_the_general_rate(company):
    client = PersonFactory(company=company)
    item = basis_item_add(company=company, customer=client, description="Avgift", unit_price="100")
    assert (item.vat_category, item.vat_rate) == ("S", Decimal("25.00"))
