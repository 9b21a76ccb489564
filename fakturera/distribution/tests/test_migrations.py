"""Data migrations of distribution (and the history's, which it takes part in), run on rows
as the earlier schema held them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone, translation

from fakturera.distribution.models import InvoiceSending
from fakturera.distribution.selectors import sendings
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import basis_registered

BEFORE = [("distribution", "0001_initial"), ("invoicing", "0004_foreign_keys_served_by_composite_indexes")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    # Every app's latest: going back to an older invoicing also unapplies the apps that depend
    # on it (payments), which the tests' later steps need again.
    return list(executor.loader.graph.leaf_nodes())


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_the_sending_columns_move_to_distribution_with_their_values(company, admin_user):
    # Given three invoices (their rows outlive the schema change) ...
    never, sent, reminded = (basis_registered(company, admin_user, "100.00") for _ in range(3))
    sent_at = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    latest = _latest()
    try:
        # ... and, in the schema before the move, what the invoices held themselves
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE invoicing_invoice SET sending_status = %s, sent_at = %s WHERE id = %s",
                ["sent", sent_at, sent.pk],
            )
            cursor.execute(
                "UPDATE invoicing_invoice SET sending_status = %s, sent_at = %s, reminder_count = %s, "
                "reminded_on = %s WHERE id = %s",
                ["reminded", sent_at, 2, dt.date(2026, 11, 20), reminded.pk],
            )

        # When the migrations run
        _migrate(latest)
    finally:
        _migrate(latest)

    # Then distribution holds the values, and an invoice never sent has no row and reads as unsent
    assert set(InvoiceSending.objects.values_list("invoice_id", flat=True)) == {sent.pk, reminded.pk}
    found = sendings(company=company, invoice_ids=[never.pk, sent.pk, reminded.pk])
    assert (found[never.pk].status, found[never.pk].reminder_count) == ("unsent", 0)
    assert (found[sent.pk].status, found[sent.pk].sent_at, found[sent.pk].reminder_count) == ("sent", sent_at, 0)
    assert (found[reminded.pk].status, found[reminded.pk].reminder_count, found[reminded.pk].reminded_on) == (
        "reminded",
        2,
        dt.date(2026, 11, 20),
    )


HISTORY_BEFORE = [("distribution", "0002_invoice_sending"), ("invoicing", "0005_sending_moved_to_distribution")]


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_stored_sentences_become_data_that_each_reader_reads_in_their_language(company, admin_user, swedish):
    # Given an invoice whose history was stored as sentences, in both languages ...
    invoice = basis_registered(company, admin_user, "100.00")
    at = timezone.now()
    old = [
        ("issued", "Registrerad från underlaget", {"basis_items": 1}),
        ("queued", "Waiting to be sent by Letter to Anna Berg", {"channel": "Letter", "recipient": "Anna Berg"}),
        (
            "send_failed",
            "Sending by Letter failed: The letter service had an error (HTTP 502): <html><head><title>502 Bad "
            "Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>",
            {"channel": "Letter"},
        ),
        ("imported", "Importerad från Fortnox", {}),
    ]
    latest = _latest()
    try:
        _migrate(HISTORY_BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM invoicing_invoiceevent WHERE invoice_id = %s", [invoice.pk])
            for kind, message, details in old:
                cursor.execute(
                    "INSERT INTO invoicing_invoiceevent (invoice_id, kind, at, actor_id, message, details) "
                    "VALUES (%s, %s, %s, NULL, %s, %s)",
                    [invoice.pk, kind, at, message, json.dumps(details)],
                )

        # When the migrations run
        _migrate(latest)
    finally:
        _migrate(latest)

    # Then the events are data, each read wholly in the reader's language (what was never
    # ours, or cannot be read back, as it was: plain text)
    events = list(InvoiceEvent.objects.filter(invoice=invoice).order_by("pk"))
    assert events[2].params == {
        "channel": "letter",
        "error": {
            "code": "text",
            "params": {"text": "The letter service had an error (HTTP 502): 502 Bad Gateway nginx"},
        },
    }
    with translation.override("en"):
        english = [describe(event) for event in events]
    with translation.override("sv"):
        svenska = [describe(event) for event in events]
    assert english == [
        "Registered from the basis",
        "Waiting to be sent by Letter to Anna Berg",
        "Sending by Letter failed: The letter service had an error (HTTP 502): 502 Bad Gateway nginx",
        "Importerad från Fortnox",
    ]
    assert svenska == [
        "Registrerad från underlaget",
        "Väntar på att skickas med Brev till Anna Berg",
        "Utskicket med Brev misslyckades: The letter service had an error (HTTP 502): 502 Bad Gateway nginx",
        "Importerad från Fortnox",
    ]
