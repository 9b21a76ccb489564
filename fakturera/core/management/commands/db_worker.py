"""`fakturera db_worker`: django-tasks-db's worker, carrying on through a database that is
briefly away (core/tasks.py, "Retries").

The library's worker stops when the database is unreachable while it looks for a task,
and leaves a task "running" for ever when it cannot record the task's outcome; a
render task during a database restart was lost that way. This one waits (with a
growing, jittered pause) until the database answers again, then records the failure,
so the retry policy applies to it, and carries on. It overrides the library's command of
the same name: `fakturera.core` comes before `django_tasks_db` in INSTALLED_APPS.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_tasks.signals import task_finished
from django_tasks_db.management.commands import db_worker as library

from fakturera.core import logs
from fakturera.core.db import is_unavailable
from fakturera.core.tasks import Lifeline

logger = logging.getLogger(__name__)

MAX_PAUSE = 30.0


class Worker(library.Worker):
    def _pause(self, attempt: int) -> None:
        connections.close_all()
        time.sleep(random.uniform(0.5, 1.0) * min(MAX_PAUSE, 2.0 ** (attempt - 1)))  # noqa: S311 - jitter

    def run(self) -> None:
        # Held while this process lives: a task it leaves running when killed is run again
        # (core/tasks.py, "Workers that die").
        self.lifeline = Lifeline(self.worker_id)
        self.lifeline.hold()
        attempt = 0
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as exc:
                if not is_unavailable(exc) or not self.running:
                    raise
                attempt += 1
                logger.warning("The database is unavailable; the task worker waits for it: %s", exc)
                self._pause(attempt)

    def run_task(self, db_task_result: Any) -> None:
        self.lifeline.hold()  # taken again if a database restart dropped it
        meta = db_task_result.args_kwargs if isinstance(db_task_result.args_kwargs, dict) else {}
        try:
            # The task's company (enqueue_on_commit's company_id) on every line it logs (core/logs.py).
            with logs.bound(company_id=meta.get("company_id"), task_id=str(db_task_result.id)):
                super().run_task(db_task_result)
        except (OperationalError, InterfaceError) as exc:
            if not is_unavailable(exc):
                raise
            # The outcome could not be recorded: the database went away meanwhile.
            self._record_failure(db_task_result, exc)

    def _record_failure(self, db_task_result: Any, exc: BaseException) -> None:
        attempt = 0
        while self.running:
            attempt += 1
            self._pause(attempt)
            try:
                db_task_result.set_failed(exc)
                backend = type(db_task_result.task.get_backend())
                task_finished.send(sender=backend, task_result=db_task_result.task_result)
                return
            except (OperationalError, InterfaceError) as again:
                if not is_unavailable(again):
                    raise
                logger.warning("Task %s: still no database to record its failure in: %s", db_task_result.id, again)


class Command(library.Command):
    def handle(self, **options: Any) -> None:
        # The library's handle builds its worker from this module global.
        library.Worker = Worker
        super().handle(**options)
