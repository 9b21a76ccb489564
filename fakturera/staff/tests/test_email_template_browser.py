"""Writing an e-mail template in Chromium: Preview shows the unsaved subject and text
filled in with the company's latest issued invoice (htmx, nothing saved); an unknown
variable is named in the preview and refused on saving, with what was typed kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fakturera.distribution.models import EmailTemplate
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import PersonFactory

pytestmark = pytest.mark.browser


def test_preview_an_unsaved_template_then_save_it(staff_page):
    page, company, user = staff_page
    invoice = issued_invoice(company, user, "800", customer=PersonFactory(company=company, name="Anna Andersson"))
    page.goto("/settings/distribution/#templates")
    page.select_option("select[name=template-language]", "en")
    page.fill("input[name=template-subject]", "Invoice {invoice_number}")
    page.fill("textarea[name=template-body]", "Dear {customer_name},\nplease pay {amount} by {due_date}.\n{kund}")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#template-preview")
    expect(preview).to_contain_text("Unknown variable {kund}: the variables you can use are {customer_name}")
    assert page.url.endswith("/settings/distribution/#templates")  # htmx: the page stays as typed

    page.fill("textarea[name=template-body]", "Dear {customer_name},\nplease pay {amount} by {due_date}.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text(f"Invoice {invoice.display_number}")
    expect(page.locator("#preview-body")).to_contain_text("Dear Anna Andersson,")
    expect(page.locator("#preview-body")).to_contain_text(f"by {invoice.due_on.isoformat()}.")
    assert not EmailTemplate.objects.exists()

    page.fill("input[name=template-subject]", "Invoice {invoice_nummer}")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator("#templates")).to_contain_text("Unknown variable {invoice_nummer}")
    expect(page.locator("input[name=template-subject]")).to_have_value("Invoice {invoice_nummer}")
    assert not EmailTemplate.objects.exists()

    page.fill("input[name=template-subject]", "Invoice {invoice_number}")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator("#templates table")).to_contain_text("Invoice {invoice_number}")
    assert EmailTemplate.objects.get().body == "Dear {customer_name},\r\nplease pay {amount} by {due_date}."
