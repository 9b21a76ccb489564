"""The Content-Security-Policy (settings.CONTENT_SECURITY_POLICY, on in development as in
production) refuses nothing the pages need: the staff pages with their htmx and scripts, the
client portal, the public registration form and the API's documentation, in Chromium, with
no violation reported on the console or as an event."""

from __future__ import annotations

import pytest
from django.core import mail

from fakturera.billables.tests.factories import customer_with_items
from fakturera.courses.tests.factories import make_occurrence
from fakturera.invoicing.tests.factories import draft_invoice, issued_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.portal.tests.helpers import link_in

pytestmark = pytest.mark.browser

# Run before any page script, outside the page's policy: every refusal is kept.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


class Violations:
    """What the browser refused, from the console and from securitypolicyviolation events."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.context.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy, f"{path}: no Content-Security-Policy header"
        assert "unsafe-inline" not in policy, f"{path}: {policy}"
        assert "unsafe-eval" not in policy, f"{path}: {policy}"
        self.page.wait_for_load_state("load")
        self.check(path)

    def check(self, where: str) -> None:
        events = self.page.evaluate("window.__cspViolations || []")
        assert not events, f"{where}: the policy refused {events}"
        assert not self.console, "\n".join(self.console)


def test_staff_pages_work_under_the_policy(staff_page):
    page, company, user = staff_page
    customer, _items = customer_with_items(company, "850.00", "400.00", name="Anna Andersson")
    invoice = issued_invoice(company, user, "1200", customer=PersonFactory(company=company, name="Bertil Berg"))
    draft = draft_invoice(company, user, "300")
    make_occurrence(company)
    violations = Violations(page)

    for path in (
        "/basis/", "/invoices/", f"/invoices/{invoice.pk}/", f"/invoices/{draft.pk}/edit/", "/invoices/new/",
        f"/invoices/{invoice.pk}/credit/", "/distribution/", "/customers/", f"/customers/{customer.pk}/",
        "/recurring/", "/recurring/new/", "/bookings/", "/journal/", "/courses/", "/catalog/", "/settings/",
        "/settings/staff/", "/settings/api/", "/settings/distribution/", "/account/security/",
        "/invoices/999999/",  # the 404 page
    ):  # fmt: skip
        violations.visit(path)

    # the behaviours moved out of inline handlers into staff/fakturera.js, and htmx
    violations.visit("/basis/")
    page.locator("#select-all").check()
    assert page.locator("input[name=customer][form=register-form]").first.is_checked()
    page.get_by_role("link", name="Anna Andersson").first.click()
    page.locator(".basis-panel").wait_for()
    violations.check("the basis with a customer's items (htmx)")

    violations.visit("/invoices/new/")
    rows = page.locator("#draft-line-rows tr").count()
    page.locator("#add-line").click()
    assert page.locator("#draft-line-rows tr").count() == rows + 1
    violations.check("a new row on the invoice form")

    violations.visit(f"/invoices/{invoice.pk}/credit/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#credit-fully").click()
    assert page.url.endswith(f"/invoices/{invoice.pk}/credit/")  # dismissed: nothing was sent
    violations.check("a question before crediting fully")

    violations.visit("/account/security/")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    page.locator(".qr-code svg").wait_for()
    violations.check("the QR code (inline SVG)")

    page.select_option("select[name=language]", "sv")
    page.wait_for_url("**/account/security/")
    page.locator("html[lang=sv]").wait_for(state="attached")
    violations.check("the language switcher (autosubmit)")


def test_the_portal_the_public_form_and_the_api_docs_work_under_the_policy(staff_page, live_server, settings):
    page, company, user = staff_page
    settings.SITE_URL = live_server.url
    anna = PersonFactory(company=company, name="Anna Andersson", email="anna@example.se", language="en")
    invoice = issued_invoice(company, user, "800", customer=anna)
    occurrence = make_occurrence(company)
    violations = Violations(page)

    violations.visit(f"/register/{occurrence.registration_form.token}/")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    violations.check("the public form in English")

    violations.visit(f"/portal/{company.pk}/login/")
    page.fill("input[name=email]", "anna@example.se")
    page.get_by_role("button", name="Send me a login link").click()
    page.locator("#link-sent").wait_for()
    violations.check("the portal's link sent page")
    violations.visit(link_in(mail.outbox[-1].body))
    page.get_by_role("button", name="Log in and see my invoices").click()
    page.locator("#invoices").wait_for()
    violations.check("the portal's invoices")
    violations.visit(f"/portal/{company.pk}/invoices/{invoice.pk}/")

    violations.visit("/api/v1/docs")
    page.locator(".swagger-ui .information-container").wait_for()
    violations.check("the API documentation (Swagger UI)")
