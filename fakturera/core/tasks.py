"""Tasks that run only when the transaction that asks for them commits.

With the database task backend (django-tasks-db, our default) the task row is
written in that transaction: workers see it exactly when the commit makes the
rows it works on visible, a rollback removes it, and a crash between the commit
and the enqueue cannot lose it. It also spares the busiest writes (an invoice
issued through the API) a second transaction of their own for the task row.
Other backends (the immediate one in tests, a queue elsewhere) cannot join our
transaction, so they get the task on commit.

`DatabaseBackend` (settings.TASKS) is django-tasks-db's, writing the task row with
one compiled INSERT (core.rows) instead of the ORM's create, whose compilation on
every call was most of an enqueue's cost; every invoice issued through the API
enqueues its documents' rendering.

Retries (django-tasks-db has none). A task row is one attempt. When an attempt fails
(the worker sends `task_finished` with the row failed), `task_failed` writes the next
attempt as a new row of the same task and arguments, due after an exponential backoff
with jitter (`RetryPolicy`; `retry_policy(task, ...)` gives a task its own, `DEFAULT`
otherwise). The chain lives in the rows' `args_kwargs` JSON beside "args" and "kwargs",
which the library reads and ignores the rest of: "attempt" (1 when absent), "first" (the
first attempt's id), "lost" (how many of the attempts so far ended with their worker dead:
RetryPolicy says why they count apart), "company_id" (the company the task concerns, given by
`enqueue_on_commit(..., company_id=...)`), and on a failed row that was followed up,
"retried_as" or "rerun_as" (the next row's id). A row failed with no follow-up has failed
for good: logged with its traceback, listed by `tasks_failed` (the staff page of the
company's failed tasks, `fakturera tasks failed`) and run again by `task_rerun`, which
starts a new chain at attempt 1. Only the exception's last line is shown there; the
traceback stays in the row and the log.

Workers that die (kill -9, a lost machine). django-tasks-db leaves the task of a worker
that died mid-way "running" for ever. Each `fakturera db_worker` therefore holds, on a
connection of its own, a PostgreSQL advisory lock named after its worker id (its
lifeline, `Lifeline`) for as long as it lives; the server drops it when the process dies.
`tasks_abandoned_retry` (a scheduler job, every 30 s) finds running rows whose worker holds
no lifeline and fails them ("the worker running it stopped"), so the retry policy runs them
again: tasks are safe to run twice.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import logging
import random
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db import backend as tasks_db
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

from fakturera.core.rows import insert_tree

logger = logging.getLogger(__name__)

# The company of the task being enqueued (enqueue_on_commit's company_id), for its row.
_company: contextvars.ContextVar[int | None] = contextvars.ContextVar("task_company", default=None)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing task is tried, and how long it waits before each try again.

    An attempt whose worker died under it (kill -9, a machine lost: WORKER_LOST) did not fail
    by itself: it neither spends one of `attempts` nor grows the wait. It is tried again after
    `lost_backoff` (with jitter), so a month-end whose workers are restarted catches up in
    seconds, not after the half hour an error's fourth wait would be. `lost_attempts` bounds
    that too: a task that takes its worker down every time (a crash in a library, memory) ends
    failed for good, visible, after so many."""

    attempts: int = 5  # in all, the first one included
    backoff: float = 30.0  # seconds before the second attempt
    factor: float = 4.0  # each wait this many times the one before: 30 s, 2 min, 8 min, 32 min
    cap: float = 3600.0
    lost_attempts: int = 10  # attempts whose worker died, in all
    lost_backoff: float = 5.0

    def delay(self, attempt: int) -> dt.timedelta:
        """The wait after failed `attempt` (1, 2, ...): between half and all of the exponential step."""
        step = min(self.cap, self.backoff * self.factor ** (attempt - 1))
        return dt.timedelta(seconds=step * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not a secret

    def lost_delay(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lost_backoff * random.uniform(0.5, 1.0))  # noqa: S311 - jitter


DEFAULT = RetryPolicy()
_policies: dict[str, RetryPolicy] = {}


def retry_policy(task: Task, **policy: Any) -> Task:
    """Give `task` its own RetryPolicy (`attempts=1`: never retried); returns the task."""
    _policies[task.module_path] = RetryPolicy(**policy)
    return task


def policy_for(task_path: str) -> RetryPolicy:
    return _policies.get(task_path, DEFAULT)


class DatabaseBackend(tasks_db.DatabaseBackend):
    def _task_to_db_task(self, task: Task, args: Any, kwargs: Any) -> DBTaskResult:
        # The row django-tasks-db's own _task_to_db_task creates (test_tasks compares them).
        company_id = _company.get()
        meta = {"company_id": company_id} if company_id is not None else {}
        row = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs, **meta}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # The library's pre_save handler does this; insert_tree sends no signals.
            run_after=task.run_after or get_date_max(),
            backend_name=self.alias,
        )
        insert_tree(row, [], using=router.db_for_write(DBTaskResult))
        return row


