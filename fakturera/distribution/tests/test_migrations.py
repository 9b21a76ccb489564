"""Distribution's data migrations, run on rows as the earlier schema held them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from fakturera.distribution.models import InvoiceSending
from fakturera.distribution.selectors import sendings
from fakturera.staff.tests.invoice_helpers import issued_invoice

BEFORE = [("distribution", "0001_initial"), ("invoicing", "0004_foreign_keys_served_by_composite_indexes")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in ("distribution", "invoicing")]


@pytest.mark.django_db(transaction=True)
def test_the_sending_columns_move_to_distribution_with_their_values(company, admin_user):
    # Given three invoices (their rows outlive the schema change) ...
    never, sent, reminded = (issued_invoice(company, admin_user, "100.00") for _ in range(3))
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
