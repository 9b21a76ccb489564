"""/healthz and /readyz as a load balancer asks them: by the machine's address, over plain
HTTP, without a session; ready only with the database answering, every migration applied and
no queue's oldest due item waiting too long, and otherwise 503 with the reasons."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_a_session_or_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"alive": True}
    assert not response.cookies
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_ready_with_the_database_migrations_and_queues_in_order(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["reasons"] == []
    assert set(body["queues"]) == {"tasks", "deliveries", "webhooks"}
    assert not response.cookies


def test_a_load_balancer_asks_by_the_machines_address_over_plain_http(settings):
    # production: only the site's host is allowed, and HTTP is redirected to HTTPS
    settings.ALLOWED_HOSTS = ["faktura.example.se"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    # every other page still refuses the host
    assert client.get("/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400


def _queue_a_delivery(company, admin_user) -> None:
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel=Channel.PRINT, reserve_channel="", reminder_channel="", undo_minutes=0
    )
    invoice = basis_registered(company, admin_user, "100.00")
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])


def test_a_queue_whose_oldest_due_item_waited_too_long_makes_it_not_ready(client, company, admin_user, settings):
    settings.READY_QUEUE_AGE_SECONDS = 600
    # given a delivery due now, a webhook due 20 minutes ago and a task waiting 2 minutes
    _queue_a_delivery(company, admin_user)
    endpoint = WebhookEndpoint.objects.create(company=company, url="https://example.se/h", events=[], secret="x")
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=WebhookEvent.TEST,
        payload={},
        next_attempt_at=timezone.now() - dt.timedelta(minutes=20),
    )
    task = DBTaskResult.objects.create(
        task_path="fakturera.x:y",
        args_kwargs={"args": [], "kwargs": {}},
        run_after=get_date_max(),
        backend_name="default",
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - dt.timedelta(minutes=2))

    # when the load balancer asks now
    response = client.get("/readyz")

    # then the webhooks, and only they, are too old
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert [(reason["check"], reason["queue"]) for reason in body["reasons"]] == [("queue", "webhooks")]
    assert "has waited 1200 s (more than 600 s)" in body["reasons"][0]["message"]
    assert body["queues"]["deliveries"]["depth"] == 1
    assert body["queues"]["tasks"]["depth"] == 1
    assert 115 < body["queues"]["tasks"]["oldest_age_seconds"] < 200

    # and eleven minutes later, with no worker running, the deliveries and the task too
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        body = client.get("/readyz").json()
    assert sorted(reason["queue"] for reason in body["reasons"]) == ["deliveries", "tasks", "webhooks"]

    # a threshold of 0 checks no queue
    settings.READY_QUEUE_AGE_SECONDS = 0
    assert client.get("/readyz").status_code == 200


def _readyz_in_a_process(database_url: str) -> tuple[int, dict]:
    script = (
        "import json, django; django.setup(); from django.test import Client; "
        "r = Client().get('/readyz'); print(r.status_code); print(r.content.decode())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "fakturera.settings"},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    status, body = done.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body)


def test_not_ready_before_the_migrations_are_applied(tmp_path):
    status, body = _readyz_in_a_process(f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    assert status == 503
    [reason] = body["reasons"]
    assert reason["check"] == "migrations"
    assert "run `fakturera migrate`" in reason["message"]
    assert "contenttypes.0001_initial" in reason["unapplied"]


def test_not_ready_when_the_database_does_not_answer():
    status, body = _readyz_in_a_process("postgres://postgres@127.0.0.1:9/nowhere?connect_timeout=2")

    assert status == 503
    assert [reason["check"] for reason in body["reasons"]] == ["database"]
    assert "The database does not answer" in body["reasons"][0]["message"]
