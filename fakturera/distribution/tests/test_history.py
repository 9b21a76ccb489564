"""Distribution's history events and reasons as data: each worded wholly in English and in
Swedish when it is read; a service's HTML error page kept as plain text; migration 0003
on events as they were stored."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.reasons import SENTENCES, Reason, reason, text, worded
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent
from fakturera.distribution.tests.factories import service_channel
from fakturera.distribution.tests.test_errors import PAGE
from fakturera.distribution.transports.testing import FakeLetterService
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.history import describe, detail_rows, kind_label
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.staff.tests.invoice_helpers import staff_client

PLACEHOLDER = re.compile(r"%\(\w+\)|%[sd]|\{\w*\}")
NAMED = re.compile(r"%\((\w+)\)s")

NO_EMAIL = reason("no_email", name="Anna Berg").as_data()
SERVICE_ERROR = reason("service_error", service="letter", error="HTTP 502 Bad Gateway: nginx").as_data()

SAMPLES = {
    SendingEvent.QUEUED: [
        {"channel": "email", "recipient": "Anna Berg <anna@example.se>"},
        {"channel": "letter", "recipient": "Anna Berg, Storgatan 1, 111 22 Stockholm", "resent": True},
        {
            "channel": "print",
            "recipient": "Anna Berg",
            "routing": [reason("by_reserve", r=reason("no_email", name="Anna Berg")).as_data()],
        },
    ],
    SendingEvent.REMINDER_QUEUED: [{"channel": "email", "recipient": "Anna Berg <anna@example.se>"}],
    SendingEvent.SENT: [
        {"channel": "peppol", "recipient": "Firma AB (0007:5560360793)", "reference": "D-000045"},
        {"channel": "email", "recipient": "Anna Berg", "confirmed": True},
        {"channel": "direct_debit", "recipient": "Anna Berg", "reference": reason("payment_order").as_data()},
    ],
    SendingEvent.REMINDED: [
        {"channel": "letter", "recipient": "Anna Berg", "count": 2, "reference": "L-000123"},
        {"channel": "email", "recipient": "Anna Berg", "count": 1, "confirmed": True},
    ],
    SendingEvent.SEND_FAILED: [
        {"channel": "letter", "error": SERVICE_ERROR},
        {"channel": "email", "error": reason("smtp_answer", code=550, text="5.1.1 anna@example.se").as_data()},
        {
            "channel": "email",
            "error": reason("smtp_unreachable", host="h", port=25, error=reason("timed_out")).as_data(),
        },
    ],
    SendingEvent.REMINDER_FAILED: [{"channel": "email", "error": reason("smtp_login_refused", code=535).as_data()}],
    SendingEvent.SEND_UNDONE: [{"channel": "print"}],
    SendingEvent.SEND_STOPPED: [{"channel": "email"}],
    SendingEvent.NOT_SENT: [{"reason": NO_EMAIL}, {"reason": reason("not_overdue").as_data()}],
    SendingEvent.SEND_UNCERTAIN: [{"channel": "email", "recipient": "Anna Berg <anna@example.se>"}],
}


class Event:
    def __init__(self, kind: str, params: dict) -> None:
        self.kind, self.params = kind, params


def read(kind: str, params: dict, language: str) -> tuple[str, str, list[tuple[str, str]]]:
    with translation.override(language):
        event = Event(kind, params)
        return kind_label(kind), describe(event), detail_rows(event)


def test_every_kind_of_distributions_has_samples():
    assert set(SAMPLES) == set(SendingEvent.values)


@pytest.mark.parametrize(
    ("kind", "params"), [(kind, params) for kind, rows in SAMPLES.items() for params in rows], ids=str
)
def test_each_kind_reads_wholly_in_english_and_in_swedish(swedish, kind, params):
    english, svenska = read(kind, params, "en"), read(kind, params, "sv")

    for label, sentence, rows in (english, svenska):
        assert label.strip()
        assert sentence.strip()
        assert not PLACEHOLDER.search(sentence), sentence
        for row_label, value in rows:
            assert row_label.strip()
            assert value.strip()
            assert not PLACEHOLDER.search(value), value
    assert svenska[0] != english[0]
    assert svenska[1] != english[1], english[1]
    for (sv_label, sv_value), (en_label, en_value) in zip(svenska[2], english[2], strict=True):
        assert sv_label != en_label
        if "routing" in params:
            assert sv_value != en_value


def test_the_channel_and_the_reason_are_worded_by_the_reader():
    params = {"channel": "email", "error": SERVICE_ERROR}
    assert read(SendingEvent.SEND_FAILED, params, "en")[1] == (
        "Sending by E-mail failed: The letter service had an error: HTTP 502 Bad Gateway: nginx"
    )
    assert read(SendingEvent.NOT_SENT, {"reason": NO_EMAIL}, "en")[1] == "Not sent: Anna Berg has no e-mail address."


def sample_params(code: str) -> dict:
    """A value for each placeholder of the reason's English sentence."""
    with translation.override("en"):
        names = NAMED.findall(str(SENTENCES[code]))
    values = {"c": "email", "service": "peppol", "r": reason("no_email", name="Anna"), "error": reason("timed_out")}
    return {name: values.get(name, "X-1") for name in names}


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_each_reason_reads_in_english_and_in_swedish(swedish, code):
    found = Reason.from_data(reason(code, **sample_params(code)).as_data())

    with translation.override("en"):
        english = str(found)
    with translation.override("sv"):
        svenska = str(found)

    for sentence in (english, svenska):
        assert sentence.strip()
        assert not PLACEHOLDER.search(sentence), sentence
    assert svenska != english


