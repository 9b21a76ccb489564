"""Bookings and journal notes pages: month lists, forms, the payment select, and
what each row means for the invoice basis."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from fakturera.billables.models import BasisItem, Booking, JournalNote
from fakturera.billables.services import booking_create, booking_set_payment_status, journal_note_create
from fakturera.catalog.tests.factories import ContactTypeFactory, TreatmentTypeFactory
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.staff.tests.staff_clients import field_errors, log_in

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10, month: int = 11) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, 0))


def a_booking(company, *, starts_at=None, payment_status="not_paid", name="Eva Lind"):
    return booking_create(
        company=company,
        customer=PersonFactory(company=company, name=name),
        treatment_type=TreatmentTypeFactory(company=company, name="Samtal", unit_price=Decimal("800.00")),
        starts_at=starts_at or at(10),
        payment_status=payment_status,
    )


def a_note(company, *, noted_on=dt.date(2026, 11, 10), excluded=False, name="Eva Lind"):
    return journal_note_create(
        company=company,
        customer=PersonFactory(company=company, name=name),
        contact_type=ContactTypeFactory(company=company, is_excluded_from_invoicing=excluded),
        noted_on=noted_on,
    )


@pytest.fixture
def journal_company(db):
    return CompanyFactory(basis_source="journal_notes")


# --- bookings ------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.UTC))
def test_booking_list_shows_the_current_month_by_default(client, company):
    # given
    log_in(client, company)
    november = a_booking(company, starts_at=at(3), name="November")
    a_booking(company, starts_at=at(30, month=10), name="October")

    # when
    response = client.get(reverse("staff:booking_list"))

    # then
    assert response.status_code == 200
    assert response.context["month"].value == "2026-11"
    assert list(response.context["rows"]) == [november]


def test_booking_list_for_a_chosen_month_with_basis_states(client, company, admin_user):
    # given
    log_in(client, company)
    open_booking = a_booking(company, starts_at=at(2, month=10), name="Open")
    paid_later = a_booking(company, starts_at=at(3, month=10), name="Paid later")
    booking_set_payment_status(booking=paid_later, payment_status="swish")
    paid_at_once = a_booking(company, starts_at=at(4, month=10), payment_status="card", name="Paid at once")
    invoiced = a_booking(company, starts_at=at(5, month=10), name="Invoiced")
    [invoice] = invoices_register_from_basis(company=company, actor=admin_user, customer_ids=[invoiced.customer_id])
    a_booking(company, starts_at=at(1, hour=0, month=11), name="November")

    # when
    response = client.get(reverse("staff:booking_list"), {"month": "2026-10"})

    # then
    rows = response.context["rows"]
    assert [row.pk for row in rows] == [open_booking.pk, paid_later.pk, paid_at_once.pk, invoiced.pk]
    assert [row.basis.label for row in rows] == [
        "In the basis",
        "Not in the basis (Paid another way)",
        "Not in the basis",
        "Invoiced",
    ]
    assert rows[3].basis.invoice == invoice
    assert reverse("staff:invoice_detail", args=[invoice.pk]) in response.content.decode()


def test_a_month_that_is_not_a_month_falls_back_to_the_current_one(client, company):
    # given
    log_in(client, company)

    # when
    response = client.get(reverse("staff:booking_list"), {"month": "2026-13"})

    # then
    assert response.context["month"].first == timezone.localdate().replace(day=1)


def test_create_booking_puts_it_in_the_basis(client, company):
    # given
    user = log_in(client, company)
    customer = PersonFactory(company=company)
    treatment = TreatmentTypeFactory(company=company, unit_price=Decimal("800.00"))

    # when
    response = client.post(
        reverse("staff:booking_create"),
        {
            "customer": customer.pk,
            "treatment_type": treatment.pk,
            "starts_at": "2026-11-12T14:30",
            "payment_status": "not_paid",
            "note": "First visit",
        },
    )

    # then
    booking = Booking.objects.get(company=company)
    item = BasisItem.objects.get(booking=booking)
    assert response.status_code == 302
    assert response.url == reverse("staff:booking_list") + "?month=2026-11"
    assert booking.starts_at == at(12, hour=14).replace(minute=30)
    assert booking.note == "First visit"
    assert (item.status, item.unit_price, item.created_by) == ("open", Decimal("800.0000"), user)


def test_edit_booking_changes_its_treatment_and_basis_price(client, company):
    # given
    log_in(client, company)
    booking = a_booking(company)
    dearer = TreatmentTypeFactory(company=company, unit_price=Decimal("1200.00"))

    # when
    response = client.post(
        reverse("staff:booking_edit", args=[booking.pk]),
        {
            "customer": booking.customer_id,
            "treatment_type": dearer.pk,
            "starts_at": "2026-11-10T10:00",
            "payment_status": "not_paid",
            "note": "",
        },
    )

    # then
    booking.refresh_from_db()
    assert response.status_code == 302
    assert booking.treatment_type == dearer
    assert BasisItem.objects.get(booking=booking).unit_price == Decimal("1200.0000")


def test_an_invoiced_booking_cannot_be_moved(client, company, admin_user):
    # given
    log_in(client, company)
    booking = a_booking(company)
    invoices_register_from_basis(company=company, actor=admin_user)

    # when
    response = client.post(
        reverse("staff:booking_edit", args=[booking.pk]),
        {
            "customer": booking.customer_id,
            "treatment_type": booking.treatment_type_id,
            "starts_at": "2026-11-20T10:00",
            "payment_status": "not_paid",
            "note": "",
        },
    )

    # then
    booking.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "This booking is already invoiced; credit the invoice to change what was billed."
    ]
    assert booking.starts_at == at(10)


def test_a_booking_for_another_companys_client_is_refused(client, company):
    # given
    log_in(client, company)
    theirs = PersonFactory(company=CompanyFactory())
    treatment = TreatmentTypeFactory(company=company)

    # when
    response = client.post(
        reverse("staff:booking_create"),
        {
            "customer": theirs.pk,
            "treatment_type": treatment.pk,
            "starts_at": "2026-11-12T14:30",
            "payment_status": "not_paid",
        },
    )

    # then
    assert response.status_code == 400
    assert field_errors(response, "customer") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Booking.objects.count() == 0


def test_paying_by_card_with_htmx_swaps_the_row_and_leaves_the_basis(client, company):
    # given
    log_in(client, company)
    booking = a_booking(company)

    # when
    response = client.post(
        reverse("staff:booking_payment", args=[booking.pk]), {"payment_status": "card"}, HTTP_HX_REQUEST="true"
    )

    # then
    html = response.content.decode()
    item = BasisItem.objects.get(booking=booking)
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="booking-{booking.pk}">')
    assert '<option value="card" selected>' in html
    assert "Not in the basis (Paid another way)" in html
    assert (item.status, item.removed_because) == ("removed", "paid")


def test_marking_a_booking_not_paid_again_without_htmx_returns_to_the_list(client, company):
    # given
    log_in(client, company)
    booking = a_booking(company, payment_status="cash")

    # when
    response = client.post(reverse("staff:booking_payment", args=[booking.pk]), {"payment_status": "not_paid"})

    # then
    booking.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("staff:booking_list") + "?month=2026-11"
    assert booking.payment_status == "not_paid"
    assert BasisItem.objects.get(booking=booking).status == "open"


def test_an_unknown_payment_status_changes_nothing(client, company):
    # given
    log_in(client, company)
    booking = a_booking(company)

    # when
    response = client.post(reverse("staff:booking_payment", args=[booking.pk]), {"payment_status": "bitcoin"})

    # then
    booking.refresh_from_db()
    assert response.status_code == 400
    assert booking.payment_status == "not_paid"


def test_booking_page_tells_which_basis_source_the_company_uses(client, journal_company):
    # given
    log_in(client, journal_company, role="admin")

    # when
    html = client.get(reverse("staff:booking_list")).content.decode()

    # then
    assert "invoice basis is made from journal notes" in html
    assert "Bookings do not enter the basis." in html
    assert reverse("staff:company_settings") in html


def test_non_admins_are_told_who_can_change_the_basis_source(client, company):
    # given
    log_in(client, company)

    # when
    html = client.get(reverse("staff:booking_list")).content.decode()

    # then
    assert "invoice basis is made from bookings" in html
    assert "An administrator can change this in the settings." in html
    assert reverse("staff:company_settings") + "#invoicing" not in html


# --- journal notes -------------------------------------------------------------------------------


def test_journal_note_list_for_a_month_with_basis_states(client, journal_company):
    # given
    log_in(client, journal_company)
    billable = a_note(journal_company, noted_on=dt.date(2026, 11, 3), name="Billable")
    excluded = a_note(journal_company, noted_on=dt.date(2026, 11, 4), excluded=True, name="Excluded")
    a_note(journal_company, noted_on=dt.date(2026, 12, 1), name="December")

    # when
    response = client.get(reverse("staff:journal_note_list"), {"month": "2026-11"})

    # then
    rows = response.context["rows"]
    assert [row.pk for row in rows] == [billable.pk, excluded.pk]
    assert [row.basis.key for row in rows] == ["open", "none"]
    assert "Journal notes do not enter the basis." not in response.content.decode()


def test_create_journal_note_puts_it_in_the_basis(client, journal_company):
    # given
    log_in(client, journal_company)
    customer = PersonFactory(company=journal_company)
    contact = ContactTypeFactory(company=journal_company, unit_price=Decimal("500.00"))

    # when
    response = client.post(
        reverse("staff:journal_note_create"),
        {"customer": customer.pk, "contact_type": contact.pk, "noted_on": "2026-11-05", "text": "Follow-up"},
    )

    # then
    note = JournalNote.objects.get(company=journal_company)
    assert response.status_code == 302
    assert response.url == reverse("staff:journal_note_list") + "?month=2026-11"
    assert (note.noted_on, note.text) == (dt.date(2026, 11, 5), "Follow-up")
    assert BasisItem.objects.get(journal_note=note).unit_price == Decimal("500.0000")


def test_edit_journal_note_to_an_excluded_contact_type_takes_it_out_of_the_basis(client, journal_company):
    # given
    log_in(client, journal_company)
    note = a_note(journal_company)
    excluded = ContactTypeFactory(company=journal_company, is_excluded_from_invoicing=True)

    # when
    response = client.post(
        reverse("staff:journal_note_edit", args=[note.pk]),
        {"customer": note.customer_id, "contact_type": excluded.pk, "noted_on": "2026-11-10", "text": "Changed"},
    )

    # then
    note.refresh_from_db()
    item = BasisItem.objects.get(journal_note=note)
    assert response.status_code == 302
    assert note.text == "Changed"
    assert (item.status, item.removed_because) == ("removed", "excluded")


def test_a_journal_note_needs_a_date(client, journal_company):
    # given
    log_in(client, journal_company)
    customer = PersonFactory(company=journal_company)
    contact = ContactTypeFactory(company=journal_company)

    # when
    response = client.post(
        reverse("staff:journal_note_create"), {"customer": customer.pk, "contact_type": contact.pk, "noted_on": ""}
    )

    # then
    assert response.status_code == 400
    assert field_errors(response, "noted_on") == ["This field is required."]
    assert JournalNote.objects.count() == 0


# --- tenancy and roles ------------------------------------------------------------------------------


def test_another_companys_bookings_and_journal_notes_are_404(client, company):
    # given
    log_in(client, company)
    other = CompanyFactory()
    booking = a_booking(other)
    note = a_note(other)
    my_customer = PersonFactory(company=company)
    my_treatment = TreatmentTypeFactory(company=company)
    my_contact = ContactTypeFactory(company=company)
    booking_post = {
        "customer": my_customer.pk,
        "treatment_type": my_treatment.pk,
        "starts_at": "2026-11-01T09:00",
        "payment_status": "card",
    }
    note_post = {"customer": my_customer.pk, "contact_type": my_contact.pk, "noted_on": "2026-11-01", "text": "x"}

    # when
    responses = [
        client.get(reverse("staff:booking_edit", args=[booking.pk])),
        client.post(reverse("staff:booking_edit", args=[booking.pk]), booking_post),
        client.post(reverse("staff:booking_payment", args=[booking.pk]), {"payment_status": "card"}),
        client.get(reverse("staff:journal_note_edit", args=[note.pk])),
        client.post(reverse("staff:journal_note_edit", args=[note.pk]), note_post),
    ]

    # then
    booking.refresh_from_db()
    note.refresh_from_db()
    assert [r.status_code for r in responses] == [404] * 5
    assert (booking.payment_status, booking.customer.company_id) == ("not_paid", other.pk)
    assert (note.text, note.customer.company_id) == ("", other.pk)


def test_read_only_users_cannot_post_bookings_or_journal_notes(client, company):
    # given
    log_in(client, company, role="read_only")
    booking = a_booking(company)
    note = a_note(company)
    booking_post = {
        "customer": booking.customer_id,
        "treatment_type": booking.treatment_type_id,
        "starts_at": "2026-11-01T09:00",
        "payment_status": "card",
    }
    note_post = {
        "customer": note.customer_id,
        "contact_type": note.contact_type_id,
        "noted_on": "2026-11-01",
        "text": "x",
    }

    # when
    looks = [client.get(reverse("staff:booking_list")), client.get(reverse("staff:journal_note_list"))]
    posts = [
        client.post(reverse("staff:booking_create"), booking_post),
        client.post(reverse("staff:booking_edit", args=[booking.pk]), booking_post),
        client.post(reverse("staff:booking_payment", args=[booking.pk]), {"payment_status": "card"}),
        client.post(reverse("staff:journal_note_create"), note_post),
        client.post(reverse("staff:journal_note_edit", args=[note.pk]), note_post),
    ]

    # then
    booking.refresh_from_db()
    note.refresh_from_db()
    assert [r.status_code for r in looks] == [200, 200]
    assert [r.status_code for r in posts] == [403] * 5
    assert (Booking.objects.count(), JournalNote.objects.count()) == (1, 1)
    assert (booking.payment_status, note.text) == ("not_paid", "")
