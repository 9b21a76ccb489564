"""A recurring invoice from the customer card to an issued invoice, in Chromium."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from fakturera.catalog.tests.factories import ProductFactory
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.tests.factories import PersonFactory
from fakturera.recurring.models import RecurringInvoice

pytestmark = pytest.mark.browser


def test_create_on_the_customer_card_preview_generate_adjust_and_invoice(staff_page):
    # given a customer and a product
    page, company, _user = staff_page
    customer = PersonFactory(company=company, name="Anna Webb")
    ProductFactory(company=company, name="Domänavgift", unit_price=Decimal("150.00"))
    today = timezone.localdate()

    # when staff create a recurring invoice with two lines on the customer card
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_role("link", name="New recurring invoice").click()
    page.fill("input[name=description]", "Webbhotell")
    page.fill("input[name=lines-0-description]", "Webbhotell")
    page.fill("input[name=lines-0-unit_price]", "199")
    page.get_by_role("button", name="Add row").click()
    # the product is picked by typing and the keyboard
    page.locator("input[name=lines-1-product_text]").press_sequentially("Domän", delay=20)
    page.get_by_role("option", name="Domänavgift").wait_for()
    page.locator("input[name=lines-1-product_text]").press("ArrowDown")
    page.locator("input[name=lines-1-product_text]").press("Enter")
    page.select_option("select[name=lines-1-pricing]", "dynamic")
    page.select_option("select[name=lines-1-frequency]", "yearly")
    assert page.input_value("input[name=lines-1-description]") == "Domänavgift"

    # then the preview shows the next twelve months: both lines today, hosting alone after
    page.get_by_role("button", name="Preview the next 12 months").click()
    orders = page.locator("#recurring-preview tr.preview-order")
    orders.first.wait_for()
    assert orders.count() == 12
    assert today.isoformat() in orders.nth(0).inner_text()
    assert "Domänavgift" in orders.nth(0).inner_text()
    assert "Domänavgift" not in orders.nth(1).inner_text()
    assert not RecurringInvoice.objects.exists()

    # when it is saved and generated
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/recurring/*/")
    page.goto("/recurring/")
    page.locator("#generate-now button").click()
    page.wait_for_url("**/recurring/orders/")

    # then one order waits, holding both lines
    rows = page.locator("tr.order-row")
    assert rows.count() == 1
    assert "Anna Webb" in rows.first.inner_text()
    order = Invoice.objects.get(recurring_invoice__customer=customer)
    assert (order.status, order.recurring_on, order.lines.count()) == (InvoiceStatus.DRAFT, today, 2)

    # when staff adjust its hosting price
    rows.first.get_by_role("link", name="Adjust").click()
    page.fill("input[name=lines-0-unit_price]", "249")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"**/invoices/{order.pk}/")
    assert "Recurring invoice, " + today.isoformat() in page.locator("#invoice-facts").inner_text()

    # and invoice the ticked order
    page.goto("/recurring/orders/")
    page.get_by_role("checkbox", name=f"Select Draft {order.pk}").check()
    page.get_by_role("button", name="Invoice selected").click()
    page.wait_for_url(f"**/invoices/{order.pk}/")

    # then it is issued with the adjusted price: (249 + 150) x 1.25
    assert page.locator("#invoice-status").inner_text() == "Issued"
    order.refresh_from_db()
    assert (order.status, order.number, order.total_amount) == (InvoiceStatus.ISSUED, 1, Decimal("498.75"))
    page.goto("/recurring/orders/")
    assert page.get_by_text("No orders are waiting to be invoiced.").is_visible()