def enqueue_on_commit(task: Task, *args: Any, company_id: int | None = None, **kwargs: Any) -> None:
    """Enqueue `task(*args, **kwargs)` if and when the current transaction commits
    (at once outside a transaction). `company_id` names the company the task concerns:
    its administrators see the task if it fails for good (not passed to the task)."""
    backend = task.get_backend()
    alias = router.db_for_write(DBTaskResult)
    if isinstance(backend, tasks_db.DatabaseBackend) and transaction.get_connection(alias).in_atomic_block:
        _enqueue(task, args, kwargs, company_id)
        return
    transaction.on_commit(lambda: _enqueue(task, args, kwargs, company_id))


def _enqueue(task: Task, args: Any, kwargs: Any, company_id: int | None) -> Any:
    token = _company.set(company_id)
    try:
        return task.enqueue(*args, **kwargs)
    finally:
        _company.reset(token)


# --- retries ------------------------------------------------------------------------------------------


def error_line(row: DBTaskResult) -> str:
    """What a failed row says to staff: the exception's last line, without the stack."""
    lines = [line for line in (row.traceback or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else row.exception_class_path


def _next_row(row: DBTaskResult, *, meta: dict[str, Any], run_after: dt.datetime | None) -> DBTaskResult:
    return DBTaskResult(
        id=str(uuid.uuid4()),
        args_kwargs=meta,
        priority=row.priority,
        task_path=row.task_path,
        queue_name=row.queue_name,
        run_after=run_after or get_date_max(),
        backend_name=row.backend_name,
    )


def task_failed(task_id: Any, *, now: dt.datetime | None = None) -> DBTaskResult | None:
    """An attempt failed: write the next one, due after the task's backoff, or (its attempts
    spent) log it as failed for good. Returns the next attempt's row, if any."""
    now = now or timezone.now()
    with transaction.atomic(using=router.db_for_write(DBTaskResult)):
        row = DBTaskResult.objects.select_for_update().filter(pk=task_id, status=TaskResultStatus.FAILED).first()
        if row is None or "retried_as" in row.args_kwargs or "rerun_as" in row.args_kwargs:
            return None
        attempt = int(row.args_kwargs.get("attempt", 1))
        lost = int(row.args_kwargs.get("lost", 0))  # of the attempts so far, those whose worker died
        policy = policy_for(row.task_path)
        if row.exception_class_path == WORKER_LOST:
            lost += 1
            spent, budget, delay = lost, policy.lost_attempts, policy.lost_delay()
        else:
            spent, budget = attempt - lost, policy.attempts
            delay = policy.delay(spent)
        if spent >= budget:
            logger.error(
                "task %s %s failed for good after %s attempts (%s of them with their worker lost): %s\n%s",
                row.task_path, row.pk, attempt, lost, error_line(row), row.traceback,
            )  # fmt: skip
            return None
        meta = {**row.args_kwargs, "attempt": attempt + 1, "first": row.args_kwargs.get("first", str(row.pk))}
        if lost:
            meta["lost"] = lost
        meta.pop("retried_as", None)
        following = _next_row(row, meta=meta, run_after=now + delay)
        following.save(force_insert=True)
        row.args_kwargs = {**row.args_kwargs, "retried_as": str(following.pk)}
        row.save(update_fields=["args_kwargs"])
    logger.warning(
        "task %s %s failed (attempt %s of %s), again in %ss: %s",
        row.task_path, row.pk, attempt, policy.attempts, int(delay.total_seconds()), error_line(row),
    )  # fmt: skip
    return following


def _on_task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """django-tasks' task_finished: a failed attempt of the database backend is retried."""
    if task_result.status != TaskResultStatus.FAILED or not issubclass(sender, tasks_db.DatabaseBackend):
        return
    try:
        task_failed(task_result.id)
    except Exception:  # the worker carries on; the row stays failed and visible
        logger.exception("could not schedule the retry of task %s", task_result.id)


def connect() -> None:
    from django_tasks.signals import task_finished

    task_finished.connect(_on_task_finished, dispatch_uid="fakturera.core.tasks.retry")


# --- failed for good: seen and run again ----------------------------------------------------------------


def tasks_failed(*, company_id: int | None = None) -> Any:
    """Rows failed for good (no attempt follows them), newest first; of one company, or all."""
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
        .exclude(args_kwargs__has_key="retried_as")
        .exclude(args_kwargs__has_key="rerun_as")
        .order_by("-finished_at")
    )
    if company_id is not None:
        rows = rows.filter(args_kwargs__company_id=company_id)
    return rows


def task_rerun(*, task_id: Any, company_id: int | None = None) -> DBTaskResult | None:
    """Run a task that failed for good again, now: a new chain at attempt 1. Of the company
    when `company_id` is given (a tenant's staff); None when there is no such task."""
    with transaction.atomic(using=router.db_for_write(DBTaskResult)):
        try:
            task_id = uuid.UUID(str(task_id))
        except ValueError:  # not a task's id at all
            return None
        row = tasks_failed(company_id=company_id).select_for_update().filter(pk=task_id).first()
        if row is None:
            return None
        meta = {key: value for key, value in row.args_kwargs.items() if key in ("args", "kwargs", "company_id")}
        following = _next_row(row, meta=meta, run_after=None)
        following.save(force_insert=True)
        row.args_kwargs = {**row.args_kwargs, "rerun_as": str(following.pk)}
        row.save(update_fields=["args_kwargs"])
    logger.info("task %s %s run again as %s", row.task_path, row.pk, following.pk)
    return following


# --- workers that died: their tasks run again ----------------------------------------------------------

# The advisory locks' first key (classid in pg_locks) for the task workers' lifelines: "FK".
LIFELINE_CLASS = 0x464B
ABANDONED_GRACE = dt.timedelta(seconds=30)
WORKER_LOST = "fakturera.core.tasks.WorkerLost"


def lifeline_key(worker_id: str) -> int:
    """The second key of a worker's lifeline lock: 31 bits of its id's SHA-256."""
    return int.from_bytes(hashlib.sha256(worker_id.encode()).digest()[:4], "big") & 0x7FFFFFFF


class Lifeline:
    """A task worker's advisory lock, held on a connection of its own while the worker lives
    (PostgreSQL only). `hold()` before each task: a connection lost to a database restart is
    opened, and the lock taken, again."""

    def __init__(self, worker_id: str, *, using: str = "default") -> None:
        self.key = lifeline_key(worker_id)
        self.using = using
        self.connection: Any = None

    def hold(self) -> None:
        wrapper = connections[self.using]
        if wrapper.vendor != "postgresql":
            return
        try:
            if self.connection is not None and not self.connection.closed:
                self.connection.execute("SELECT 1")
                return
        except Exception:
            self.close()
        try:
            self.connection = wrapper.get_new_connection(wrapper.get_connection_params())
            self.connection.autocommit = True
            # Never waits: a worker whose key another session still holds (a connection of a
            # worker that died and is not yet gone, the same id twice) works on without a lock of
            # its own rather than hanging; that holder keeps its tasks counted as living.
            taken = self.connection.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LIFELINE_CLASS, self.key)
            ).fetchone()[0]
            if not taken:
                logger.warning("The task worker's lifeline lock is held by another session; it works on without.")
        except Exception as exc:
            logger.warning("The task worker could not take its lifeline lock: %s", exc)
            self.close()

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.connection.close()
            self.connection = None


