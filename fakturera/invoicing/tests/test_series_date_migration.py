"""Migration 0008 gives each number series the latest date of the documents issued in it
before the column existed, so the first invoice after it cannot be dated before them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fakturera.invoicing.models import NumberSeries
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_each_series_gets_its_latest_invoice_date(company, admin_user):
    issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 11, 2))
    issued_invoice(company, admin_user, "100", issued_on=dt.date(2026, 11, 20))
    quiet = CompanyFactory()  # a series with nothing issued
    # Every app's latest: going back unapplies the apps that depend on invoicing (payments).
    latest = list(MigrationExecutor(connection).loader.graph.leaf_nodes())
    try:
        _migrate([("invoicing", "0007_event_message_removed")])
        _migrate(latest)
    finally:
        _migrate(latest)

    assert NumberSeries.objects.get(company=company).last_issued_on == dt.date(2026, 11, 20)
    assert NumberSeries.objects.get(company=quiet).last_issued_on is None
