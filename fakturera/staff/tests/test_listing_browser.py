"""The invoice list in Chromium: sort by a column header, page on, and the filter and the
sort stay; the totals are of the whole filter."""

from __future__ import annotations

import pytest

from fakturera.billables.tests.factories import customer_with_items
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.invoicing.tests.factories import ISSUED_ON

pytestmark = pytest.mark.browser


def _numbers(page) -> list[str]:
    return page.locator("tr.invoice-row").evaluate_all("rows => rows.map(row => row.dataset.number)")


def test_sort_the_invoice_list_by_number_and_page_on(staff_page):
    # given 55 invoices of 125.00
    page, company, user = staff_page
    for index in range(55):
        customer_with_items(company, "100", name=f"Kund {index:02d}")
    invoices_register_from_basis(company=company, actor=user, issued_on=ISSUED_ON)
    page.goto("/invoices/?kind=invoice")
    assert _numbers(page)[:3] == ["55", "54", "53"]

    # when the Number header is clicked, then Next
    page.get_by_role("link", name="Number").click()
    page.wait_for_url("**sort=number**")
    assert _numbers(page)[:3] == ["1", "2", "3"]
    assert page.locator("th[aria-sort=ascending]").text_content().startswith("Number")
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2**")

    # then page 2 continues the order with the filter kept, and the totals are of all 55
    assert _numbers(page) == ["51", "52", "53", "54", "55"]
    assert "kind=invoice" in page.url
    totals = page.locator(".list-totals").inner_text()
    assert totals.startswith("55 in all · SEK")
    assert totals.endswith("6,875.00")
    page.get_by_role("link", name="Number").click()
    page.wait_for_url("**sort=-number**")
    assert _numbers(page)[:2] == ["55", "54"]
    assert page.locator("th[aria-sort=descending]").count() == 1
