"""Invoice pages: the list, the invoice page and its history, drafts, issuing, crediting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from fakturera.billables.tests.factories import add_lines, customer_with_items
from fakturera.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, NumberSeries
from fakturera.invoicing.services import credit_note_create, invoices_register_from_basis
from fakturera.invoicing.tests.factories import (
    ISSUED_ON,
    basis_registered,
    draft_invoice,
    exchange_rates,
    issued_invoice,
)
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _state(invoice: Invoice) -> tuple:
    """What an issued invoice is, to assert that a refused action changed none of it."""
    row = Invoice.objects.get(pk=invoice.pk)
    return (
        row.status,
        row.number,
        row.issued_on,
        row.net_amount,
        row.vat_amount,
        row.total_amount,
        row.buyer_reference,
        list(row.lines.values_list("description", "quantity", "unit_price", "net_amount")),
        row.events.count(),
        Invoice.objects.filter(company=row.company).count(),
        NumberSeries.objects.get(company=row.company).next_number,
    )


def _draft_data(customer_pk: int | None = None, lines: list[dict[str, str]] | None = None, **header: str) -> dict:
    lines = lines if lines is not None else [{"description": "Konsultation", "quantity": "2", "unit_price": "1000"}]
    data = {
        "currency": "SEK",
        "payment_terms_days": "",
        "buyer_reference": "",
        "order_reference": "",
        "seller_reference": "",
        "email": "",
        "note": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **header,
    }
    if customer_pk is not None:
        data["customer"] = str(customer_pk)
    for index, line in enumerate(lines):
        row = {"description": "", "quantity": "1", "unit": "st", "unit_price": "", "vat": "S:25", **line}
        data.update({f"lines-{index}-{name}": value for name, value in row.items()})
    return data


def _credit_url(invoice: Invoice) -> str:
    return reverse("staff:invoice_credit", args=[invoice.pk])


# --- list -----------------------------------------------------------------------------------------------


def test_list_shows_credit_notes_negative_and_filters(company):
    # Given two invoices, one of them partly credited
    client, user = staff_client(company, role="read_only")
    first = basis_registered(company, user, "1000", name="Anna Berg")
    second = basis_registered(company, user, "400", name="Bo Ek")
    line = first.lines.get()
    note = credit_note_create(invoice=first, actor=user, quantities={line.pk: Decimal("0.5")}, reason="Fel pris")

    # When the list is opened, then filtered to credit notes, to Bo, and searched by number
    everything = client.get(reverse("staff:invoice_list"))
    credit_notes = client.get(reverse("staff:invoice_list"), {"kind": "credit_note"})
    bo = client.get(reverse("staff:invoice_list"), {"customer": second.customer_id})
    searched = client.get(reverse("staff:invoice_list"), {"q": str(second.number)})

    # Then the credit note shows with a minus sign, and each filter narrows the list
    assert [i.pk for i in everything.context["page"].object_list] == [note.pk, second.pk, first.pk]
    html = everything.content.decode()
    assert "-SEK625.00" in html
    assert "SEK1,250.00" in html
    assert [i.pk for i in credit_notes.context["page"].object_list] == [note.pk]
    assert [i.pk for i in bo.context["page"].object_list] == [second.pk]
    assert [i.pk for i in searched.context["page"].object_list] == [second.pk]


def test_list_filters_by_status_dates_and_overdue(company):
    # Given an issued invoice from November and a draft
    client, user = staff_client(company)
    issued = basis_registered(company, user, "100")
    draft = draft_invoice(company, user, "10", description="X")

    # When filtered by status, by date and to overdue invoices after the due date
    drafts = client.get(reverse("staff:invoice_list"), {"status": "draft"})
    december = client.get(reverse("staff:invoice_list"), {"issued_from": "2026-12-01"})
    november = client.get(reverse("staff:invoice_list"), {"issued_from": "2026-11-01", "issued_to": "2026-11-30"})
    with time_machine.travel(dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC)):
        client.force_login(user)  # the session of today would have expired by then
        overdue = client.get(reverse("staff:invoice_list"), {"overdue": "on"})

    # Then
    assert [i.pk for i in drafts.context["page"].object_list] == [draft.pk]
    assert list(december.context["page"].object_list) == []
    assert [i.pk for i in november.context["page"].object_list] == [issued.pk]
    assert [i.pk for i in overdue.context["page"].object_list] == [issued.pk]


def test_list_pages_by_fifty(company):
    # Given 51 registered invoices
    client, user = staff_client(company)
    for _ in range(51):
        customer_with_items(company, "10")
    invoices_register_from_basis(company=company, actor=user, issued_on=ISSUED_ON)

    # When the first and second pages are opened, with a filter kept
    first = client.get(reverse("staff:invoice_list"), {"kind": "invoice"})
    second = client.get(reverse("staff:invoice_list"), {"kind": "invoice", "page": "2"})

    # Then 50 and 1 are shown, newest first, and the next link keeps the filter
    assert [i.number for i in first.context["page"].object_list] == list(range(51, 1, -1))
    assert [i.number for i in second.context["page"].object_list] == [1]
    assert "?kind=invoice&amp;page=2" in first.content.decode()


# --- the invoice page -----------------------------------------------------------------------------------


def test_issued_invoice_page_shows_facts_parties_lines_vat_and_no_edit(company):
    # Given an invoice with lines at 25 % and 6 %, the customer renamed after issuing
    client, user = staff_client(company)
    customer, _ = customer_with_items(company, "1000", name="Anna Berg")
    add_lines(company, customer, "199", vat=("S", "6"))
    (invoice,) = invoices_register_from_basis(
        company=company, actor=user, customer_ids=[customer.pk], issued_on=ISSUED_ON
    )
    customer.name = "Anna Renamed"
    customer.save()

    # When its page is opened
    response = client.get(reverse("staff:invoice_detail", args=[invoice.pk]))

    # Then the facts, the parties as issued, the VAT per rate and the totals are shown, and no edit/delete
    html = response.content.decode()
    assert invoice.payment_reference in html
    assert "2026-12-20" in html  # due in 30 days
    assert reverse("staff:customer_detail", args=[customer.pk]) in html
    assert "Anna Berg" in html  # the buyer as issued
    assert company.name in html
    assert company.org_number in html
    assert [(row["key"].rate, row["taxable_amount"], row["vat_amount"]) for row in response.context["vat_rows"]] == [
        (Decimal("25.00"), Decimal("1000.00"), Decimal("250.00")),
        (Decimal("6.00"), Decimal("199.00"), Decimal("11.94")),
    ]
    assert "SEK1,460.94" in html
    assert "Rounding" not in html
    assert reverse("staff:invoice_edit", args=[invoice.pk]) not in html
    assert reverse("staff:invoice_delete", args=[invoice.pk]) not in html
    assert reverse("staff:invoice_credit", args=[invoice.pk]) in html


def test_a_euro_invoice_shows_its_vat_in_sek_with_the_rate(company):
    # Given a euro invoice with 25 % VAT issued at 11.4321 SEK/EUR
    client, user = staff_client(company)
    exchange_rates(company)
    invoice = issued_invoice(company, user, "1000", currency="EUR")

    # When its page is opened
    page = client.get(reverse("staff:invoice_detail", args=[invoice.pk])).content.decode()

    # Then the VAT in SEK is under the VAT, with its rate and date
    assert "VAT in SEK (rate 11.4321 SEK/EUR, 2026-11-20)" in page
    assert "2,858.03" in page


def test_rounding_line_shows_when_the_company_rounds(company):
    # Given a company rounding to whole kronor and an invoice of 100.10 + 25 %
    company.is_rounding_to_whole_units = True
    company.save()
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100.10")

    # When its page is opened
    response = client.get(reverse("staff:invoice_detail", args=[invoice.pk]))

    # Then the rounding is its own line and the total is whole
    assert response.context["figures"]["rounding_amount"] == Decimal("-0.13")
    assert response.context["figures"]["total_amount"] == Decimal("125.00")
    assert "Rounding" in response.content.decode()


def test_history_tab_lists_the_events(company):
    # Given an invoice that was issued and partly credited
    client, user = staff_client(company)
    user.first_name, user.last_name = "Eva", "Ek"
    user.save()
    invoice = basis_registered(company, user, "100", "200")
    note = credit_note_create(invoice=invoice, actor=user, quantities={invoice.lines.first().pk: "1"})

    # When the History tab is loaded with htmx, and opened as a page
    fragment = client.get(reverse("staff:invoice_history", args=[invoice.pk]), **HTMX)
    page = client.get(reverse("staff:invoice_history", args=[invoice.pk]))

    # Then both events show with actor, kind, message and details
    assert [(e.kind, e.actor) for e in fragment.context["events"]] == [("issued", user), ("credited", user)]
    html = fragment.content.decode()
    assert "<html" not in html
    assert "Eva Ek" in html
    assert "Registered from the basis" in html
    assert f"Credited by credit note {note.display_number}" in html
    assert "Fully credited" in html
    assert 'id="invoice-tabs" hx-swap-oob="true"' in html
    assert "<html" in page.content.decode()
    assert "Registered from the basis" in page.content.decode()


# --- drafts ---------------------------------------------------------------------------------------------


def test_create_draft_with_lines(company):
    # Given a customer
    client, user = staff_client(company)
    customer = PersonFactory(company=company)

    # When a draft with two lines (one added with "Add row") is saved
    response = client.post(
        reverse("staff:invoice_create"),
        _draft_data(
            customer.pk,
            lines=[
                {"description": "Konsultation", "quantity": "2", "unit_price": "1000"},
                {"description": "Bok", "quantity": "1", "unit_price": "99,50", "vat": "S:6"},
                {},  # an untouched extra row is left out
            ],
            buyer_reference="P-77",
        ),
    )

    # Then the draft holds both lines with exact totals, and its page opens
    invoice = Invoice.objects.get(company=company)
    assert response.url == reverse("staff:invoice_detail", args=[invoice.pk])
    assert (invoice.status, invoice.number, invoice.customer, invoice.created_by, invoice.buyer_reference) == (
        "draft",
        None,
        customer,
        user,
        "P-77",
    )
    assert list(invoice.lines.values_list("description", "quantity", "unit_price", "vat_rate", "net_amount")) == [
        ("Konsultation", Decimal("2.000"), Decimal("1000.0000"), Decimal("25.00"), Decimal("2000.00")),
        ("Bok", Decimal("1.000"), Decimal("99.5000"), Decimal("6.00"), Decimal("99.50")),
    ]
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        Decimal("2099.50"),
        Decimal("505.97"),
        Decimal("2605.47"),
    )
    page = client.get(response.url)
    assert reverse("staff:invoice_edit", args=[invoice.pk]) in page.content.decode()


def test_create_draft_with_bad_lines_shows_errors_per_line_and_writes_nothing(company):
    # Given a customer
    client, _user = staff_client(company)
    customer = PersonFactory(company=company)

    # When a draft is saved with a zero quantity on line 1 and an unknown VAT on line 2
    response = client.post(
        reverse("staff:invoice_create"),
        _draft_data(
            customer.pk,
            lines=[
                {"description": "A", "quantity": "0", "unit_price": "10"},
                {"description": "B", "quantity": "1", "unit_price": "10", "vat": "Q:0"},
            ],
        ),
    )

    # Then each row shows its message and no invoice exists
    forms = response.context["formset"].forms
    assert forms[0].errors["quantity"] == ["The quantity must be more than zero."]
    assert forms[1].errors["vat"] == ["“Q” is not a VAT category; use one of S, Z, E, AE, K, G, O."]
    assert not Invoice.objects.exists()


def test_create_draft_without_lines_is_refused(company):
    client, _user = staff_client(company)
    customer = PersonFactory(company=company)

    response = client.post(reverse("staff:invoice_create"), _draft_data(customer.pk, lines=[{}]))

    assert response.context["form"].non_field_errors() == ["An invoice needs at least one line."]
    assert not Invoice.objects.exists()


def test_create_draft_for_another_companys_customer_is_refused(company):
    client, _user = staff_client(company)
    theirs = PersonFactory(company=CompanyFactory())

    response = client.post(reverse("staff:invoice_create"), _draft_data(theirs.pk))

    assert "customer" in response.context["form"].errors
    assert not Invoice.objects.exists()


def test_edit_draft_replaces_lines_and_records_it(company):
    # Given a draft with one line
    client, user = staff_client(company)
    draft = draft_invoice(company, user, "100", description="Old")

    # When its edit page is opened and saved with a changed line and reference
    page = client.get(reverse("staff:invoice_edit", args=[draft.pk]))
    data = _draft_data(lines=[{"description": "New", "quantity": "3", "unit_price": "80"}], order_reference="PO-1")
    data["lines-INITIAL_FORMS"] = "1"
    response = client.post(reverse("staff:invoice_edit", args=[draft.pk]), data)

    # Then the draft holds the new line and totals, and its history says what changed
    assert 'value="Old"' in page.content.decode()
    assert response.url == reverse("staff:invoice_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert list(draft.lines.values_list("description", "quantity", "net_amount")) == [
        ("New", Decimal("3.000"), Decimal("240.00"))
    ]
    assert (draft.order_reference, draft.total_amount) == ("PO-1", Decimal("300.00"))
    event = draft.events.get(kind="edited")
    assert (event.actor, event.params) == (user, {"changed": ["order_reference", "lines"]})


def test_issue_draft_gives_it_the_next_number(company):
    # Given a draft, the series at 500
    NumberSeries.objects.filter(company=company).update(next_number=500)
    client, user = staff_client(company)
    draft = draft_invoice(company, user, "100", description="A")

    # When it is issued through the confirmation page
    confirm = client.get(reverse("staff:invoice_issue", args=[draft.pk]))
    response = client.post(reverse("staff:invoice_issue", args=[draft.pk]), {"issued_on": "2026-11-20"})

    # Then it is issued with number 500, the date asked, a due date and an OCR reference
    assert confirm.status_code == 200
    assert "Issue invoice" in confirm.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.issued_on, draft.due_on) == (
        "issued",
        500,
        ISSUED_ON,
        dt.date(2026, 12, 20),
    )
    assert draft.payment_reference.startswith("500")
    assert draft.vat_breakdown.get().vat_amount == Decimal("25.00")
    assert messages_of(response) == ["Invoice 500 issued."]


def test_delete_draft(company):
    client, user = staff_client(company)
    draft = draft_invoice(company, user, "100", description="A")

    confirm = client.get(reverse("staff:invoice_delete", args=[draft.pk]))
    response = client.post(reverse("staff:invoice_delete", args=[draft.pk]))

    assert "Delete draft" in confirm.content.decode()
    assert response.url == reverse("staff:invoice_list")
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_issued_invoice_cannot_be_edited_deleted_or_issued_again(company):
    # Given an issued invoice
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100")
    before = _state(invoice)
    message = f"Invoice {invoice.display_number} is issued and can no longer be changed; credit it instead."

    # When its edit, delete and issue URLs are posted to anyway
    edit = client.post(
        reverse("staff:invoice_edit", args=[invoice.pk]),
        _draft_data(lines=[{"description": "X", "quantity": "9", "unit_price": "9"}], buyer_reference="hacked"),
        follow=True,
    )
    delete = client.post(reverse("staff:invoice_delete", args=[invoice.pk]), follow=True)
    issue = client.post(reverse("staff:invoice_issue", args=[invoice.pk]), {"issued_on": "2026-12-01"}, follow=True)
    edit_page = client.get(reverse("staff:invoice_edit", args=[invoice.pk]), follow=True)

    # Then each is refused with a clear message and the invoice is exactly as it was
    assert edit.redirect_chain == [(reverse("staff:invoice_detail", args=[invoice.pk]), 302)]
    assert [str(m) for m in edit.context["messages"]] == [message]
    assert [str(m) for m in delete.context["messages"]] == [message]
    assert [str(m) for m in issue.context["messages"]] == [message]
    assert [str(m) for m in edit_page.context["messages"]] == [message]
    assert _state(invoice) == before


# --- crediting ------------------------------------------------------------------------------------------


def test_partial_then_full_credit_through_the_form(company):
    # Given an invoice of 4 sessions at 100
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100", quantity=Decimal("4"))
    sessions = invoice.lines.get()

    # When the form offers all 4, and 1 session is credited
    form_page = client.get(_credit_url(invoice))
    first = client.post(_credit_url(invoice), {f"line_{sessions.pk}": "1", "reason": "Avbokad tid"})

    # Then a credit note for 1 x 100 + 25 % exists and the form now offers 3
    assert form_page.context["form"].fields[f"line_{sessions.pk}"].initial == "4"
    note = Invoice.objects.get(credited_invoice=invoice)
    assert first.url == reverse("staff:invoice_detail", args=[note.pk])
    assert (note.kind, note.status, note.total_amount, note.credit_reason) == (
        "credit_note",
        "issued",
        Decimal("125.00"),
        "Avbokad tid",
    )
    assert note.signed_total_amount == Decimal("-125.00")
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert client.get(_credit_url(invoice)).context["form"].fields[f"line_{sessions.pk}"].initial == "3"

    # When the remaining 3 are credited
    last = client.post(_credit_url(invoice), {f"line_{sessions.pk}": "3", "reason": ""}, follow=True)

    # Then the invoice is fully credited and can no longer be credited
    invoice.refresh_from_db()
    assert invoice.status == "credited"
    assert [str(m) for m in last.context["messages"]] == ["Credit note 3 created for invoice 1."]
    assert sorted(Invoice.objects.filter(credited_invoice=invoice).values_list("total_amount", flat=True)) == [
        Decimal("125.00"),
        Decimal("375.00"),
    ]
    again = client.get(_credit_url(invoice), follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        f"Invoice {invoice.display_number} is already fully credited."
    ]
    page = client.get(reverse("staff:invoice_detail", args=[invoice.pk]))
    assert [n.number for n in page.context["credit_notes"]] == [3, 2]
    note_page = client.get(reverse("staff:invoice_detail", args=[note.pk]))
    assert reverse("staff:invoice_detail", args=[invoice.pk]) in note_page.content.decode()


def test_credit_more_than_is_left_is_refused_per_line_and_writes_nothing(company):
    # Given an invoice of 2 x 100 of which 1 was credited
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100", quantity=Decimal("2"))
    line = invoice.lines.get()
    credit_note_create(invoice=invoice, actor=user, quantities={line.pk: Decimal("1")})
    before = _state(invoice)

    # When 2 more are asked for
    response = client.post(_credit_url(invoice), {f"line_{line.pk}": "2", "reason": ""})

    # Then the line says how much is left and nothing was written
    assert response.status_code == 200
    assert response.context["form"].errors[f"line_{line.pk}"] == ["Only 1 of “Session 1” is left to credit."]
    assert "Only 1 of “Session 1” is left to credit." in response.content.decode()
    assert _state(invoice) == before


def test_credit_with_nothing_chosen_is_refused(company):
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100")
    line = invoice.lines.get()
    before = _state(invoice)

    response = client.post(_credit_url(invoice), {f"line_{line.pk}": "0", "reason": ""})

    assert response.context["form"].non_field_errors() == ["Choose at least one line and quantity to credit."]
    assert _state(invoice) == before


def test_credit_fully_shortcut(company):
    # Given an invoice with two lines, one partly credited
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100", "50", quantity=Decimal("2"))
    first_line = invoice.lines.order_by("position").first()
    credit_note_create(invoice=invoice, actor=user, quantities={first_line.pk: Decimal("1")})

    # When "Credit fully" is pressed (the typed quantities do not matter)
    response = client.post(_credit_url(invoice), {f"line_{first_line.pk}": "", "full": "1", "reason": "Fel kund"})

    # Then what was left is credited: 1 x 100 + 2 x 50, plus VAT
    note = Invoice.objects.filter(credited_invoice=invoice).order_by("-pk").first()
    assert response.url == reverse("staff:invoice_detail", args=[note.pk])
    assert list(note.lines.values_list("quantity", "net_amount")) == [
        (Decimal("1.000"), Decimal("100.00")),
        (Decimal("2.000"), Decimal("100.00")),
    ]
    assert note.total_amount == Decimal("250.00")
    invoice.refresh_from_db()
    assert invoice.status == "credited"


def test_credit_note_and_draft_cannot_be_credited(company):
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100")
    note = credit_note_create(invoice=invoice, actor=user, quantities=None)
    before = _state(note)

    response = client.post(_credit_url(note), {"reason": "x"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == ["A credit note cannot be credited."]
    assert _state(note) == before


# --- companies apart, roles ------------------------------------------------------------------------------


def test_another_companys_invoice_is_404_everywhere(company):
    # Given company B's issued invoice and draft, and a user of company A
    client, _user = staff_client(company)
    other = CompanyFactory()
    _their_client, their_user = staff_client(other)
    their_invoice = basis_registered(other, their_user, "100")
    their_draft = draft_invoice(other, their_user, "100", description="A")
    before = (_state(their_invoice), _state(their_draft))
    line = their_invoice.lines.get()

    # When A's user opens or posts to any of B's invoice URLs
    statuses = []
    for target in (their_invoice, their_draft):
        for name in (
            "invoice_detail",
            "invoice_history",
            "invoice_edit",
            "invoice_issue",
            "invoice_delete",
            "invoice_credit",
        ):
            url = reverse(f"staff:{name}", args=[target.pk])
            statuses.append(client.get(url).status_code)
            if name not in ("invoice_detail", "invoice_history"):
                statuses.append(client.post(url, {f"line_{line.pk}": "1", "issued_on": "2026-11-20"}).status_code)
    listed = client.get(reverse("staff:invoice_list"), {"customer": their_invoice.customer_id})

    # Then every one is a 404, B's invoices do not appear in A's list, and nothing changed
    assert statuses == [404] * len(statuses)
    assert list(listed.context["page"].object_list) == []
    assert (_state(their_invoice), _state(their_draft)) == before


def test_read_only_user_may_look_but_gets_403_on_every_post(company):
    # Given a read-only user, an issued invoice and a draft
    client, _user = staff_client(company, role="read_only")
    _accountant_client, accountant = staff_client(company)
    invoice = basis_registered(company, accountant, "100")
    draft = draft_invoice(company, accountant, "100", customer=invoice.customer, description="A")
    before = (_state(invoice), _state(draft))
    line = invoice.lines.get()

    # When they look, then post
    looks = [
        client.get(reverse("staff:invoice_list")).status_code,
        client.get(reverse("staff:invoice_detail", args=[invoice.pk])).status_code,
        client.get(reverse("staff:invoice_history", args=[invoice.pk])).status_code,
    ]
    posts = [
        client.post(reverse("staff:invoice_create"), _draft_data(invoice.customer_id)).status_code,
        client.post(reverse("staff:invoice_edit", args=[draft.pk]), _draft_data()).status_code,
        client.post(reverse("staff:invoice_issue", args=[draft.pk]), {"issued_on": "2026-11-20"}).status_code,
        client.post(reverse("staff:invoice_delete", args=[draft.pk])).status_code,
        client.post(_credit_url(invoice), {f"line_{line.pk}": "1"}).status_code,
    ]
    page = client.get(reverse("staff:invoice_detail", args=[draft.pk])).content.decode()

    # Then looking works, every post is 403, no action button is offered, and nothing changed
    assert looks == [200, 200, 200]
    assert posts == [403] * 5
    assert reverse("staff:invoice_issue", args=[draft.pk]) not in page
    assert (_state(invoice), _state(draft)) == before
    assert InvoiceLine.objects.filter(invoice__company=company).count() == 2
    assert InvoiceEvent.objects.filter(invoice__company=company).count() == 2


# --- in the browser ---------------------------------------------------------------------------------------


@pytest.mark.browser
def test_credit_part_of_an_invoice_in_the_browser(staff_page):
    # Given an issued invoice of 3 sessions at 400
    page, company, user = staff_page
    invoice = basis_registered(company, user, "400", quantity=Decimal("3"), name="Greta Gran")
    line = invoice.lines.get()

    # When the invoice is opened, Credit pressed, 2 of the 3 entered and submitted
    page.goto(f"/invoices/{invoice.pk}/")
    page.click("#credit-invoice")
    page.fill(f"#id_line_{line.pk}", "2")
    page.fill("#id_reason", "Två avbokade tider")
    page.click("#credit-selected")

    # Then the new credit note's page shows, crediting the invoice for 2 x 400 + 25 %
    page.wait_for_selector("#credited-invoice")
    assert "Credit note" in page.locator("h1").inner_text()
    assert page.locator("#credited-invoice").inner_text() == invoice.display_number
    assert "SEK1,000.00" in page.locator("#invoice-totals").inner_text()
    note = Invoice.objects.get(credited_invoice=invoice)
    assert (note.total_amount, note.credit_reason) == (Decimal("1000.00"), "Två avbokade tider")

    # When its History tab is clicked
    page.click("#history-tab")
    page.wait_for_selector("#invoice-history")

    # Then the event is there, loaded without leaving the page
    assert f"Credit note for invoice {invoice.display_number}" in page.locator("#invoice-history").inner_text()
    assert page.url.endswith(f"/invoices/{note.pk}/history/")


def test_the_invoices_own_address_is_refused_with_a_message_when_it_is_no_address(company):
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "100.00")
    url = reverse("staff:invoice_email", args=[invoice.pk])

    refused = client.post(url, {"email": "ekonomi at firma"}, follow=True)
    assert "Enter a valid e-mail address." in messages_of(refused)
    invoice.refresh_from_db()
    assert invoice.email == ""

    taken = client.post(url, {"email": "ekonomi@firma.example"}, follow=True)
    assert "The invoice goes to ekonomi@firma.example." in messages_of(taken)
    invoice.refresh_from_db()
    assert invoice.email == "ekonomi@firma.example"
