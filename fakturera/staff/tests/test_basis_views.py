"""The basis tab (seed 001, "Underlag"): review, edit, add, remove, Register."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.services import booking_create
from fakturera.billables.tests.factories import customer_with_items
from fakturera.catalog.tests.factories import ProductFactory, TreatmentTypeFactory
from fakturera.invoicing.models import Invoice, InvoiceLine, NumberSeries
from fakturera.invoicing.tests.factories import ISSUED_ON
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _open_items(company) -> list[BasisItem]:
    return list(BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN).order_by("pk"))


def _snapshot(company) -> list[tuple]:
    """Everything registering or editing could change, to assert that nothing did."""
    items = BasisItem.objects.filter(company=company).order_by("pk")
    return [
        *items.values_list("pk", "status", "description", "quantity", "unit_price", "vat_category", "currency"),
        ("invoices", Invoice.objects.filter(company=company).count()),
        ("next_number", NumberSeries.objects.get(company=company).next_number),
    ]


# --- the list --------------------------------------------------------------------------------------------


def test_basis_lists_each_customer_with_items_and_totals(company):
    # Given two customers with open items and one whose only item was removed
    client, _user = staff_client(company, role="read_only")
    anna, _ = customer_with_items(company, "1000", "250", name="Anna Berg")
    customer_with_items(company, "99.99", name="Bo Ek")
    _gone, (item,) = customer_with_items(company, "500", name="Cecilia Gone")
    BasisItem.objects.filter(pk=item.pk).update(status=BasisItemStatus.REMOVED)

    # When the basis tab is opened
    response = client.get(reverse("staff:basis"))

    # Then each customer with open items shows its count, net, VAT and total, and the grand total
    assert response.status_code == 200
    groups = {group.customer.name: group for group in response.context["groups"]}
    assert set(groups) == {"Anna Berg", "Bo Ek"}
    assert groups["Anna Berg"].totals.net_amount == Decimal("1250.00")
    assert groups["Anna Berg"].totals.vat_amount == Decimal("312.50")
    assert groups["Anna Berg"].totals.total_amount == Decimal("1562.50")
    assert response.context["grand_totals"] == {"SEK": Decimal("1687.49")}
    html = response.content.decode()
    assert f'value="{anna.pk}" form="register-form"' in html
    assert 'id="select-all"' in html
    assert "SEK1,562.50" in html
    assert "SEK1,687.49" in html
    assert "Cecilia Gone" not in html
    # A read-only user sees no Register buttons.
    assert "Register selected" not in html


def test_customer_items_expand_as_a_fragment_with_amounts(company):
    # Given a customer with two items
    client, _user = staff_client(company)
    customer, items = customer_with_items(company, "100", "33.335", quantity=Decimal("3"))

    # When the customer is expanded (htmx) and opened as a page (no JavaScript)
    fragment = client.get(reverse("staff:basis_customer", args=[customer.pk]), **HTMX)
    page = client.get(reverse("staff:basis_customer", args=[customer.pk]))

    # Then the fragment lists the items with their rounded amounts; the page wraps the same
    assert [row["amount"] for row in fragment.context["rows"]] == [Decimal("300.00"), Decimal("100.01")]
    html = fragment.content.decode()
    assert "<html" not in html
    assert f'id="basis-item-{items[0].pk}"' in html
    assert "Add line" in html
    assert "<html" in page.content.decode()
    assert f'id="basis-item-{items[1].pk}"' in page.content.decode()


# --- editing, adding, removing ------------------------------------------------------------------------------


def test_edit_item_saves_through_the_service_and_updates_the_figures(company):
    # Given a customer's item at 800
    client, _user = staff_client(company)
    customer, (item,) = customer_with_items(company, "800")
    url = reverse("staff:basis_item_edit", args=[item.pk])

    # When the row is opened for editing and saved with a new price and quantity
    editing = client.get(url, **HTMX)
    response = client.post(
        url,
        {
            f"item-{item.pk}-description": "Samtal 60 min",
            f"item-{item.pk}-occurred_on": "2026-11-03",
            f"item-{item.pk}-quantity": "2",
            f"item-{item.pk}-unit": "st",
            f"item-{item.pk}-unit_price": "1 250,50",
            f"item-{item.pk}-vat": "S:12",
        },
        **HTMX,
    )

    # Then the row was a form, the item holds the new values, and the page's figures come out of band
    assert f'form="basis-edit-{item.pk}"' in editing.content.decode()
    item.refresh_from_db()
    assert (item.description, item.occurred_on, item.quantity, item.unit_price) == (
        "Samtal 60 min",
        dt.date(2026, 11, 3),
        Decimal("2.000"),
        Decimal("1250.5000"),
    )
    assert (item.vat_category, item.vat_rate) == ("S", Decimal("12.00"))
    html = response.content.decode()
    assert f'id="basis-total-{customer.pk}" hx-swap-oob="true">SEK2,801.12<' in html
    assert 'id="basis-grand-total" hx-swap-oob="true"' in html


def test_edit_with_zero_quantity_shows_the_error_in_the_row_and_changes_nothing(company):
    # Given an item
    client, _user = staff_client(company)
    _customer, (item,) = customer_with_items(company, "800")
    before = _snapshot(company)

    # When it is saved with quantity zero and a negative price
    response = client.post(
        reverse("staff:basis_item_edit", args=[item.pk]),
        {
            f"item-{item.pk}-description": "Samtal",
            f"item-{item.pk}-occurred_on": "2026-11-03",
            f"item-{item.pk}-quantity": "0",
            f"item-{item.pk}-unit_price": "-5",
            f"item-{item.pk}-vat": "S:25",
        },
        **HTMX,
    )

    # Then both messages show in the row, which stays a form, and nothing was written
    assert response.status_code == 200
    form = response.context["edit_form"]
    assert form.errors["quantity"] == ["The quantity must be more than zero."]
    assert form.errors["unit_price"] == ["The price cannot be negative; credit an invoice instead."]
    assert response.context["editing"] == item.pk
    assert "The quantity must be more than zero." in response.content.decode()
    assert _snapshot(company) == before


def _add_data(**overrides: str) -> dict[str, str]:
    data = {
        "add-description": "Extra material",
        "add-occurred_on": "2026-11-10",
        "add-quantity": "2",
        "add-unit": "st",
        "add-unit_price": "150",
        "add-vat": "S:25",
        "add-period_start": "",
        "add-period_end": "",
        "add-currency": "SEK",
    }
    data.update({f"add-{key}": value for key, value in overrides.items()})
    return data


def test_add_line_creates_a_manual_item(company):
    # Given a customer with one item
    client, user = staff_client(company)
    customer, _items = customer_with_items(company, "800")

    # When a line with a period is added
    response = client.post(
        reverse("staff:basis_item_add", args=[customer.pk]),
        _add_data(period_start="2026-11-01", period_end="2026-11-30"),
        **HTMX,
    )

    # Then it is in the customer's basis, made by this user
    assert response.status_code == 200
    added = BasisItem.objects.get(customer=customer, description="Extra material")
    assert (added.source, added.quantity, added.unit_price, added.vat_rate) == (
        "manual",
        Decimal("2.000"),
        Decimal("150.0000"),
        Decimal("25.00"),
    )
    assert (added.period_start, added.period_end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert added.created_by == user
    assert [row["amount"] for row in response.context["rows"]] == [Decimal("800.00"), Decimal("300.00")]


def test_product_picker_fills_what_was_left_empty(company):
    # Given a product in the catalog
    client, _user = staff_client(company)
    customer = PersonFactory(company=company)
    product = ProductFactory(
        company=company,
        name="Kursbok",
        unit_price=Decimal("349.00"),
        vat_category="S",
        vat_rate=Decimal("6"),
        unit="ex",
    )

    # When the product is picked and description and price are left empty (no JavaScript)
    client.post(
        reverse("staff:basis_item_add", args=[customer.pk]),
        _add_data(product=str(product.pk), description="", unit_price="", unit="", vat="S:25"),
    )

    # Then the line takes the product's name, price, VAT and unit
    item = BasisItem.objects.get(customer=customer)
    assert (item.description, item.unit_price, item.vat_category, item.vat_rate, item.unit) == (
        "Kursbok",
        Decimal("349.0000"),
        "S",
        Decimal("6.00"),
        "ex",
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"quantity": "0"}, "quantity", "The quantity must be more than zero."),
        ({"unit_price": "-100"}, "unit_price", "The price cannot be negative; credit an invoice instead."),
        ({"unit_price": "99999999"}, "unit_price", "99999999 is not a plausible price (at most 10000000)."),
        ({"unit_price": "abc"}, "unit_price", "The price must be a number."),
        ({"vat": "X:0"}, "vat", "“X” is not a VAT category; use one of S, Z, E, AE, K, G, O."),
        ({"vat": "S:19"}, "vat", "19 % is not a VAT rate in SE; the rates are 25 %, 12 %, 6 %."),
        ({"currency": "USD"}, "currency", "“USD” is not a currency we invoice in (SEK, DKK, NOK, EUR)."),
        ({"description": "  "}, "description", "Describe what is billed."),
    ],
)
def test_add_line_with_bad_input_shows_the_message_and_writes_nothing(company, overrides, field, message):
    # Given a customer with an item
    client, _user = staff_client(company)
    customer, _items = customer_with_items(company, "800")
    before = _snapshot(company)

    # When a bad line is added
    response = client.post(reverse("staff:basis_item_add", args=[customer.pk]), _add_data(**overrides), **HTMX)

    # Then the service's message shows on the field and nothing was written
    assert response.status_code == 200
    assert response.context["add_form"].errors[field] == [message]
    assert message in response.content.decode()
    assert _snapshot(company) == before


def test_add_line_in_another_currency_than_the_basis_is_refused(company):
    # Given a customer whose basis is in SEK
    client, _user = staff_client(company)
    customer, _items = customer_with_items(company, "800", name="Dana Dahl")
    before = _snapshot(company)

    # When a line in EUR is added
    response = client.post(reverse("staff:basis_item_add", args=[customer.pk]), _add_data(currency="EUR"), **HTMX)

    # Then the currency mismatch is explained and nothing was written
    assert response.context["add_form"].errors["currency"] == [
        "Dana Dahl's basis is in SEK; a line in EUR cannot be invoiced with it."
    ]
    assert _snapshot(company) == before


def test_remove_item_takes_it_out_of_the_basis(company):
    # Given a customer with two items
    client, _user = staff_client(company)
    customer, (kept, removed) = customer_with_items(company, "800", "200")

    # When one is removed
    response = client.post(reverse("staff:basis_item_remove", args=[removed.pk]), **HTMX)

    # Then it has left the basis, marked as removed by staff, and the figures follow
    removed.refresh_from_db()
    assert (removed.status, removed.removed_because) == ("removed", "staff")
    assert [item.pk for item in _open_items(company)] == [kept.pk]
    assert f'id="basis-total-{customer.pk}" hx-swap-oob="true">SEK1,000.00<' in response.content.decode()


def test_remove_twice_says_the_item_is_gone(company):
    # Given an item that was removed already
    client, _user = staff_client(company)
    _customer, (item,) = customer_with_items(company, "800")
    client.post(reverse("staff:basis_item_remove", args=[item.pk]), **HTMX)

    # When it is removed again
    response = client.post(reverse("staff:basis_item_remove", args=[item.pk]), **HTMX)

    # Then the panel says so
    assert response.context["problem"] == "This item is no longer in the basis."


# --- Register ---------------------------------------------------------------------------------------------


def test_register_selected_creates_invoices_for_exactly_those_customers(company):
    # Given three customers with items
    client, user = staff_client(company)
    anna, anna_items = customer_with_items(company, "1000", "250", name="Anna")
    bo, bo_items = customer_with_items(company, "500", name="Bo")
    cecilia, cecilia_items = customer_with_items(company, "700", name="Cecilia")

    # When Anna and Cecilia are ticked and "Register selected" is pressed
    response = client.post(
        reverse("staff:basis_register"),
        {"customer": [str(anna.pk), str(cecilia.pk)], "scope": "selected", "issued_on": "2026-11-20"},
    )

    # Then exactly their two invoices exist, numbered 1 and 2, dated as asked
    invoices = list(Invoice.objects.filter(company=company).order_by("number"))
    assert [(i.customer_id, i.number, i.issued_on) for i in invoices] == [
        (anna.pk, 1, ISSUED_ON),
        (cecilia.pk, 2, ISSUED_ON),
    ]
    assert [i.total_amount for i in invoices] == [Decimal("1562.50"), Decimal("875.00")]
    assert all(i.created_by == user for i in invoices)
    # ... their items are invoiced, Bo's stays in the basis
    assert {i.pk for i in anna_items + cecilia_items} == set(
        BasisItem.objects.filter(status=BasisItemStatus.INVOICED).values_list("pk", flat=True)
    )
    assert [i.pk for i in _open_items(company)] == [bo_items[0].pk]
    # ... and the invoice list opens filtered to what was just registered
    assert response.status_code == 302
    assert response.url == reverse("staff:invoice_list") + "?kind=invoice&number_from=1&number_to=2"
    assert messages_of(response) == ["2 invoices registered (numbers 1–2)."]
    listed = client.get(response.url)
    assert [i.number for i in listed.context["page"].object_list] == [2, 1]
    assert bo.pk not in {i.customer_id for i in listed.context["page"].object_list}


def test_register_all_invoices_every_customer(company):
    # Given three customers with items, the series at 1001
    NumberSeries.objects.filter(company=company).update(next_number=1001)
    client, _user = staff_client(company)
    for price in ("100", "200", "300"):
        customer_with_items(company, price)

    # When "Register all" is pressed
    response = client.post(reverse("staff:basis_register"), {"scope": "all", "issued_on": "2026-11-20"})

    # Then every customer has one invoice with consecutive numbers and the basis is empty
    assert sorted(Invoice.objects.filter(company=company).values_list("number", flat=True)) == [1001, 1002, 1003]
    assert _open_items(company) == []
    assert messages_of(response) == ["3 invoices registered (numbers 1001–1003)."]


def test_register_one_customer_with_its_own_button(company):
    # Given two customers, the other one ticked
    client, _user = staff_client(company)
    anna, _ = customer_with_items(company, "100")
    bo, _ = customer_with_items(company, "200")

    # When Anna's own Register button is pressed
    response = client.post(
        reverse("staff:basis_register"), {"customer": [str(bo.pk)], "only": str(anna.pk), "issued_on": "2026-11-20"}
    )

    # Then only Anna is invoiced
    assert list(Invoice.objects.values_list("customer_id", flat=True)) == [anna.pk]
    assert messages_of(response) == ["1 invoice registered (number 1)."]


def test_edited_price_in_the_basis_ends_up_on_the_invoice(company):
    # Given a booking whose treatment costs 800 (exempt from VAT, as healthcare)
    client, user = staff_client(company)
    customer = PersonFactory(company=company)
    treatment = TreatmentTypeFactory(company=company, name="Fysioterapi")
    booking_create(
        company=company,
        customer=customer,
        treatment_type=treatment,
        starts_at=dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC),
    )
    item = BasisItem.objects.get(booking__customer=customer)

    # When its price is changed to 650.50 in the basis tab and the customer is registered
    client.post(
        reverse("staff:basis_item_edit", args=[item.pk]),
        {
            f"item-{item.pk}-description": item.description,
            f"item-{item.pk}-occurred_on": item.occurred_on.isoformat(),
            f"item-{item.pk}-quantity": "1",
            f"item-{item.pk}-unit": "st",
            f"item-{item.pk}-unit_price": "650.50",
            f"item-{item.pk}-vat": "E:0",
        },
        **HTMX,
    )
    client.post(reverse("staff:basis_register"), {"only": str(customer.pk), "issued_on": "2026-11-20"})

    # Then the invoice line carries the edited price and the totals follow it
    line = InvoiceLine.objects.get(basis_item=item)
    assert (line.unit_price, line.net_amount) == (Decimal("650.5000"), Decimal("650.50"))
    assert (line.invoice.net_amount, line.invoice.vat_amount, line.invoice.total_amount) == (
        Decimal("650.50"),
        Decimal("0.00"),
        Decimal("650.50"),
    )
    assert line.invoice.created_by == user


def test_register_with_nothing_ticked_asks_for_a_choice_and_writes_nothing(company):
    # Given a customer with items
    client, _user = staff_client(company)
    customer_with_items(company, "100")
    before = _snapshot(company)

    # When "Register selected" is pressed with no customer ticked
    response = client.post(reverse("staff:basis_register"), {"scope": "selected", "issued_on": "2026-11-20"})

    # Then the basis says what to do and nothing was written
    assert response.url == reverse("staff:basis")
    assert messages_of(response) == ["Tick the customers to register, or press “Register all”."]
    assert _snapshot(company) == before


def test_register_twice_says_nothing_is_left_and_writes_nothing(company):
    # Given a customer that was just registered
    client, _user = staff_client(company)
    anna, _ = customer_with_items(company, "100")
    client.post(reverse("staff:basis_register"), {"only": str(anna.pk), "issued_on": "2026-11-20"}, follow=True)
    before = _snapshot(company)

    # When the same customer is registered again (a second tab, a double click)
    response = client.post(reverse("staff:basis_register"), {"only": str(anna.pk), "issued_on": "2026-11-20"})

    # Then the service's refusal is shown and no invoice or number was added
    assert response.url == reverse("staff:basis")
    assert messages_of(response) == [
        "There is nothing left to invoice for the chosen customers; someone may have registered it already."
    ]
    assert _snapshot(company) == before


def test_register_mixed_currencies_is_refused_and_writes_nothing(company):
    # Given a customer with a SEK line, then the company switches to EUR and a booking adds a EUR item
    client, _user = staff_client(company)
    customer, _ = customer_with_items(company, "100", name="Erik Ström")
    company.default_currency = "EUR"
    company.save(update_fields=["default_currency"])
    booking_create(
        company=company,
        customer=customer,
        treatment_type=TreatmentTypeFactory(company=company),
        starts_at=dt.datetime(2026, 11, 6, 9, tzinfo=dt.UTC),
    )
    before = _snapshot(company)

    # When the customer is registered
    response = client.post(reverse("staff:basis_register"), {"scope": "all", "issued_on": "2026-11-20"})

    # Then the mix is explained and nothing was written
    assert messages_of(response) == [
        "The basis of Erik Ström mixes currencies; change the items to one currency first."
    ]
    assert _snapshot(company) == before


def test_register_with_a_bad_date_writes_nothing(company):
    client, _user = staff_client(company)
    customer_with_items(company, "100")
    before = _snapshot(company)

    response = client.post(reverse("staff:basis_register"), {"scope": "all", "issued_on": "2026-13-45"})

    assert messages_of(response) == ["Enter a valid date."]
    assert _snapshot(company) == before


# --- companies apart, roles -------------------------------------------------------------------------------


def test_another_companys_basis_is_404_and_untouched(company):
    # Given company B with a customer and an item, and a user of company A
    client, _user = staff_client(company)
    other = CompanyFactory()
    their_customer, (their_item,) = customer_with_items(other, "800")
    before = _snapshot(other)
    item_data = {
        f"item-{their_item.pk}-description": "Hacked",
        f"item-{their_item.pk}-occurred_on": "2026-11-03",
        f"item-{their_item.pk}-quantity": "1",
        f"item-{their_item.pk}-unit_price": "1",
        f"item-{their_item.pk}-vat": "S:25",
    }

    # When A's user reaches for B's customer and item by id, GET and POST
    responses = [
        client.get(reverse("staff:basis_customer", args=[their_customer.pk])),
        client.get(reverse("staff:basis_customer", args=[their_customer.pk]), **HTMX),
        client.post(reverse("staff:basis_item_add", args=[their_customer.pk]), _add_data()),
        client.get(reverse("staff:basis_item_edit", args=[their_item.pk])),
        client.post(reverse("staff:basis_item_edit", args=[their_item.pk]), item_data),
        client.post(reverse("staff:basis_item_remove", args=[their_item.pk])),
    ]
    registered = client.post(
        reverse("staff:basis_register"), {"only": str(their_customer.pk), "issued_on": "2026-11-20"}
    )

    # Then every one is a 404, registering finds nothing of A's to invoice, and B's basis is unchanged
    assert [r.status_code for r in responses] == [404] * 6
    assert messages_of(registered) == [
        "There is nothing left to invoice for the chosen customers; someone may have registered it already."
    ]
    assert _snapshot(other) == before
    assert their_customer.name not in client.get(reverse("staff:basis")).content.decode()


def test_read_only_user_may_look_but_not_change(company):
    # Given a read-only user and a customer with an item
    client, _user = staff_client(company, role="read_only")
    customer, (item,) = customer_with_items(company, "800")
    before = _snapshot(company)

    # When they look, then try every change
    looks = [
        client.get(reverse("staff:basis")),
        client.get(reverse("staff:basis_customer", args=[customer.pk])),
    ]
    changes = [
        client.post(reverse("staff:basis_item_add", args=[customer.pk]), _add_data()),
        client.post(reverse("staff:basis_item_edit", args=[item.pk]), {}),
        client.post(reverse("staff:basis_item_remove", args=[item.pk])),
        client.post(reverse("staff:basis_register"), {"scope": "all", "issued_on": "2026-11-20"}),
    ]

    # Then looking works, every change is 403, and nothing changed
    assert [r.status_code for r in looks] == [200, 200]
    assert [r.status_code for r in changes] == [403] * 4
    assert "Add line" not in looks[1].content.decode()
    assert _snapshot(company) == before


# --- in the browser ---------------------------------------------------------------------------------------


@pytest.mark.browser
def test_register_two_ticked_customers_in_the_browser(staff_page):
    # Given three customers with basis items
    page, company, _user = staff_page
    anna, _ = customer_with_items(company, "1000", name="Anna Andersson")
    bo, _ = customer_with_items(company, "500", name="Bo Berg")
    cecilia, _ = customer_with_items(company, "700", "300", name="Cecilia Ceder")

    # When Anna and Cecilia are ticked on the basis tab and "Register selected" is pressed
    page.goto("/basis/")
    page.get_by_label("Select Anna Andersson").check()
    page.get_by_label("Select Cecilia Ceder").check()
    page.click("#register-selected")

    # Then the invoice list shows exactly their two invoices
    page.wait_for_url("**/invoices/?*")
    rows = page.locator("tr.invoice-row").all_inner_texts()
    assert len(rows) == 2
    assert ["Cecilia Ceder" in rows[0], "Anna Andersson" in rows[1]] == [True, True]
    assert "2 invoices registered (numbers 1–2)." in page.locator(".messages").inner_text()
    # ... and Bo is still in the basis
    page.goto("/basis/")
    assert page.locator("tbody.basis-customer").count() == 1
    assert "Bo Berg" in page.locator("tbody.basis-customer").inner_text()
    assert list(Invoice.objects.filter(company=company).values_list("customer_id", flat=True).order_by("number")) == [
        anna.pk,
        cecilia.pk,
    ]
    assert _open_items(company) == list(BasisItem.objects.filter(customer=bo))


@pytest.mark.browser
def test_edit_a_price_and_add_a_line_in_the_browser(staff_page):
    # Given a customer with an item at 800
    page, company, _user = staff_page
    customer, (item,) = customer_with_items(company, "800", name="Dora Dahl")

    # When the customer is expanded, the price edited to 900 and a line added
    page.goto("/basis/")
    page.get_by_role("link", name="Dora Dahl").click()
    page.locator(f"#basis-item-{item.pk}").get_by_role("link", name="Edit").click()
    page.fill(f"#id_item-{item.pk}-unit_price", "900")
    page.locator(f"#basis-item-{item.pk}").get_by_role("button", name="Save").click()
    page.locator(f"#basis-item-{item.pk}").get_by_role("link", name="Edit").wait_for()
    page.fill("#id_add-description", "Kallelse")
    page.fill("#id_add-unit_price", "100")
    page.get_by_role("button", name="Add line").click()
    page.get_by_text("Kallelse").wait_for()

    # Then the customer's total on the page is (900 + 100) x 1.25 without reloading
    assert page.locator(f"#basis-total-{customer.pk}").inner_text() == "SEK1,250.00"
    assert page.locator("#basis-grand-total").inner_text() == "SEK1,250.00"
    assert [i.unit_price for i in _open_items(company)] == [Decimal("900.0000"), Decimal("100.0000")]
