"""The history as data: every kind worded in English and in Swedish when it is read, the
one bulk insert other apps add through, and migration 0006 on events as they were stored."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from fakturera.invoicing.history import (
    Entry,
    describe,
    detail_rows,
    history_add_many,
    kind_label,
    registered_kinds,
)
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.states import EventKind
from fakturera.invoicing.tests.factories import basis_registered

PLACEHOLDER = re.compile(r"%\(\w+\)|%[sd]|\{\w*\}")
AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)

# Each of invoicing's kinds with the parameters its writers give.
SAMPLES = {
    EventKind.CREATED: [{}, {"recurring_invoice": 4, "recurring_name": "Hyra lokal", "recurring_on": "2026-12-01"}],
    EventKind.EDITED: [{}, {"changed": ["order_reference", "lines"]}, {"changed": ["email"]}],
    EventKind.ISSUED: [{}, {"basis_items": 3}, {"credits": 7, "credited_number": "A12"}],
    EventKind.CREDITED: [{"credit_note": 8, "credit_note_number": "A13", "is_full": True}, {}],
    EventKind.DELETED: [{}],
}


class Event:
    def __init__(self, kind: str, params: dict) -> None:
        self.kind, self.params = kind, params


def worded(kind: str, params: dict, language: str) -> tuple[str, str, list[tuple[str, str]]]:
    with translation.override(language):
        event = Event(kind, params)
        return kind_label(kind), describe(event), detail_rows(event)


def test_every_kind_of_invoicings_has_samples():
    assert set(SAMPLES) == set(EventKind.values)


@pytest.mark.parametrize(
    ("kind", "params"), [(kind, params) for kind, rows in SAMPLES.items() for params in rows], ids=str
)
def test_each_kind_reads_wholly_in_english_and_in_swedish(swedish, kind, params):
    english = worded(kind, params, "en")
    svenska = worded(kind, params, "sv")

    for label, sentence, rows in (english, svenska):
        assert label.strip()
        assert sentence.strip()
        assert not PLACEHOLDER.search(sentence), sentence
        assert all(value and not PLACEHOLDER.search(value) for _label, value in rows)
    # Swedish words, not the English ones, for the kind, the sentence and the labels beside it.
    assert svenska[0] != english[0]
    assert svenska[1] != english[1], english[1]
    assert [label for label, _value in svenska[2]] != [label for label, _value in english[2]] or not english[2]


def test_an_issued_credit_note_and_a_full_credit_read_as_before():
    assert worded(EventKind.ISSUED, {"credits": 7, "credited_number": "A12"}, "en")[1] == "Credit note for invoice A12"
    sentence, rows = worded(EventKind.CREDITED, SAMPLES[EventKind.CREDITED][0], "en")[1:]
    assert sentence == "Credited by credit note A13"
    assert rows == [("Fully credited", "yes")]
    assert worded(EventKind.EDITED, {"changed": ["order_reference", "lines"]}, "en")[1] == (
        "Changed: order number, lines"
    )


def test_every_registered_kind_reads_even_without_parameters(swedish):
    # Other apps' kinds too (registered from their AppConfig.ready()): an event that lacks
    # what its sentence names still reads as a sentence, never as a template.
    kinds = registered_kinds()
    assert set(EventKind.values) < set(kinds)
    for kind in kinds:
        for language in ("en", "sv"):
            label, sentence, _rows = worded(kind, {}, language)
            assert label.strip(), kind
            assert sentence.strip(), kind
            assert not PLACEHOLDER.search(sentence), (kind, language, sentence)


def test_an_event_stored_as_a_sentence_reads_as_it_was_and_an_unknown_kind_by_its_code():
    assert worded(EventKind.ISSUED, {"text": "Utfärdad av det gamla systemet"}, "en")[1] == (
        "Utfärdad av det gamla systemet"
    )
    assert worded("paid_by_swish", {}, "en")[:2] == ("paid by swish", "paid by swish")


@pytest.mark.django_db
def test_other_apps_add_their_events_in_one_insert(company, admin_user):
    invoices = [basis_registered(company, admin_user, "100.00") for _ in range(3)]

    with CaptureQueriesContext(connection) as queries:
        added = history_add_many(
            Entry(invoice.pk, "collected", AT, admin_user.pk, {"amount": "125.00", "by": "x"}) for invoice in invoices
        )

    assert added == 3
    # One INSERT; on PostgreSQL one COPY, which goes past Django's query log.
    assert len(queries) == (0 if connection.vendor == "postgresql" else 1)
    stored = InvoiceEvent.objects.filter(kind="collected").order_by("invoice_id")
    assert [(e.invoice_id, e.at, e.actor_id, e.params) for e in stored] == [
        (invoice.pk, AT, admin_user.pk, {"amount": "125.00", "by": "x"}) for invoice in invoices
    ]


# --- migration 0006: invoicing's own sentences back into data -------------------------------------------

migration = importlib.import_module("fakturera.invoicing.migrations.0006_history_as_data")

OLD_ROWS = [
    # kind, message as stored (in the writer's language), details as stored -> params
    ("issued", "Registered from the basis", {"basis_items": 2}, {"basis_items": 2}),
    ("issued", "Registrerad från underlaget", {"basis_items": 4}, {"basis_items": 4}),
    ("issued", "Credit note for invoice 1042", {"credits": 9}, {"credits": 9, "credited_number": "1042"}),
    ("issued", "Kreditfaktura för faktura F1042", {"credits": 9}, {"credits": 9, "credited_number": "F1042"}),
    ("issued", "", {}, {}),
    (
        "credited",
        "Krediterad med kreditfaktura 1043",
        {"credit_note": 10, "credit_note_number": "1043", "is_full": False},
        {"credit_note": 10, "credit_note_number": "1043", "is_full": False},
    ),
    (
        "created",
        "Genererad från repeterande faktura Hyra för 2026-12-01",
        {},
        {"recurring_name": "Hyra", "recurring_on": "2026-12-01"},
    ),
    (
        "created",
        "Generated from recurring invoice 17 for 2027-01-01",
        {},
        {"recurring_name": "17", "recurring_on": "2027-01-01"},
    ),
    ("edited", "", {"changed": ["email"]}, {"changed": ["email"]}),
]


@pytest.mark.parametrize(("kind", "message", "details", "params"), OLD_ROWS)
def test_migration_0006_reads_invoicings_old_sentences_back_into_data(kind, message, details, params):
    assert migration.converted(kind, message, details) == params


def test_migration_0006_leaves_what_it_cannot_read_and_other_apps_kinds_for_them():
    assert migration.converted("issued", "Imported from Fortnox", {}) is None
    assert migration.converted("collected", "Collected by Autogiro", {}) is None


def test_old_sentences_read_in_both_languages_once_converted(swedish):
    params = migration.converted("issued", "Kreditfaktura för faktura F1042", {"credits": 9})
    assert worded("issued", params, "en")[1] == "Credit note for invoice F1042"
    assert worded("issued", params, "sv")[1] == "Kreditfaktura för faktura F1042"
