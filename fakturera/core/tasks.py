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
"""

from __future__ import annotations

from typing import Any

from django.db import router, transaction
from django_tasks.base import Task
from django_tasks_db import backend as tasks_db
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

from fakturera.core.rows import insert_tree


class DatabaseBackend(tasks_db.DatabaseBackend):
    def _task_to_db_task(self, task: Task, args: Any, kwargs: Any) -> DBTaskResult:
        # The row django-tasks-db's own _task_to_db_task creates (test_tasks compares them).
        row = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # The library's pre_save handler does this; insert_tree sends no signals.
            run_after=task.run_after or get_date_max(),
            backend_name=self.alias,
        )
        insert_tree(row, [], using=router.db_for_write(DBTaskResult))
        return row


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task(*args, **kwargs)` if and when the current transaction commits
    (at once outside a transaction)."""
    backend = task.get_backend()
    alias = router.db_for_write(DBTaskResult)
    if isinstance(backend, tasks_db.DatabaseBackend) and transaction.get_connection(alias).in_atomic_block:
        task.enqueue(*args, **kwargs)
        return
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
