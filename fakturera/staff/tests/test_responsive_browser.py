"""The staff pages on a phone, 375 x 740 px in Chromium: the document never scrolls
sideways (wide tables scroll inside themselves), the folded menu reaches every section,
and the page's primary action can be tapped."""

from __future__ import annotations

import pytest

from fakturera.billables.tests.factories import customer_with_items
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, StaffFactory

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 375, 740
SECTIONS = ["Basis", "Invoices", "Sending", "Customers", "Recurring", "Bookings", "Journal notes", "Courses",
            "Catalog", "Settings"]  # fmt: skip


@pytest.fixture
def phone(browser, live_server, transactional_db):
    """A logged-in administrator on a phone-sized touch screen: (page, company, user)."""
    company = CompanyFactory()
    staff = StaffFactory(company=company, role="admin")
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": WIDTH, "height": HEIGHT}, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.fill("input[name=username]", staff.user.username)
    page.fill("input[name=password]", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    yield page, company, staff.user
    context.close()


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"


def test_the_main_pages_fit_a_phone_and_their_primary_action_can_be_tapped(phone):
    page, company, user = phone
    customer, _items = customer_with_items(company, "1250", "800")
    OrganisationFactory(company=company, name="Ett mycket långt organisationsnamn utan mellanrum AB")
    invoice = issued_invoice(company, user, "999", customer=customer)
    pages = {
        "/basis/": "#register-selected",
        "/invoices/": "a.button.primary",
        f"/invoices/{invoice.pk}/": None,
        "/customers/": "a.button.primary",
        "/customers/new/person/": "button.primary",
        "/distribution/": None,
    }
    for path, primary in pages.items():
        page.goto(path)
        _fits(page)
        if primary:
            action = page.locator(primary).first
            box = action.bounding_box()
            assert min(box["width"], box["height"]) >= 40, f"{path}: {primary} is {box}"
            assert 0 <= box["x"] <= WIDTH - box["width"], f"{path}: {primary} is {box}"
    page.goto("/customers/new/person/")
    page.fill("input[name=name]", "Eva Ek")
    page.locator("button.primary").tap()
    page.wait_for_url(lambda url: "/new/" not in url)
    assert page.get_by_role("heading", name="Eva Ek").is_visible()


def test_the_folded_menu_reaches_every_section(phone):
    page, _company, _user = phone
    page.goto("/invoices/")
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible()
    assert not page.get_by_role("link", name="Customers", exact=True).is_visible()

    for section in SECTIONS:
        page.get_by_role("button", name="Menu").tap()
        assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
        link = page.locator("#mainnav").get_by_role("link", name=section)
        with page.expect_navigation():
            link.tap()
        _fits(page)
        assert page.locator("#mainnav a.active").count() == 1, section
