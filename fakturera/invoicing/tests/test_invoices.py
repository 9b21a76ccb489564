"""From basis to issued, gap-free numbered invoices and credit notes (issue 2)."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.tests.factories import add_items
from fakturera.core.errors import DomainError, StateConflict
from fakturera.core.ocr import is_valid_ocr
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceVat, NumberSeries
from fakturera.invoicing.services import (
    credit_note_create,
    credit_remaining,
    invoice_delete_draft,
    invoice_issue,
    invoice_update_draft,
    invoices_register_from_basis,
)
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.invoicing.tests.factories import ISSUED_ON, draft_invoice, issued_invoice, line
from fakturera.parties.services import customer_update
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def next_number(company) -> int:
    return NumberSeries.objects.get(company=company).next_number


def test_register_makes_one_issued_invoice_per_customer_with_consecutive_numbers(company, admin_user):
    anna, bo, cilla = (PersonFactory(company=company, name=n) for n in ("Anna", "Bo", "Cilla"))
    add_items(company, anna, "100", "200")
    add_items(company, bo, "300")
    add_items(company, cilla, "50")

    invoices = invoices_register_from_basis(
        company=company, actor=admin_user, customer_ids=[anna.pk, bo.pk], issued_on=ISSUED_ON
    )

    assert sorted(i.number for i in invoices) == [1, 2]
    by_customer = {i.customer.name: Invoice.objects.get(pk=i.pk) for i in invoices}
    assert by_customer["Anna"].total_amount == Decimal("375.00")
    assert by_customer["Anna"].lines.count() == 2
    assert by_customer["Bo"].vat_amount == Decimal("75.00")
    assert all(i.status == InvoiceStatus.ISSUED and i.issued_on == ISSUED_ON for i in by_customer.values())
    assert by_customer["Bo"].due_on == dt.date(2026, 12, 20)
    assert BasisItem.objects.filter(customer=cilla, status=BasisItemStatus.OPEN).count() == 1
    assert not BasisItem.objects.filter(customer__in=[anna, bo], status=BasisItemStatus.OPEN).exists()
    assert next_number(company) == 3


def test_each_line_links_to_its_basis_item_and_the_item_is_not_invoiced_again(company, admin_user):
    client = PersonFactory(company=company)
    items = add_items(company, client, "100", "250")

    [invoice] = invoices_register_from_basis(company=company, actor=admin_user)

    assert [line.basis_item_id for line in invoice.lines.order_by("position")] == [i.pk for i in items]
    with pytest.raises(DomainError, match="nothing left to invoice"):
        invoices_register_from_basis(company=company, actor=admin_user)
    assert Invoice.objects.count() == 1
    assert next_number(company) == 2


def test_an_issued_invoice_carries_a_valid_ocr_reference(company, admin_user):
    company.has_ocr_length_digit = True
    company.save()
    add_items(company, PersonFactory(company=company), "100")

    [invoice] = invoices_register_from_basis(company=company, actor=admin_user)

    assert invoice.payment_reference == "133"  # base 1, length digit 3, Luhn check digit 3
    assert is_valid_ocr(invoice.payment_reference, with_length_digit=True)


def test_an_error_during_registering_consumes_no_number_and_writes_nothing(company, admin_user):
    add_items(company, PersonFactory(company=company), "100")
    add_items(company, PersonFactory(company=company), "200")

    with (
        # The last step, after the invoices, lines, VAT and history are written.
        mock.patch("fakturera.invoicing.services.basis_items_mark_invoiced", side_effect=RuntimeError("disk")),
        pytest.raises(RuntimeError),
    ):
        invoices_register_from_basis(company=company, actor=admin_user)

    assert Invoice.objects.count() == 0
    assert InvoiceLine.objects.count() == 0
    assert next_number(company) == 1
    assert BasisItem.objects.filter(status=BasisItemStatus.OPEN).count() == 2


def test_a_customer_whose_basis_mixes_currencies_is_refused(company, admin_user):
    client = PersonFactory(company=company)
    item, _other = add_items(company, client, "100", "5")
    BasisItem.objects.filter(pk=item.pk).update(currency="EUR")  # as an import might leave it

    with pytest.raises(DomainError, match="mixes currencies"):
        invoices_register_from_basis(company=company, actor=admin_user)
    assert Invoice.objects.count() == 0


def test_the_issued_invoice_keeps_both_parties_as_they_were(company, admin_user):
    org = OrganisationFactory(company=company, name="Acme AB", address_line1="Gamla gatan 1")
    add_items(company, org, "100")
    [invoice] = invoices_register_from_basis(company=company, actor=admin_user)

    customer_update(customer=org, name="Acme Group AB", address_line1="Nya gatan 9")
    company.name = "Renamed AB"
    company.save()

    invoice.refresh_from_db()
    assert invoice.buyer["name"] == "Acme AB"
    assert invoice.buyer["address_line1"] == "Gamla gatan 1"
    assert invoice.buyer["org_number"] == "556036-0793"
    assert invoice.seller["name"] != "Renamed AB"
    assert invoice.seller["bankgiro"] == "991-2346"


def test_draft_then_issue(company, admin_user):
    invoice = draft_invoice(
        company,
        admin_user,
        "450",
        quantity="2",
        description="Konsultation",
        payment_terms_days=10,
        buyer_reference="P-42",
    )
    assert invoice.number is None
    assert invoice.total_amount == Decimal("1125.00")

    invoice_update_draft(
        invoice=invoice,
        actor=admin_user,
        lines=[
            {"description": "Konsultation", "quantity": "1", "unit_price": "450", "vat_rate": "25"},
            {"description": "Bok", "quantity": "2", "unit_price": "199", "vat_rate": "6"},
        ],
    )
    issued = invoice_issue(invoice=invoice, actor=admin_user, issued_on=ISSUED_ON)

    assert issued.number == 1
    assert issued.due_on == dt.date(2026, 11, 30)
    assert issued.net_amount == Decimal("848.00")
    assert issued.vat_amount == Decimal("136.38")  # 112.50 + 23.88
    assert list(InvoiceVat.objects.filter(invoice=issued).values_list("vat_rate", "vat_amount")) == [
        (Decimal("25.00"), Decimal("112.50")),
        (Decimal("6.00"), Decimal("23.88")),
    ]
    assert [e.kind for e in issued.events.all()] == ["created", "edited", "issued"]


def test_issuing_an_invoice_twice_is_refused_and_uses_no_second_number(company, admin_user):
    invoice = draft_invoice(company, admin_user)
    invoice_issue(invoice=invoice, actor=admin_user)

    with pytest.raises(StateConflict):
        invoice_issue(invoice=invoice, actor=admin_user)
    assert next_number(company) == 2


def test_issued_invoices_cannot_be_changed_or_deleted(company, admin_user):
    invoice = invoice_issue(invoice=draft_invoice(company, admin_user), actor=admin_user)
    before = (invoice.total_amount, invoice.lines.count(), invoice.note)

    with pytest.raises(StateConflict, match="can no longer be changed"):
        invoice_update_draft(invoice=invoice, actor=admin_user, note="changed")
    with pytest.raises(StateConflict):
        invoice_update_draft(invoice=invoice, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])
    with pytest.raises(StateConflict):
        invoice_delete_draft(invoice=invoice, actor=admin_user)
    with pytest.raises(StateConflict):
        Invoice.objects.get(pk=invoice.pk).delete()

    invoice.refresh_from_db()
    assert (invoice.total_amount, invoice.lines.count(), invoice.note) == before


def test_a_draft_can_be_deleted_and_takes_no_number(company, admin_user):
    invoice = draft_invoice(company, admin_user)
    invoice_delete_draft(invoice=invoice, actor=admin_user)
    assert Invoice.objects.count() == 0
    assert next_number(company) == 1


def test_history_events_are_append_only(company, admin_user):
    invoice = draft_invoice(company, admin_user)
    event = InvoiceEvent.objects.get(invoice=invoice)
    event.params = {"text": "rewritten"}
    with pytest.raises(StateConflict):
        event.save()
    with pytest.raises(StateConflict):
        event.delete()


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"description": "x", "quantity": "0", "unit_price": "1", "vat_rate": "25"}, "lines.0.quantity"),
        ({"description": "x", "quantity": "1", "unit_price": "-1", "vat_rate": "25"}, "lines.0.unit_price"),
        ({"description": "x", "quantity": "1", "unit_price": "1", "vat_category": "Q"}, "lines.0.vat_category"),
        ({"description": "", "quantity": "1", "unit_price": "1", "vat_rate": "25"}, "lines.0.description"),
    ],
)
def test_a_bad_draft_line_writes_nothing(company, admin_user, line, field):
    with pytest.raises(DomainError) as exc:
        draft_invoice(company, admin_user, lines=[line])
    assert field in exc.value.errors
    assert Invoice.objects.count() == 0


def test_a_draft_in_an_unknown_currency_is_refused(company, admin_user):
    with pytest.raises(DomainError, match="not a currency"):
        draft_invoice(company, admin_user, currency="USD")
    assert Invoice.objects.count() == 0


def test_rounding_to_whole_units(company, admin_user):
    company.is_rounding_to_whole_units = True
    company.save()
    invoice = draft_invoice(company, admin_user, lines=[{"description": "x", "unit_price": "99.60", "vat_rate": "25"}])
    issued = invoice_issue(invoice=invoice, actor=admin_user)
    assert (issued.rounding_amount, issued.total_amount) == (Decimal("0.50"), Decimal("125.00"))


# --- credit notes -------------------------------------------------------------------------------


THERAPY_AND_BOOK = [
    line("Terapi", "950", quantity="3", vat_category="E", vat_rate="0"),
    line("Bok", "200", quantity="2", vat_rate="6"),
]


def test_a_full_credit_note_mirrors_the_invoice_and_marks_it_credited(company, admin_user):
    invoice = issued_invoice(company, admin_user, lines=THERAPY_AND_BOOK)

    note = credit_note_create(invoice=invoice, actor=admin_user, reason="Fel kund")

    invoice.refresh_from_db()
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.credited_invoice == invoice
    assert note.number == 2  # same gap-free series
    assert (note.net_amount, note.vat_amount, note.total_amount) == (
        invoice.net_amount,
        invoice.vat_amount,
        invoice.total_amount,
    )
    assert note.signed_total_amount == -invoice.total_amount
    assert invoice.status == InvoiceStatus.CREDITED
    assert describe(invoice.events.last()) == "Credited by credit note 2"
    with pytest.raises(StateConflict, match="already fully credited"):
        credit_note_create(invoice=invoice, actor=admin_user)


def test_partial_credits_never_exceed_what_is_left(company, admin_user):
    invoice = issued_invoice(company, admin_user, lines=THERAPY_AND_BOOK)
    terapi, bok = invoice.lines.order_by("position")

    first = credit_note_create(invoice=invoice, actor=admin_user, quantities={terapi.pk: Decimal("1")})
    assert first.total_amount == Decimal("950.00")
    assert credit_remaining(invoice) == {terapi.pk: Decimal("2.000"), bok.pk: Decimal("2.000")}

    with pytest.raises(DomainError, match="Only 2 of “Terapi” is left to credit"):
        credit_note_create(invoice=invoice, actor=admin_user, quantities={terapi.pk: Decimal("3")})
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
    assert next_number(company) == 3

    credit_note_create(invoice=invoice, actor=admin_user, quantities={terapi.pk: "2", bok.pk: "2"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED
    credited = sum(n.total_amount for n in invoice.credit_notes.all())
    assert credited == invoice.total_amount


def test_credit_refusals(company, admin_user):
    invoice = issued_invoice(company, admin_user, lines=THERAPY_AND_BOOK)
    other = issued_invoice(company, admin_user, lines=THERAPY_AND_BOOK)
    with pytest.raises(DomainError, match="not on invoice"):
        credit_note_create(invoice=invoice, actor=admin_user, quantities={other.lines.first().pk: "1"})
    with pytest.raises(DomainError, match="Choose at least one line"):
        credit_note_create(invoice=invoice, actor=admin_user, quantities={invoice.lines.first().pk: "0"})
    with pytest.raises(StateConflict, match="draft"):
        credit_note_create(invoice=draft_invoice(company, admin_user), actor=admin_user)
    note = credit_note_create(invoice=invoice, actor=admin_user, quantities={invoice.lines.first().pk: "1"})
    with pytest.raises(StateConflict, match="credit note cannot be credited"):
        credit_note_create(invoice=note, actor=admin_user)


def test_lines_outside_the_scope_of_vat_stand_alone(company, admin_user):
    with pytest.raises(DomainError, match="outside the scope of VAT"):
        draft_invoice(
            company,
            admin_user,
            lines=[
                {"description": "Avgift", "unit_price": "100", "vat_category": "O", "vat_rate": "0"},
                {"description": "Vara", "unit_price": "100", "vat_rate": "25"},
            ],
        )
    assert Invoice.objects.count() == 0
