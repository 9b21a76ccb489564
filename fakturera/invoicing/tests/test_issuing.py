"""One way to issue: every path goes through issuing.issue_documents, and the rules the UI
and the API ask are answered in one place (invoicing/rules.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from fakturera.billables.tests.factories import add_items
from fakturera.catalog.vat import VatKey
from fakturera.core import events
from fakturera.core.errors import StateConflict
from fakturera.invoicing import issuing
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED
from fakturera.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceVat, NumberSeries
from fakturera.invoicing.rules import credit_refusal, figures
from fakturera.invoicing.services import (
    DraftSpec,
    LineData,
    TotalsMemo,
    credit_note_create,
    invoice_create_draft,
    invoice_create_issued,
    invoice_drafts_create_many,
    invoice_issue,
    invoices_issue_drafts,
    invoices_register_from_basis,
)
from fakturera.invoicing.states import EventKind, InvoiceKind, InvoiceStatus
from fakturera.parties.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
LINE = {"description": "Konsultation", "quantity": "2", "unit_price": "450", "vat_rate": "25"}
ON = dt.date(2026, 11, 20)


def _draft(company, user, customer=None):
    return invoice_create_draft(
        company=company, customer=customer or PersonFactory(company=company), actor=user, lines=[LINE]
    )


def _issued_events(seen):
    return [e for e in seen if e.name == INVOICE_ISSUED]


def test_every_way_of_issuing_goes_through_issue_documents_and_announces_once(company, admin_user, monkeypatch):
    calls = []
    real = issuing.issue_documents

    def counting(**kwargs):
        calls.append(len(kwargs["docs"]))
        return real(**kwargs)

    # Each service looks the one function up where it lives; count what reaches it.
    monkeypatch.setattr("fakturera.invoicing.services.issue_documents", counting)
    anna, bo = PersonFactory(company=company), PersonFactory(company=company)
    add_items(company, anna, "100")
    add_items(company, bo, "200", "300")

    with events.recorded() as seen:
        one = invoice_issue(invoice=_draft(company, admin_user), actor=admin_user, issued_on=ON)
        new = invoice_create_issued(company=company, customer=anna, actor=admin_user, lines=[LINE], issued_on=ON)
        many = invoices_issue_drafts(
            company=company,
            actor=admin_user,
            invoice_ids=[_draft(company, admin_user).pk for _ in range(3)],
            issued_on=ON,
        )
        registered = invoices_register_from_basis(company=company, actor=admin_user, issued_on=ON)
        note = credit_note_create(invoice=one, actor=admin_user)

    assert calls == [1, 1, 3, 2, 1]
    issued = _issued_events(seen)
    assert [e["invoice_ids"] for e in issued] == [
        [one.pk],
        [new.pk],
        [d.pk for d in many],
        [i.pk for i in registered],
    ]
    # Each announcement's invoices are the issued documents, with their numbers.
    assert [[i.number for i in e["invoices"]] for e in issued] == [[1], [2], [3, 4, 5], [6, 7]]
    credited = [e for e in seen if e.name == INVOICE_CREDITED]
    assert len(credited) == 1
    assert credited[0]["credit_note"].pk == note.pk
    assert credited[0]["is_full"] is True
    # The series moved on by exactly what was issued: eight documents, numbers 1 to 8.
    assert NumberSeries.objects.get(company=company).next_number == 9
    assert sorted(Invoice.objects.filter(company=company).exclude(number=None).values_list("number", flat=True)) == [
        *range(1, 9)
    ]


def test_every_issued_document_gets_its_vat_breakdown_and_one_issued_event(company, admin_user):
    anna = PersonFactory(company=company)
    add_items(company, anna, "100")
    ids = [
        invoice_issue(invoice=_draft(company, admin_user), actor=admin_user).pk,
        invoice_create_issued(company=company, customer=anna, actor=admin_user, lines=[LINE]).pk,
        *(
            d.pk
            for d in invoices_issue_drafts(
                company=company, actor=admin_user, invoice_ids=[_draft(company, admin_user).pk]
            )
        ),
        *(i.pk for i in invoices_register_from_basis(company=company, actor=admin_user)),
    ]
    for pk in ids:
        assert InvoiceVat.objects.filter(invoice_id=pk).count() == 1
        assert InvoiceEvent.objects.filter(invoice_id=pk, kind=EventKind.ISSUED).count() == 1
        invoice = Invoice.objects.get(pk=pk)
        assert invoice.due_on == invoice.issued_on + dt.timedelta(days=invoice.payment_terms_days)
        assert invoice.payment_reference
        assert invoice.seller["name"] == company.name


def test_a_draft_issued_meanwhile_fails_the_whole_batch_and_takes_no_number(company, admin_user):
    drafts = [_draft(company, admin_user) for _ in range(3)]
    doc = issuing.ToIssue(
        kind=InvoiceKind.INVOICE,
        terms_days=30,
        totals=TotalsMemo(round_to_whole=False).totals([(Decimal(2), Decimal(450), VatKey("S", Decimal(25)))], "SEK"),
        buyer={},
        currency="SEK",
        draft={"id": drafts[0].pk},
    )
    invoice_issue(invoice=drafts[0], actor=admin_user)  # number 1
    with pytest.raises(StateConflict), transaction.atomic():
        issuing.issue_documents(company=company, actor=admin_user, docs=[doc])
    assert NumberSeries.objects.get(company=company).next_number == 2


def test_a_rolled_back_issue_announces_to_no_one_after_commit(company, admin_user):
    seen = []
    events.subscribe(INVOICE_ISSUED, seen.append, when=events.ON_COMMIT)
    try:
        draft = _draft(company, admin_user)

        def issue_then_fail():
            with transaction.atomic():
                invoice_issue(invoice=draft, actor=admin_user)
                raise RuntimeError

        with pytest.raises(RuntimeError):
            issue_then_fail()
        assert seen == []
        draft.refresh_from_db()
        assert draft.status == InvoiceStatus.DRAFT
    finally:
        events.unsubscribe(INVOICE_ISSUED, seen.append)


def test_drafts_created_many_at_once_come_back_in_order_with_lines_and_history(company, admin_user):
    anna, bo = PersonFactory(company=company), PersonFactory(company=company)
    memo = TotalsMemo(round_to_whole=False)
    key = memo.vat_key("S", Decimal("25.00"))
    lines = [
        LineData("Abonnemang", Decimal(1), Decimal("199.00"), key, period_start=ON, period_end=ON),
        LineData("Support", Decimal(2), Decimal("50.00"), key),
    ]
    totals = memo.totals(((line.quantity, line.unit_price, line.vat_key) for line in lines), "SEK")
    specs = [
        DraftSpec(
            company_id=company.pk,
            customer_id=customer.pk,
            currency="SEK",
            language="sv",
            payment_terms_days=20,
            totals=totals,
            lines=lines,
            history={"recurring_name": f"Made for {customer.pk}"},
        )
        for customer in (anna, bo, anna)
    ]
    with transaction.atomic():
        ids = invoice_drafts_create_many(specs=specs, actor=admin_user)
    assert len(set(ids)) == 3
    drafts = Invoice.objects.in_bulk(ids)
    assert [drafts[pk].customer_id for pk in ids] == [anna.pk, bo.pk, anna.pk]
    assert all(drafts[pk].status == InvoiceStatus.DRAFT and drafts[pk].total_amount == Decimal("373.75") for pk in ids)
    assert list(InvoiceLine.objects.filter(invoice_id=ids[1]).values_list("position", "net_amount")) == [
        (1, Decimal("199.00")),
        (2, Decimal("100.00")),
    ]
    assert [
        e.params["recurring_name"] for e in InvoiceEvent.objects.filter(invoice_id__in=ids).order_by("invoice_id")
    ] == [
        f"Made for {anna.pk}",
        f"Made for {bo.pk}",
        f"Made for {anna.pk}",
    ]
    # They issue like any draft.
    issued = invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=ids)
    assert [d.number for d in issued] == [1, 2, 3]


def test_credit_refusal_is_one_rule_for_ui_api_and_service(company, admin_user):
    draft = _draft(company, admin_user)
    assert credit_refusal(draft) == "A draft is not credited; change or delete it instead."
    invoice = invoice_issue(invoice=draft, actor=admin_user)
    assert credit_refusal(invoice) == ""
    note = credit_note_create(invoice=invoice, actor=admin_user)
    invoice.refresh_from_db()
    assert credit_refusal(note) == "A credit note cannot be credited."
    assert credit_refusal(invoice) == f"Invoice {invoice.display_number} is already fully credited."
    with pytest.raises(StateConflict, match="already fully credited"):
        credit_note_create(invoice=invoice, actor=admin_user)


def test_figures_of_a_draft_follow_the_rule_and_of_an_issued_invoice_what_is_stored(company, admin_user):
    draft = _draft(company, admin_user)
    lines = list(draft.lines.all())
    shown = figures(draft, lines, [], round_to_whole=True)
    assert shown.line_amounts == (Decimal("900.00"),)
    assert (shown.vat_amount, shown.rounding_amount, shown.total_amount) == (
        Decimal("225.00"),
        Decimal("0.00"),
        Decimal("1125.00"),
    )
    issued = invoice_issue(invoice=draft, actor=admin_user)
    # Stored amounts are shown as stored, whatever the setting says now.
    Invoice.objects.filter(pk=issued.pk).update(total_amount=Decimal("1.00"))
    issued.refresh_from_db()
    stored = figures(issued, list(issued.lines.all()), list(issued.vat_breakdown.all()), round_to_whole=True)
    assert stored.total_amount == Decimal("1.00")
    assert [(v.key.category, v.vat_amount) for v in stored.vat] == [("S", Decimal("225.00"))]


def test_the_invoices_own_address_is_checked_set_and_recorded_by_invoicing(company, admin_user):
    from fakturera.core.errors import DomainError
    from fakturera.invoicing.services import invoice_email_set

    invoice = invoice_issue(invoice=_draft(company, admin_user), actor=admin_user)
    with pytest.raises(DomainError, match="valid e-mail") as refused:
        invoice_email_set(invoice=invoice, actor=admin_user, email="ekonomi at firma")
    assert refused.value.field == "email"
    # Valid in form but longer than the column: refused with the limit, not a database error.
    with pytest.raises(DomainError, match="At most 254 characters"):
        invoice_email_set(invoice=invoice, actor=admin_user, email="a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".se")
    invoice.refresh_from_db()
    assert invoice.email == ""

    invoice_email_set(invoice=invoice, actor=admin_user, email=" ekonomi@firma.example ")
    invoice.refresh_from_db()
    assert invoice.email == "ekonomi@firma.example"
    edited = InvoiceEvent.objects.filter(invoice=invoice, kind=EventKind.EDITED).get()
    assert edited.params == {"changed": ["email"]}
    assert edited.actor == admin_user
    invoice_email_set(invoice=invoice, actor=admin_user, email="")
    invoice.refresh_from_db()
    assert invoice.email == ""
