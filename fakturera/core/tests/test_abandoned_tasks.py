"""A task worker killed mid-task (kill -9) leaves its task running; the scheduler's job finds
it by the missing lifeline lock and has it tried again, and leaves a living worker's task
alone (core/tasks.py, "Workers that die")."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from fakturera.core.tasks import enqueue_on_commit, retry_policy, tasks_abandoned_retry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@task()
def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


retry_policy(slow, attempts=3, backoff=0)
NO_GRACE = dt.timedelta(0)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "fakturera.core.tasks.DatabaseBackend"}}


def start_worker(*extra: str) -> subprocess.Popen:
    from fakturera.core.tests.processes import _database_url

    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "fakturera.settings"}
    return subprocess.Popen(
        [sys.executable, "-m", "django", "db_worker", "--no-startup-delay", "--no-reload", "--queue-name", "*",
         "--interval", "0.2", *extra],
        env=env, cwd=django_settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wait_until_running(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists():
        assert time.monotonic() < deadline, "the worker never started the task"
        time.sleep(0.2)


def test_the_task_of_a_killed_worker_runs_again_and_a_living_workers_is_left_alone(database_tasks):
    enqueue_on_commit(slow, 30)
    worker = start_worker()
    try:
        wait_until_running()
        # alive: its lifeline is held, so nothing is done even with no grace at all
        assert tasks_abandoned_retry(grace=NO_GRACE) == 0
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == [TaskResultStatus.RUNNING]

    assert tasks_abandoned_retry(grace=NO_GRACE) == 1

    killed, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert killed.status == TaskResultStatus.FAILED
    assert killed.exception_class_path == "fakturera.core.tasks.WorkerLost"
    assert killed.args_kwargs["retried_as"] == str(retry.pk)
    assert (retry.status, retry.args_kwargs["attempt"]) == (TaskResultStatus.READY, 2)
    # run once more: nothing left to do
    assert tasks_abandoned_retry(grace=NO_GRACE) == 0
