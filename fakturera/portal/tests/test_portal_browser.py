"""A person logs in to the portal in Chromium with the link a real SMTP server on loopback
received, sees only their own invoices and downloads the stored PDF; a used or expired
link is refused with a message that says so."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import document_get
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory
from fakturera.portal.models import LoginLink
from fakturera.portal.tests.helpers import link_in

pytestmark = pytest.mark.browser


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        del server, session
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int) -> list[email.message.EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=30)
        assert len(self.messages) >= count, f"{len(self.messages)} messages arrived, expected {count}"
        return self.messages


@pytest.fixture
def smtp(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield mailbox
    controller.stop()


@pytest.fixture
def portal(browser, live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page, context
    context.close()


def ask_for_link(page, company, address: str) -> None:
    page.goto(f"/portal/{company.pk}/login/")
    page.fill("input[name=email]", address)
    page.get_by_role("button", name="Send me a login link").click()
    page.locator("#link-sent").wait_for()


def test_a_person_logs_in_with_the_emailed_link_and_downloads_their_pdf(portal, smtp, browser, live_server):
    page, _context = portal
    company = CompanyFactory(name="Kliniken Solglimten AB")
    actor = StaffFactory(company=company, role="admin").user
    anna = PersonFactory(company=company, name="Anna Andersson", email="anna@example.se", language="en")
    bertil = PersonFactory(company=company, name="Bertil Berg", email="bertil@example.se")
    mine = issued_invoice(company, actor, "800", customer=anna)
    theirs = issued_invoice(company, actor, "1200", customer=bertil)

    ask_for_link(page, company, "anna@example.se")
    [message] = smtp.wait_for(1)
    assert message["To"] == "anna@example.se"
    assert message["Subject"] == "Your login link for Kliniken Solglimten AB"
    link = link_in(message.get_content())
    assert link.startswith(f"{live_server.url}/portal/{company.pk}/login/")

    page.goto(link)
    page.get_by_role("button", name="Log in and see my invoices").click()
    page.locator("#invoices").wait_for()
    numbers = page.locator("#invoices tbody tr td:first-child").all_inner_texts()
    assert numbers == [mine.display_number]
    assert theirs.display_number != mine.display_number
    assert "1,000.00" in page.locator("#invoices tbody").inner_text()
    assert "1,500.00" not in page.content()  # Bertil's total
    assert "Bertil" not in page.content()

    page.get_by_role("link", name=mine.display_number, exact=True).click()
    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    downloaded = Path(download_info.value.path()).read_bytes()
    assert downloaded == bytes(document_get(invoice=mine, fmt=DocumentFormat.PDF).content)

    # The same link again, in another browser: refused, and it says why.
    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        again = other.new_page()
        again.goto(link)
        assert "This login link has already been used. Ask for a new one." in again.locator("#refusal").inner_text()
        assert again.get_by_role("button", name="Log in and see my invoices").count() == 0
    finally:
        other.close()


def test_an_expired_link_is_refused(portal, smtp):
    page, _context = portal
    company = CompanyFactory()
    PersonFactory(company=company, email="carl@example.se", language="en")

    ask_for_link(page, company, "carl@example.se")
    link = link_in(smtp.wait_for(1)[0].get_content())
    # Half an hour later (moved in the table: the browser and the server share no clock to travel).
    LoginLink.objects.update(
        created_at=timezone.now() - dt.timedelta(minutes=40), expires_at=timezone.now() - dt.timedelta(minutes=10)
    )

    page.goto(link)

    assert page.locator("#refusal").inner_text() == "This login link has expired. Ask for a new one."
    assert page.get_by_role("button", name="Log in and see my invoices").count() == 0