def test_words_that_are_not_ours_read_as_they_are(swedish):
    with translation.override("sv"):
        assert worded(text("5.1.1 mailbox full").as_data()) == "5.1.1 mailbox full"
        # From before reasons were data: the stored words.
        assert worded("Anna has no e-mail address.") == "Anna has no e-mail address."


# --- a service's error page as plain text ------------------------------------------------------------


@pytest.mark.django_db
def test_a_letter_refused_with_an_html_page_keeps_only_its_status_line(company, swedish):
    """Whatever answers with a page that is not the protocol's JSON is not echoed: the status line only."""
    client, user = staff_client(company)
    invoice = basis_registered(company, user, "250.00")
    with FakeLetterService() as service:
        service_channel(company, Channel.LETTER, service)
        invoices_send(company=company, actor=user, invoice_ids=[invoice.pk])
        service.fail_next(400, page=PAGE)
        assert deliveries_work(now=timezone.now() + dt.timedelta(minutes=6)).failed == 1

    expected = "HTTP 400 Bad Request"
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error.endswith(expected)
    assert "postal code" not in delivery.error
    failure = invoice.events.get(kind=SendingEvent.SEND_FAILED)
    assert failure.params["error"] == reason("delivery_refused", service="letter", error=expected).as_data()

    page = client.get(reverse("staff:invoice_history", args=[invoice.pk]), headers={"accept-language": "sv"})
    html = page.content.decode()
    assert "Utskicket med Brev misslyckades: Brevtjänsten avvisade leveransen: HTTP 400 Bad Request" in html
    assert "The postal code" not in html
    for markup in ("<!DOCTYPE", "&lt;", "<style", "<script>window", "font-family", "dataLayer"):
        assert markup not in html


# --- migration 0003: distribution's old sentences back into data -----------------------------------

migration = importlib.import_module("fakturera.distribution.migrations.0003_history_as_data")


def as_text(words: str) -> dict:
    return {"code": "text", "params": {"text": words}}


