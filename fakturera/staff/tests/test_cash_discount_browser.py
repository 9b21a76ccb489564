"""The cash discount as staff set and read it in Chromium (seed 004): the company's terms in
the settings, a customer's own, a draft's, and what the invoice page says once issued."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoice_issue
from fakturera.invoicing.tests.factories import draft_invoice
from fakturera.parties.models import Company, Customer
from fakturera.parties.tests.factories import OrganisationFactory

pytestmark = pytest.mark.browser


def save(page, button: str = "Save") -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def test_staff_set_the_companys_discount_a_customers_own_and_a_drafts(staff_page):
    page, company, user = staff_page

    # The company gives 2 % within 10 days; a period as long as the terms is refused first.
    page.goto("/settings/")
    page.fill("input[name=cash_discount_percent]", "2")
    page.fill("input[name=cash_discount_days]", "30")
    save(page)
    error = page.locator(".field", has=page.locator("input[name=cash_discount_days]")).locator(".error")
    assert error.inner_text() == "The discount period (30 days) must end before the due date (30 days net)."
    assert Company.objects.get(pk=company.pk).cash_discount_percent == 0
    page.fill("input[name=cash_discount_days]", "10")
    save(page)
    company.refresh_from_db()
    assert (company.cash_discount_percent, company.cash_discount_days) == (Decimal("2"), 10)

    # A customer without an override shows the company's; with one, its own.
    customer = OrganisationFactory(company=company, name="Vårdbolaget AB", email="faktura@vard.example")
    page.goto(f"/customers/{customer.pk}/")
    assert page.inner_text("#customer-cash-discount") == "The company's"
    page.goto(f"/customers/{customer.pk}/edit/")
    page.fill("input[name=cash_discount_percent]", "1,5")
    save(page)
    assert page.inner_text("#customer-cash-discount") == "1.5 percent within 10 days"
    assert Customer.objects.get(pk=customer.pk).cash_discount_percent == Decimal("1.5")

    # A draft for the customer takes the customer's, and its form changes it.
    customer.refresh_from_db()
    draft = draft_invoice(company, user, "8000", customer=customer)
    page.goto(f"/invoices/{draft.pk}/")
    assert page.inner_text("#cash-discount") == "1.5 percent within 10 days: SEK9,850.00"
    page.goto(f"/invoices/{draft.pk}/edit/")
    assert page.input_value("input[name=cash_discount_percent]") == "1.5"
    page.fill("input[name=cash_discount_percent]", "2")
    page.fill("input[name=payment_terms_days]", "8")
    save(page, "Save draft")
    error = page.locator(".field", has=page.locator("input[name=cash_discount_days]")).locator(".error")
    assert error.inner_text() == "The discount period (10 days) must end before the due date (8 days net)."
    assert Invoice.objects.get(pk=draft.pk).cash_discount_percent == Decimal("1.5")
    page.fill("input[name=payment_terms_days]", "")
    page.fill("input[name=cash_discount_days]", "8")
    save(page, "Save draft")
    assert (
        Invoice.objects.get(pk=draft.pk).cash_discount_percent,
        Invoice.objects.get(pk=draft.pk).cash_discount_days,
    ) == (
        Decimal("2"),
        8,
    )

    # Issued, the page names the last day and what settles the invoice by then.
    today = timezone.localdate()
    invoice_issue(invoice=draft, actor=user, issued_on=today)
    page.goto(f"/invoices/{draft.pk}/")
    until = (today + dt.timedelta(days=8)).isoformat()
    assert page.inner_text("#cash-discount") == f"2 percent if paid by {until}: SEK9,800.00"