def _living_workers(using: str) -> set[int]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [LIFELINE_CLASS],
        )
        return {int(objid) for (objid,) in cursor.fetchall()}


def tasks_abandoned_retry(*, now: dt.datetime | None = None, grace: dt.timedelta = ABANDONED_GRACE) -> int:
    """Fail the running tasks whose worker is gone (no lifeline; started over `grace` ago), so
    that their retry policy runs them again. Returns how many. PostgreSQL only (elsewhere 0).
    As many rows as workers at most are running, so they are handled one by one."""
    using = router.db_for_write(DBTaskResult)
    if connections[using].vendor != "postgresql":
        return 0
    now = now or timezone.now()
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=now - grace).values_list(
            "pk", "worker_ids", "started_at"
        )
    )
    if not running:
        return 0
    alive = _living_workers(using)
    count = 0
    for pk, worker_ids, started_at in running:
        if worker_ids and lifeline_key(worker_ids[-1]) in alive:
            continue
        # Compare-and-set: a worker that finished it meanwhile keeps its outcome.
        failed = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback="WorkerLost: the worker running it stopped (killed, or its machine lost)",
        )
        if failed:
            count += 1
            logger.warning("task %s: its worker %s is gone; tried again", pk, worker_ids[-1] if worker_ids else "?")
            task_failed(pk, now=now)
    return count


def tasks_abandoned_retry_job() -> str:
    return f"{tasks_abandoned_retry()} tasks of stopped workers tried again"
