"""The move from the api app keeps what a database holds: the endpoints, deliveries and
attempts (their tables are taken over and renamed, never copied), and the tasks
queued under the old module path (pointed to the new one)."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as global_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from fakturera.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

queued_tasks = importlib.import_module("fakturera.webhooks.migrations.0003_queued_tasks_moved")

OLD_DELIVER = "fakturera.api.tasks.deliver_webhooks"
OLD_SWEEP = "fakturera.api.tasks.sweep_webhooks"
NEW_DELIVER = "fakturera.webhooks.tasks.deliver_webhooks"
NEW_SWEEP = "fakturera.webhooks.tasks.sweep_webhooks"
RENDER = "fakturera.documents.tasks.render_documents"


def _task(task_path: str, status: str = "READY") -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=task_path,
        status=status,
        args_kwargs={"args": [[1, 2]], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
    )


@pytest.mark.django_db
def test_queued_webhook_tasks_are_pointed_to_the_webhooks_app_and_back():
    queued = _task(OLD_DELIVER)
    sweep = _task(OLD_SWEEP)
    ran = _task(OLD_DELIVER, status="SUCCESSFUL")
    failed = _task(OLD_DELIVER, status="FAILED")
    running = _task(OLD_DELIVER, status="RUNNING")
    other = _task(RENDER)
    editor = SimpleNamespace(connection=connection)

    assert queued_tasks.queued_tasks_to_webhooks(global_apps, editor) == 2

    paths = dict(DBTaskResult.objects.values_list("id", "task_path"))
    assert (paths[queued.id], paths[sweep.id]) == (NEW_DELIVER, NEW_SWEEP)
    # only what has not run yet: the others keep the path they ran (or run) under
    assert paths[ran.id] == paths[failed.id] == paths[running.id] == OLD_DELIVER
    assert paths[other.id] == RENDER
    # the row still names an importable task, with its arguments
    assert DBTaskResult.objects.get(id=queued.id).task_result.args == [[1, 2]]

    assert queued_tasks.queued_tasks_to_api(global_apps, editor) == 2
    paths = dict(DBTaskResult.objects.values_list("id", "task_path"))
    assert (paths[queued.id], paths[sweep.id]) == (OLD_DELIVER, OLD_SWEEP)
    assert paths[other.id] == RENDER


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_a_database_of_before_the_move_keeps_its_webhooks():
    # given a database migrated as before the move, with webhook rows in the api tables
    before = [("api", "0001_api_keys_idempotency_webhooks"), ("webhooks", None)]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before[0]).apps
        # the company as the database has it now: the model of today may have columns it lacks
        loader = MigrationExecutor(connection).loader
        parties = max(name for app, name in loader.applied_migrations if app == "parties")
        companies = loader.project_state([("parties", parties)]).apps.get_model("parties", "Company")
        company = companies.objects.create(name="Klinik AB", org_number="556036-0793")
        endpoint = old.get_model("api", "WebhookEndpoint").objects.create(
            company_id=company.pk, url="https://erp.example.se/hook", secret="whsec_x", events=["invoice.issued"]
        )
        now = timezone.now()
        delivery = old.get_model("api", "WebhookDelivery").objects.create(
            endpoint=endpoint, event="invoice.issued", payload={"type": "invoice.issued"}, next_attempt_at=now
        )
        old.get_model("api", "WebhookAttempt").objects.create(delivery=delivery, at=now, status_code=500)
        task = _task(OLD_DELIVER)
    finally:
        # when it is migrated to this code
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    # then the rows are the webhooks app's, in its own tables, and the queued task follows
    assert WebhookEndpoint._meta.db_table == "webhooks_webhookendpoint"
    moved = WebhookDelivery.objects.select_related("endpoint").get()
    assert (moved.pk, moved.endpoint.pk, moved.endpoint.url) == (delivery.pk, endpoint.pk, endpoint.url)
    assert (moved.status, moved.next_attempt_at) == (DeliveryStatus.PENDING, now)
    assert WebhookAttempt.objects.get().status_code == 500
    assert DBTaskResult.objects.get(id=task.id).task_path == NEW_DELIVER
    # and new rows continue after the old ids
    later = WebhookDelivery.objects.create(
        endpoint=moved.endpoint, event="test", payload={}, next_attempt_at=now + dt.timedelta(seconds=1)
    )
    assert later.pk > delivery.pk
    tables = connection.introspection.table_names()
    assert "webhooks_webhookdelivery" in tables
    assert "api_webhookdelivery" not in tables
