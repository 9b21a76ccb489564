"""Seed 001: crediting an invoice may return what it billed to the basis. A credited booking
or journal note is billable again (its state follows), a manual line comes back as it was
billed; for a partial credit, only the lines it leaves wholly credited. Through the staff
credit page (the API's credit endpoint: api/tests/test_api_credit_basis.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from fakturera.billables.models import BasisItem, BasisItemStatus, Booking, PaymentStatus, RemovedBecause
from fakturera.billables.services import booking_create, booking_set_payment_status
from fakturera.billables.tests.factories import add_lines, at
from fakturera.catalog.tests.factories import TreatmentTypeFactory
from fakturera.invoicing.history import detail_rows
from fakturera.invoicing.models import Invoice, InvoiceEvent
from fakturera.invoicing.services import credit_note_create, invoices_register_from_basis
from fakturera.invoicing.states import EventKind
from fakturera.parties.tests.factories import PersonFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client
from fakturera.staff.views.billables import basis_state

pytestmark = pytest.mark.django_db


def _invoice_with_booking_and_line(company, user):
    """One invoice of a booking (950) and a manual line (2 x 100)."""
    customer = PersonFactory(company=company)
    therapy = TreatmentTypeFactory(company=company, name="Samtalsterapi", unit_price=Decimal("950"))
    booking = booking_create(company=company, customer=customer, treatment_type=therapy, starts_at=at(3, 14))
    add_lines(company, customer, "100", quantity=Decimal("2"))
    (invoice,) = invoices_register_from_basis(company=company, actor=user, customer_ids=[customer.pk])
    # The booking's line first, then the sessions' line.
    lines = sorted(invoice.lines.select_related("basis_item"), key=lambda line: line.basis_item.booking_id is None)
    return invoice, booking, lines


def _credit(client, invoice, data):
    return client.post(reverse("staff:invoice_credit", args=[invoice.pk]), data)


def _open(company) -> list[BasisItem]:
    return list(BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN).order_by("pk"))


def test_full_credit_with_return_puts_the_booking_and_the_line_back_in_the_basis(company):
    # Given an invoice of a booking and a manual line
    client, user = staff_client(company)
    invoice, booking, lines = _invoice_with_booking_and_line(company, user)
    billed = {line.basis_item_id for line in lines}

    # When it is credited fully on its page, returning the billed items to the basis
    page = client.get(reverse("staff:invoice_credit", args=[invoice.pk]))
    assert "Return the billed items to the basis" in page.content.decode()
    response = _credit(client, invoice, {"full": "1", "return_to_basis": "on"})

    # Then two new open items copy what was billed, each returned from its credited item
    returned = _open(company)
    assert [(i.description, i.quantity, i.unit_price, i.returned_from_id in billed) for i in returned] == [
        ("Samtalsterapi 2026-11-03 14:00", Decimal("1.000"), Decimal("950.0000"), True),
        ("Session 1", Decimal("2.000"), Decimal("100.0000"), True),
    ]
    assert set(BasisItem.objects.filter(pk__in=billed).values_list("status", "booking_id")) == {
        (BasisItemStatus.CREDITED, None)
    }
    # ... the booking is in the basis again, and the invoice's history says so
    booking = Booking.objects.select_related("basis_item").get(pk=booking.pk)
    assert booking.basis_item == returned[0]
    assert basis_state(booking.basis_item).key == "open"
    event = InvoiceEvent.objects.get(invoice=invoice, kind=EventKind.CREDITED)
    assert event.params["returned_to_basis"] == 2
    assert ("Items returned to the basis", "2") in detail_rows(event)
    assert messages_of(response)[-1] == "2 items are back in the basis."

    # When the basis is registered again, the booking is billed on a new invoice
    (again,) = invoices_register_from_basis(company=company, actor=user, customer_ids=[invoice.customer_id])
    assert again.pk != invoice.pk
    assert sorted(again.lines.values_list("basis_item_id", flat=True)) == [i.pk for i in returned]
    assert basis_state(Booking.objects.get(pk=booking.pk).basis_item).key == "invoiced"


def test_a_credit_without_the_choice_returns_nothing(company):
    client, user = staff_client(company)
    invoice, booking, _lines = _invoice_with_booking_and_line(company, user)

    _credit(client, invoice, {"full": "1"})

    assert _open(company) == []
    assert BasisItem.objects.get(booking=booking).status == BasisItemStatus.INVOICED
    assert "returned_to_basis" not in InvoiceEvent.objects.get(invoice=invoice, kind=EventKind.CREDITED).params


def test_a_partial_credit_returns_only_the_lines_it_leaves_wholly_credited(company):
    # Given the invoice of a booking and two sessions
    client, user = staff_client(company)
    invoice, booking, (booking_line, sessions) = _invoice_with_booking_and_line(company, user)

    # When the booking and one of the two sessions are credited, returning the items
    _credit(
        client,
        invoice,
        {f"line_{booking_line.pk}": "1", f"line_{sessions.pk}": "1", "partial": "1", "return_to_basis": "on"},
    )

    # Then only the booking comes back: the sessions' line is not wholly credited yet
    assert [i.booking_id for i in _open(company)] == [booking.pk]

    # When the other session is credited too, returning, the line comes back as billed (2 x 100)
    credit_note_create(invoice=invoice, actor=user, quantities={sessions.pk: Decimal("1")}, return_to_basis=True)
    assert [(i.description, i.quantity) for i in _open(company)] == [
        ("Samtalsterapi 2026-11-03 14:00", Decimal("1.000")),
        ("Session 1", Decimal("2.000")),
    ]


def test_a_booking_paid_another_way_since_comes_back_out_of_the_basis_until_not_paid(company):
    client, user = staff_client(company)
    invoice, booking, _lines = _invoice_with_booking_and_line(company, user)
    Booking.objects.filter(pk=booking.pk).update(payment_status=PaymentStatus.CARD)

    _credit(client, invoice, {"full": "1", "return_to_basis": "on"})

    item = BasisItem.objects.get(booking=booking)
    assert (item.status, item.removed_because) == (BasisItemStatus.REMOVED, RemovedBecause.PAID)
    booking_set_payment_status(booking=Booking.objects.get(pk=booking.pk), payment_status=PaymentStatus.NOT_PAID)
    assert BasisItem.objects.get(booking=booking).status == BasisItemStatus.OPEN


def test_an_invoice_not_made_from_the_basis_offers_no_return(company):
    from fakturera.invoicing.tests.factories import issued_invoice

    client, user = staff_client(company)
    invoice = issued_invoice(company, user, "100")

    page = client.get(reverse("staff:invoice_credit", args=[invoice.pk]))

    assert "Return the billed items to the basis" not in page.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).lines.filter(basis_item__isnull=False).count() == 0
