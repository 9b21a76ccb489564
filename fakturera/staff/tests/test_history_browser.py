"""One invoice's history in Chromium, read by a Swedish and by an English member of staff:
each event (issued, queued, failed, queued again, sent) wholly in the reader's language,
although every one of them was written by the same code in one language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.history import describe, kind_label
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.browser


def logged_in(browser, live_server, username: str, locale: str):
    context = browser.new_context(base_url=live_server.url, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page


def history_of(page, invoice_id: int) -> tuple[list[str], list[str], str]:
    """The kinds and sentences of the history tab as shown, and the tab's whole text."""
    page.goto(f"/invoices/{invoice_id}/history/")
    page.wait_for_selector("#invoice-history")
    rows = page.locator("#invoice-history tbody tr")
    kinds = [rows.nth(index).locator("td").nth(2).inner_text().strip() for index in range(rows.count())]
    texts = [text.strip() for text in page.locator("#invoice-history .event-text").all_inner_texts()]
    return kinds, texts, page.locator("#invoice-history").inner_text()


def test_a_swedish_and_an_english_reader_each_read_the_whole_history_in_their_language(
    browser, live_server, transactional_db, swedish
):
    # Given an invoice that a mail server first refused and then took
    company = CompanyFactory()
    staff = StaffFactory(company=company, role="admin")
    invoice = basis_registered(company, staff.user, "300.00", name="Anna Berg")
    later = timezone.now() + dt.timedelta(minutes=6)
    with SmtpServer(refuse_with="550 5.1.1 anna.berg@example.se") as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=staff.user, invoice_ids=[invoice.pk])
        assert deliveries_work(now=later).failed == 1
        smtp.handler.refuse_with = ""
        invoices_send(company=company, actor=staff.user, invoice_ids=[invoice.pk])
        assert deliveries_work(now=later + dt.timedelta(minutes=6)).sent == 1
    events = list(invoice.events.order_by("at", "pk"))
    assert [event.kind for event in events] == [
        "issued",
        SendingEvent.QUEUED,
        SendingEvent.SEND_FAILED,
        SendingEvent.QUEUED,
        SendingEvent.SENT,
    ]
    expected = {}
    for language in ("sv", "en"):
        with translation.override(language):
            expected[language] = ([kind_label(e.kind) for e in events], [describe(e) for e in events])

    # When a Swedish and an English member of staff open its history
    shown = {}
    for language, locale in (("sv", "sv-SE"), ("en", "en-GB")):
        context, page = logged_in(browser, live_server, staff.user.username, locale)
        try:
            shown[language] = history_of(page, invoice.pk)
        finally:
            context.close()

    # Then each reads every event in their own language ...
    assert shown["sv"][:2] == expected["sv"]
    assert shown["en"][:2] == expected["en"]
    assert shown["sv"][1] == [
        "Registrerad från underlaget",
        "Väntar på att skickas med E-post till Anna Berg <anna.berg@example.se>",
        # The code and the enhanced status code; never the server's own words (core/mail.py).
        "Utskicket med E-post misslyckades: SMTP-servern svarade 550 5.1.1",
        "Väntar på att skickas med E-post till Anna Berg <anna.berg@example.se>",
        "Skickad med E-post till Anna Berg <anna.berg@example.se>",
    ]
    # ... and nothing of the other language: no English sentence or kind on the Swedish
    # page, no Swedish one on the English page.
    for reader, other in (("sv", "en"), ("en", "sv")):
        whole = shown[reader][2]
        for kind, sentence in zip(*expected[other], strict=True):
            assert sentence not in whole, (reader, sentence)
            assert kind not in shown[reader][0], (reader, kind)
