"""A background task that fails is tried again with backoff; one that fails every time stays
failed, visible to its company's administrators with its error, and can be run again
(core/tasks.py, "Retries")."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from fakturera.core.management.commands.db_worker import Worker
from fakturera.core.tasks import (
    DEFAULT,
    WORKER_LOST,
    RetryPolicy,
    enqueue_on_commit,
    retry_policy,
    task_failed,
    tasks_failed,
)

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_BACKEND = {"default": {"BACKEND": "fakturera.core.tasks.DatabaseBackend"}}
calls: Counter = Counter()


@task()
def flaky(key: str, failures: int) -> str:
    """Fails `failures` times (counted in this process), then succeeds."""
    calls[key] += 1
    if calls[key] <= failures:
        raise RuntimeError(f"the mail server said no ({calls[key]})")
    return "sent"


# Tried three times in all, at once (a test does not wait for the backoff).
retry_policy(flaky, attempts=3, backoff=0)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_BACKEND
    calls.clear()


def work() -> None:
    """What `fakturera db_worker --batch` does: run every task that is due, then stop."""
    Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test", excluded_queue_names=[],
    ).run()  # fmt: skip


def statuses() -> list[str]:
    return list(DBTaskResult.objects.order_by("enqueued_at").values_list("status", flat=True))


def test_a_task_failing_twice_is_retried_and_succeeds(database_tasks, company):
    enqueue_on_commit(flaky, "twice", 2, company_id=company.pk)

    work()

    assert calls["twice"] == 3
    assert statuses() == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert list(DBTaskResult.objects.order_by("enqueued_at").values_list("args_kwargs__attempt", flat=True)) == [
        None, 2, 3,
    ]  # fmt: skip
    assert not tasks_failed(company_id=company.pk).exists()


def test_a_task_failing_every_time_ends_failed_visible_and_can_be_run_again(database_tasks, company, admin_user):
    enqueue_on_commit(flaky, "always", 99, company_id=company.pk)

    work()

    assert statuses() == ["FAILED"] * 3
    (failed,) = tasks_failed(company_id=company.pk)
    assert failed.args_kwargs["attempt"] == 3
    assert not tasks_failed(company_id=company.pk + 1).exists()  # not another company's

    staff = Client()
    staff.force_login(admin_user)
    page = staff.get("/settings/tasks/").content.decode()
    assert "RuntimeError: the mail server said no (3)" in page
    assert "Traceback" not in page  # the stack stays in the row and the log

    response = staff.post(f"/settings/tasks/{failed.pk}/rerun/")
    assert response.status_code == 302
    assert not tasks_failed(company_id=company.pk).exists()
    rerun = DBTaskResult.objects.get(status="READY")
    assert rerun.args_kwargs["args"] == ["always", 99]
    assert "attempt" not in rerun.args_kwargs  # a new chain

    calls["always"] = 1000  # the cause fixed: past its failures
    work()
    assert DBTaskResult.objects.get(pk=rerun.pk).status == "SUCCESSFUL"
    assert "No background task has failed." in staff.get("/settings/tasks/").content.decode()


def test_a_read_only_user_or_another_company_cannot_run_it_again(database_tasks, company):
    from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

    enqueue_on_commit(flaky, "always", 99, company_id=company.pk)
    work()
    (failed,) = tasks_failed(company_id=company.pk)
    outsider = StaffFactory(company=CompanyFactory(), role="admin").user
    staff = Client()
    staff.force_login(outsider)

    staff.post(f"/settings/tasks/{failed.pk}/rerun/")

    assert tasks_failed(company_id=company.pk).get() == failed


def test_the_wait_grows_with_jitter_and_the_next_attempt_waits_for_it(database_tasks):
    assert [DEFAULT.delay(1) <= dt.timedelta(seconds=30) for _ in range(20)] == [True] * 20
    assert DEFAULT.delay(1) >= dt.timedelta(seconds=15)
    assert DEFAULT.delay(3) >= dt.timedelta(seconds=240)
    assert RetryPolicy(cap=60).delay(10) <= dt.timedelta(seconds=60)

    row = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path="fakturera.documents.tasks.render_documents",
        backend_name="default", run_after=timezone.now(), status="FAILED", traceback="ValueError: x",
    )  # fmt: skip
    now = timezone.now()
    following = task_failed(row.pk, now=now)

    assert dt.timedelta(seconds=15) <= following.run_after - now <= dt.timedelta(seconds=30)
    assert following.args_kwargs["attempt"] == 2
    assert task_failed(row.pk) is None  # followed up once only


def _ready_row() -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path="fakturera.documents.tasks.render_documents",
        backend_name="default", run_after=timezone.now(),
    )  # fmt: skip


def _fail(row: DBTaskResult, *, lost: bool, now: dt.datetime) -> DBTaskResult | None:
    """`row` (a ready attempt) ends failed, its worker lost or by an error of its own; the retry
    that follows it, if any."""
    row.status = "FAILED"
    row.exception_class_path = WORKER_LOST if lost else "builtins.ValueError"
    row.traceback = "WorkerLost: gone" if lost else "ValueError: x"
    row.save()
    return task_failed(row.pk, now=now)


def test_an_attempt_whose_worker_died_is_tried_again_soon_and_spends_no_attempt(database_tasks):
    row = _ready_row()
    now = timezone.now()
    # Four workers killed under it in a row (a chaos drill): each retry within seconds, where four
    # errors would have waited 30 s, 2, 8 and 32 minutes and then given up.
    for _ in range(4):
        row = _fail(row, lost=True, now=now)
        assert dt.timedelta(seconds=2.5) <= row.run_after - now <= dt.timedelta(seconds=5)
    assert (row.args_kwargs["attempt"], row.args_kwargs["lost"]) == (5, 4)
    # Then an error of its own: its first error, so the first wait, and the chain goes on.
    row = _fail(row, lost=False, now=now)
    assert dt.timedelta(seconds=15) <= row.run_after - now <= dt.timedelta(seconds=30)
    assert (row.args_kwargs["attempt"], row.args_kwargs["lost"]) == (6, 4)
    for spent in range(2, DEFAULT.attempts):
        row = _fail(row, lost=False, now=now)
        assert row.run_after - now >= DEFAULT.delay(spent) / 2
    # Its fifth error ends it, whatever the workers lost before.
    assert _fail(row, lost=False, now=now) is None
    assert tasks_failed().filter(pk=row.pk).exists()


def test_a_task_that_kills_its_worker_every_time_ends_failed_for_good(database_tasks):
    row = _ready_row()
    now = timezone.now()
    for _ in range(DEFAULT.lost_attempts - 1):
        row = _fail(row, lost=True, now=now)
    assert _fail(row, lost=True, now=now) is None
    assert [str(pk) for pk in tasks_failed().values_list("pk", flat=True)] == [str(row.pk)]


def test_the_command_lists_the_failed_tasks_and_runs_one_again(database_tasks, company):
    enqueue_on_commit(flaky, "always", 99, company_id=company.pk)
    work()
    (failed,) = tasks_failed()

    out = StringIO()
    call_command("tasks", "failed", stdout=out)
    assert str(failed.pk) in out.getvalue()
    assert "RuntimeError: the mail server said no (3)" in out.getvalue()

    out = StringIO()
    call_command("tasks", "rerun", str(failed.pk), stdout=out)
    assert "Run again as" in out.getvalue()
    assert not tasks_failed().exists()


@pytest.mark.postgres
def test_the_real_worker_process_retries_a_failing_task(database_tasks, company):
    from fakturera.core.tests.processes import _database_url

    enqueue_on_commit(flaky, "twice", 2, company_id=company.pk)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "fakturera.settings"}
    worker = subprocess.run(
        [sys.executable, "-m", "django", "db_worker", "--batch", "--no-startup-delay", "--no-reload",
         "--queue-name", "*", "--interval", "0"],
        env=env, cwd=django_settings.BASE_DIR, capture_output=True, timeout=120,
    )  # fmt: skip

    assert worker.returncode == 0, worker.stderr.decode()
    assert statuses() == ["FAILED", "FAILED", "SUCCESSFUL"]