OLD_ROWS = [
    # kind, message as stored, details as stored -> params
    (
        "queued",
        "Waiting to be sent by E-mail to Anna Berg <anna@example.se>",
        {"channel": "E-mail", "recipient": "Anna Berg <anna@example.se>"},
        {"channel": "email", "recipient": "Anna Berg <anna@example.se>"},
    ),
    (
        "queued",
        "Väntar på att skickas med Utskrift till Anna Berg",
        {
            "channel": "Utskrift",
            "recipient": "Anna Berg",
            "routing": "Skickas med reservkanalen: Anna Berg saknar e-post.",
        },
        {
            "channel": "print",
            "recipient": "Anna Berg",
            "routing": [as_text("Skickas med reservkanalen: Anna Berg saknar e-post.")],
        },
    ),
    (
        "queued",
        "Skickas igen med E-post till Anna Berg.",
        {"channel": "E-post"},
        {"channel": "email", "recipient": "Anna Berg", "resent": True},
    ),
    (
        "reminded",
        "Påminnelse 2 skickad med Brev till Anna Berg, Storgatan 1, 111 22 Stockholm",
        {"channel": "Brev", "recipient": "Anna Berg, Storgatan 1, 111 22 Stockholm", "reference": "L-000123"},
        {
            "channel": "letter",
            "recipient": "Anna Berg, Storgatan 1, 111 22 Stockholm",
            "reference": "L-000123",
            "count": 2,
        },
    ),
    (
        "sent",
        "Confirmed as sent by Peppol e-invoice to Firma AB.",
        {"channel": "Peppol e-invoice", "recipient": "Firma AB"},
        {"channel": "peppol", "recipient": "Firma AB", "confirmed": True},
    ),
    (
        "send_failed",
        "Sending by Letter failed: The letter service had an error (HTTP 502): <html><head><title>502 Bad Gateway"
        "</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
        {"channel": "Letter"},
        {
            "channel": "letter",
            "error": as_text("The letter service had an error (HTTP 502): 502 Bad Gateway nginx"),
        },
    ),
    (
        "reminder_failed",
        "Utskicket med E-post misslyckades: SMTP-servern svarade 554 rejected",
        {"channel": "E-post"},
        {"channel": "email", "error": as_text("SMTP-servern svarade 554 rejected")},
    ),
    ("send_undone", "Utskicket med Brev ångrades.", {"channel": "Brev"}, {"channel": "letter"}),
    (
        "send_stopped",
        "Not sent: the invoice was credited inside the undo window.",
        {"channel": "E-mail"},
        {"channel": "email"},
    ),
    ("not_sent", "Anna Berg has no e-mail address.", {}, {"reason": as_text("Anna Berg has no e-mail address.")}),
    (
        "send_uncertain",
        "Det är okänt om den nådde Anna Berg med E-post: bekräfta den som skickad eller skicka den igen.",
        {"channel": "E-post"},
        {"channel": "email", "recipient": "Anna Berg"},
    ),
    # Not a sentence distribution wrote: kept, as plain text, and shown as it is.
    (
        "sent",
        "Skickad via <b>gamla</b>   systemet",
        {"channel": "Export"},
        {"channel": "export", "text": "Skickad via gamla systemet"},
    ),
]


@pytest.mark.parametrize(("kind", "message", "details", "params"), OLD_ROWS)
def test_migration_0003_reads_old_sentences_back_into_data(kind, message, details, params):
    assert migration.converted(kind, message, details) == params


def test_old_events_read_in_the_readers_language_once_converted(swedish):
    params = migration.converted(
        "queued", "Waiting to be sent by E-mail to Anna Berg <anna@example.se>", {"channel": "E-mail"}
    )
    assert read("queued", params, "sv")[1] == "Väntar på att skickas med E-post till Anna Berg <anna@example.se>"
    failed = migration.converted("send_failed", OLD_ROWS[5][1], {"channel": "Letter"})
    assert read("send_failed", failed, "sv")[1] == (
        "Utskicket med Brev misslyckades: The letter service had an error (HTTP 502): 502 Bad Gateway nginx"
    )
