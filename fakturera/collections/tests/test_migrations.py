"""Migration 0002: the built-in policy for every company made before collections existed, and
the published rates."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fakturera.collections.models import ReminderLevel, ReminderPolicy, StatutoryRate
from fakturera.collections.selectors import policies_of
from fakturera.parties.tests.factories import CompanyFactory

ZERO = ("collections", "0001_collections")
SEEDING = ("collections", "0002_published_rates_and_default_policies")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_companies_made_before_get_the_built_in_policy_within_their_law():
    swedish = CompanyFactory()
    norwegian = CompanyFactory(country="NO", org_number="923609016", vat_number="", default_currency="NOK")
    latest = list(MigrationExecutor(connection).loader.graph.leaf_nodes())
    try:
        _migrate([ZERO])
        assert not StatutoryRate.objects.exists()
        _migrate([SEEDING])
    finally:
        _migrate(latest)

    assert ReminderPolicy.objects.count() == 4
    assert ReminderLevel.objects.count() == 8
    swedish_levels = policies_of(company=swedish)["person"].levels
    norwegian_levels = policies_of(company=norwegian)["organisation"].levels
    assert [(level.days, level.new_due_days) for level in swedish_levels] == [(7, 10), (14, 10)]
    assert [(level.days, level.new_due_days) for level in norwegian_levels] == [(14, 14), (14, 14)]
    assert StatutoryRate.objects.filter(country="NO", kind="collection_rate").count() == 1
