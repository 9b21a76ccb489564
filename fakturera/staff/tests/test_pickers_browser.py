"""The pickers as a person uses them in Chromium, with the keyboard only: type, see the
matching rows, arrow down, Enter, save."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from fakturera.billables.models import BasisItem
from fakturera.billables.tests.factories import customer_with_items
from fakturera.catalog.tests.factories import ProductFactory
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import OrganisationMember
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.browser


def _pick(page, text_input: str, typed: str, expected: str) -> None:
    page.locator(text_input).press_sequentially(typed, delay=20)
    option = page.get_by_role("option", name=expected)
    option.wait_for()
    page.locator(text_input).press("ArrowDown")
    page.locator(text_input).press("Enter")


def test_a_new_draft_picks_its_customer_among_many_by_typing(staff_page):
    # given a register of many customers
    page, company, _user = staff_page
    PersonFactory.create_batch(40, company=company)
    anna = PersonFactory(company=company, name="Anna Bergström")
    page.goto("/invoices/new/")
    assert page.locator("select[name=customer]").count() == 0

    # when the person types part of the name, sees her, and chooses her with the keyboard
    page.locator("input[name=customer_text]").press_sequentially("bergstr", delay=20)
    page.get_by_role("option", name=f"Anna Bergström ({anna.number})").wait_for()
    assert page.get_by_role("listbox").get_by_role("option").count() == 1
    page.locator("input[name=customer_text]").press("ArrowDown")
    page.locator("input[name=customer_text]").press("Enter")
    assert page.input_value("input[name=customer]") == str(anna.pk)
    page.fill("input[name=lines-0-description]", "Konsultation")
    page.fill("input[name=lines-0-unit_price]", "1000")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(lambda url: "/invoices/new/" not in url)

    # then the draft is hers
    assert Invoice.objects.get(company=company).customer == anna


def test_a_basis_line_picks_its_product_by_typing_and_the_line_is_filled(staff_page):
    page, company, _user = staff_page
    customer, _items = customer_with_items(company, "100")
    ProductFactory.create_batch(30, company=company)
    ProductFactory(company=company, name="Tandblekning", unit="st", unit_price=Decimal("1995"), account_code="3011")
    page.goto(f"/basis/customer/{customer.pk}/")

    _pick(page, "input[name=add-product_text]", "blekn", "Tandblekning")

    assert page.input_value("input[name=add-description]") == "Tandblekning"
    assert page.input_value("input[name=add-unit_price]") == "1995"
    page.get_by_role("button", name="Add line").click()
    page.get_by_text("Tandblekning").first.wait_for()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    added = BasisItem.objects.get(company=company, description="Tandblekning")
    assert (added.unit_price, added.account_code) == (Decimal("1995.0000"), "3011")


def test_a_person_joins_an_organisation_picked_on_the_customer_form(staff_page):
    page, company, _user = staff_page
    OrganisationFactory.create_batch(25, company=company)
    org = OrganisationFactory(company=company, name="Berg Bygg AB")
    page.goto("/customers/new/person/")

    page.fill("input[name=name]", "Eva Ek")
    _pick(page, "input[name=organisation_text]", "berg b", f"Berg Bygg AB ({org.number})")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "/new/" not in url)

    assert list(OrganisationMember.objects.values_list("organisation_id", "person__name")) == [(org.pk, "Eva Ek")]


def test_a_tailored_course_picks_its_customer_and_adds_contacts_by_typing(staff_page):
    from fakturera.courses.models import CourseKind, OccurrenceCustomer
    from fakturera.courses.tests.factories import make_occurrence

    page, company, _user = staff_page
    occurrence = make_occurrence(company, kind=CourseKind.TAILORED)
    org = OrganisationFactory(company=company, name="Kommunen")
    PersonFactory(company=company, name="Kim Kontakt")
    PersonFactory(company=company, name="Lo Lind")
    page.goto(reverse("staff:occurrence_customers", args=[occurrence.pk]))

    _pick(page, "input[name=customer_text]", "kommun", f"Kommunen ({org.number})")
    page.fill("input[name=price]", "85000")
    for name in ("Kim", "Lo"):
        field = page.locator("input[name=contacts_text]")
        field.press_sequentially(name, delay=20)
        page.get_by_role("listbox").get_by_role("option").first.wait_for()
        field.press("ArrowDown")
        field.press("Enter")
    assert page.locator("input[name=contacts]:checked").count() == 2
    page.locator("form", has=page.locator("input[name=contacts_text]")).locator("button[type=submit]").click()
    page.wait_for_load_state()

    page.get_by_text("Kim Kontakt").first.wait_for()
    agreement = OccurrenceCustomer.objects.get(occurrence=occurrence)
    assert (agreement.customer, sorted(c.name for c in agreement.contacts.all())) == (org, ["Kim Kontakt", "Lo Lind"])
