"""The overviews in Chromium: the home page's numbers and where they lead, the aging and
forecast charts with their titles in English and Swedish, under the Content-Security-Policy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.invoicing.tests.factories import issued_invoice, overdue_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.staff.tests.test_csp_browser import Violations

pytestmark = pytest.mark.browser


def test_home_numbers_link_to_their_lists_and_the_charts_show_in_both_languages(staff_page):
    page, company, user = staff_page
    customer = PersonFactory(company=company, name="Astrid Lindqvist")
    overdue_invoice(company, user, "1000", customer=customer, days_overdue=45)
    overdue_invoice(company, user, "400", customer=customer, days_overdue=3)
    issued_invoice(company, user, "200", customer=customer, issued_on=timezone.localdate())
    violations = Violations(page)

    violations.visit("/")
    tile = page.locator("#tile-overdue-sek")
    assert tile.is_visible()
    assert "1,750.00" in tile.inner_text()
    assert "2 invoices" in tile.inner_text()
    assert page.locator("#tile-drafts").is_visible()
    assert page.locator("#tile-unmatched").is_visible()
    assert page.locator("#tile-sending").is_visible()
    tile.click()
    page.wait_for_url("**/receivables/?due=overdue*")
    assert page.locator("#receivables tbody tr").count() == 2

    violations.visit("/receivables/aging/")
    aging = page.get_by_role("img", name="Receivables by age, SEK")
    assert aging.is_visible()
    assert page.locator("#aging-table").get_by_text("Astrid Lindqvist").is_visible()
    assert "2,000.00" in page.locator("#aging-totals").inner_text()

    violations.visit("/receivables/forecast/")
    forecast = page.get_by_role("img", name="Cash-in forecast, SEK")
    assert forecast.is_visible()
    assert page.get_by_role("heading", name="How the forecast is made").is_visible()
    violations.check("the overviews")

    page.goto("/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "sv")  # the top bar's select submits itself
    assert "Förfallet, SEK" in page.locator("#tile-overdue-sek").inner_text()
    page.goto("/receivables/aging/")
    assert page.get_by_role("img", name="Kundfordringar efter ålder, SEK").is_visible()
    page.goto("/receivables/forecast/")
    assert page.get_by_role("img", name="Prognos för inbetalningar, SEK").is_visible()
    assert page.get_by_role("heading", name="Så görs prognosen").is_visible()


def test_the_statement_downloads_from_the_customer_card(staff_page):
    page, company, user = staff_page
    customer = PersonFactory(company=company, name="Bo Ek", language="en")
    issued_invoice(company, user, "1000", customer=customer, issued_on=timezone.localdate() - dt.timedelta(days=1))

    page.goto(f"/customers/{customer.pk}/")
    page.click("#customer-statement")
    assert page.locator("#closing-balance").inner_text().endswith("1,250.00")
    with page.expect_download() as download:
        page.click("#statement-pdf")
    assert download.value.suggested_filename.endswith(".pdf")
