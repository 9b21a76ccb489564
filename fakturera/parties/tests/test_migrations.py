"""The move of API keys from the api app keeps what a database holds: the keys (their
table is taken over and renamed, never copied) go on authenticating requests, and the
content type, with its permissions, follows the model."""

from __future__ import annotations

import hashlib

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from fakturera.core.tests.api_client import ApiClient
from fakturera.parties.keys import api_key_create
from fakturera.parties.models import ApiKey
from fakturera.parties.tests.factories import UserFactory

# Where the api and parties apps stood before the move.
BEFORE = [("api", "0002_webhooks_moved_to_webhooks_app"), ("parties", "0003_period_text")]


def _old_key(old_apps, *, company_id: int, prefix: str, secret: str, **fields):
    """A key as the api app made it: the prefix in clear, only the SHA-256 of the secret."""
    old_apps.get_model("api", "ApiKey").objects.create(
        company_id=company_id,
        prefix=prefix,
        secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
        **fields,
    )
    return f"fk_{prefix}_{secret}"


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_a_database_of_before_the_move_keeps_its_keys_working():
    # given a database migrated as before the move, with keys in the api app's table
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        assert "api_apikey" in connection.introspection.table_names()
        # the company as that schema has it: the model of today may have columns it lacks
        company = old.get_model("parties", "Company").objects.create(name="Klinik AB", org_number="556036-0793")
        admin = UserFactory()
        live = _old_key(old, company_id=company.pk, prefix="0a1b2c3d", secret="live-secret", name="CRM",
                        created_by_id=admin.pk)  # fmt: skip
        revoked = _old_key(old, company_id=company.pk, prefix="4e5f6a7b", secret="old-secret", name="Export",
                           is_read_only=True, revoked_at=timezone.now())  # fmt: skip
        old_ids = sorted(old.get_model("api", "ApiKey").objects.values_list("pk", flat=True))
        content_type, _created = old.get_model("contenttypes", "ContentType").objects.get_or_create(
            app_label="api", model="apikey"
        )
        old.get_model("auth", "Permission").objects.get_or_create(
            content_type=content_type, codename="view_apikey", defaults={"name": "Can view API key"}
        )
    finally:
        # when it is migrated to this code
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()

    # then the keys are parties', in its own table, with their ids, and still authenticate
    tables = connection.introspection.table_names()
    assert ApiKey._meta.db_table == "parties_apikey"
    assert "parties_apikey" in tables
    assert "api_apikey" not in tables
    assert sorted(ApiKey.objects.values_list("pk", flat=True)) == old_ids
    key = ApiKey.objects.get(prefix="0a1b2c3d")
    assert (key.company_id, key.created_by_id, key.name) == (company.pk, admin.pk, "CRM")
    crm = ApiClient(live)
    assert crm.get("/invoices").status_code == 200
    assert crm.post("/persons", {"name": "Anna Berg"}).status_code == 201
    assert ApiKey.objects.get(prefix="0a1b2c3d").last_used_at is not None
    refused = ApiClient(revoked).get("/invoices")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "key_revoked"
    # the content type is the same row, now parties', and its permissions came along
    moved = ContentType.objects.get_for_model(ApiKey)
    assert (moved.pk, moved.app_label) == (content_type.pk, "parties")
    assert not ContentType.objects.filter(app_label="api", model="apikey").exists()
    assert Permission.objects.get(content_type=moved, codename="view_apikey")
    assert global_apps.get_model("parties", "ApiKey") is ApiKey
    # and new keys continue after the old ids
    later = api_key_create(company=key.company, name="New", actor=None)
    assert later.key.pk > max(old_ids)
    assert ApiClient(later.token).get("/invoices").status_code == 200


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_vat_numbers_and_peppol_ids_stored_before_issue_13_are_normalised_where_they_can_be():
    # given rows stored before the services wrote VAT numbers with their country prefix
    executor = MigrationExecutor(connection)
    executor.migrate([("parties", "0008_issue_days_ahead_and_person_invoice_email")])
    old_apps = executor.loader.project_state([("parties", "0008_issue_days_ahead_and_person_invoice_email")]).apps
    Company = old_apps.get_model("parties", "Company")
    Customer = old_apps.get_model("parties", "Customer")
    company = Company.objects.create(name="Bergen AS", country="NO", org_number="923609016", vat_number="923609016MVA")
    rows = {
        "norwegian": ("NO", "923609016MVA", ""),
        "finnish": ("FI", "20774740", "0212:2077474-0"),
        "swedish": ("SE", "SE556036079301", "9955:SE556036079301"),
        "broken": ("NO", "123", "0007:1"),
    }
    for number, (name, (country, vat_number, peppol_id)) in enumerate(rows.items(), start=1):
        Customer.objects.create(
            company=company, kind="organisation", number=number, name=name, country=country,
            vat_number=vat_number, peppol_id=peppol_id,
        )  # fmt: skip

    # when the data migration runs
    executor = MigrationExecutor(connection)
    executor.migrate([("parties", "0009_normalise_vat_numbers")])

    # then what can be normalised is, and what cannot stays as it was
    new_apps = executor.loader.project_state([("parties", "0009_normalise_vat_numbers")]).apps
    stored = dict(new_apps.get_model("parties", "Customer").objects.values_list("name", "vat_number"))
    ids = dict(new_apps.get_model("parties", "Customer").objects.values_list("name", "peppol_id"))
    assert new_apps.get_model("parties", "Company").objects.get().vat_number == "NO923609016MVA"
    assert stored == {
        "norwegian": "NO923609016MVA", "finnish": "FI20774740", "swedish": "SE556036079301", "broken": "123",
    }  # fmt: skip
    assert ids == {"norwegian": "", "finnish": "0216:003720774740", "swedish": "0007:5560360793", "broken": "0007:1"}
    executor.loader.build_graph()
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
