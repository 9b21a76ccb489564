"""Issue 7 in Chromium: from the public form to the registered invoice and the basis report."""

import csv
import io
import re

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from fakturera.courses.models import Registration
from fakturera.courses.tests.factories import ORG_B, VAT_A, VAT_B, make_occurrence
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Customer
from fakturera.parties.tests.factories import OrganisationFactory

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_page(browser, live_server):
    """Another person's browser (its own cookies), closed after the test so that none of its
    pages asks the live server anything once the test's database is gone."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _fill_registration(page, **overrides):
    values = {
        "name": "Anna Lind",
        "email": "anna.lind@firma.example",
        "organisation_name": "Firma Ett AB",
        "org_number": "556036-0793",
        "peppol_id": "0007:5560360793",
        "project_number": "P-4711",
        "manager_email": "chef@firma.example",
        **overrides,
    }
    for name, value in values.items():
        page.fill(f"input[name={name}]", value)


def test_register_approve_process_invoice_and_report(staff_page, other_page):
    # given: an open occurrence whose form asks for the manager's approval, and the
    # organisation that will pay, with an outdated VAT number on its card
    page, company, _user = staff_page
    occurrence = make_occurrence(company, approval=True)
    payer = OrganisationFactory(
        company=company, name="Betalaren Region AB", org_number=ORG_B, vat_number=VAT_A, peppol_id=""
    )
    public = other_page(locale="sv-SE")
    public.set_default_timeout(10_000)

    # when: the participant opens the public form, switches to English, and first types a bad org number
    public.goto(f"/register/{occurrence.registration_form.token}/")
    assert public.get_by_role("heading", name="Anmäl dig till Projektledning i praktiken").is_visible()
    public.get_by_role("link", name="English").click()
    public.get_by_role("heading", name="Register for Projektledning i praktiken").wait_for()
    _fill_registration(public, org_number="556036-0794")
    public.get_by_role("button", name="Register").click()

    # then: a clear message at the field, and nothing stored
    error = public.locator(".field", has=public.locator("input[name=org_number]")).locator(".error")
    error.wait_for()
    assert error.inner_text() == (
        "“556036-0794” is not a valid Swedish organisation number: the check digit does not match."
    )
    assert Registration.objects.count() == 0

    # when: the participant corrects it and sends again
    public.fill("input[name=org_number]", "556036-0793")
    public.get_by_role("button", name="Register").click()
    public.get_by_role("heading", name="Thank you for registering").wait_for()
    assert "Your manager has been sent a link" in public.locator("[role=status]").inner_text()
    registration = Registration.objects.get()
    assert registration.status == "awaiting_approval"
    assert registration.peppol_id == "0007:5560360793"

    # when: the manager follows the link in the e-mail and approves
    [message] = mail.outbox
    assert message.to == ["chef@firma.example"]
    link = re.search(r"https?://\S+/register/approval/\S+/", message.body).group(0)
    manager = other_page()
    manager.goto("/" + link.split("/", 3)[3])  # the path: the mail's host is SITE_URL, not the test server
    manager.get_by_role("button", name="Approve").click()
    manager.locator("#decision").wait_for()
    assert "approved" in manager.locator("#decision").inner_text()
    registration.refresh_from_db()
    assert registration.status == "received"

    # when: staff process it, choosing another paying organisation and correcting its VAT number
    page.goto(f"/courses/occurrences/{occurrence.pk}/")
    page.locator(f"#registration-{registration.pk}").get_by_role("link", name="Process").click()
    # (picked by searching, with the keyboard: the register may hold thousands)
    page.locator("input[name=paying_other_text]").press_sequentially("Betalaren", delay=20)
    page.get_by_role("option", name=f"Betalaren Region AB ({payer.number})").wait_for()
    page.locator("input[name=paying_other_text]").press("ArrowDown")
    page.locator("input[name=paying_other_text]").press("Enter")
    vat = page.locator("input[name=paying_vat_number]")
    # (expect, not wait_for_function: a string of script is eval, which the page's CSP refuses)
    expect(page.locator("input[name=paying_vat_number]")).to_have_value(VAT_A)
    vat.fill(VAT_B)
    page.get_by_role("button", name="Process and add to the basis").click()
    page.locator(f"#registration-{registration.pk} .status").wait_for()
    assert page.locator(f"#registration-{registration.pk} .status").inner_text() == "Processed"
    payer.refresh_from_db()
    assert payer.vat_number == VAT_B
    assert Customer.objects.get(company=company, org_number="556036-0793").name == "Firma Ett AB"

    # then: the basis shows the paying organisation, and registering it issues its invoice
    page.goto("/basis/")
    row = page.locator(f"#basis-customer-{payer.pk}")
    assert "Betalaren Region AB" in row.inner_text()
    row.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/invoices/"))
    invoice = Invoice.objects.get(company=company)
    assert invoice.customer_id == payer.pk
    assert invoice.buyer_reference == "P-4711"
    assert invoice.buyer["vat_number"] == VAT_B

    # and the report holds the corrected data
    page.goto(f"/courses/report/?occurrence={occurrence.pk}")
    report = page.locator("#report")
    assert report.locator("td[data-column=vat_number]").inner_text() == VAT_B
    assert report.locator("td[data-column=paying_organisation]").inner_text() == "Betalaren Region AB"
    assert report.locator("td[data-column=represented_organisation]").inner_text() == "Firma Ett AB"
    with page.expect_download() as download:
        page.locator("#download-csv").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["VAT number"] == VAT_B
    assert rows[0]["Project number"] == "P-4711"
    assert rows[0]["Participant"] == "Anna Lind"
    assert rows[0]["Invoice"] == invoice.display_number
