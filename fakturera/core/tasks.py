"""Tasks that run only when the transaction that asks for them commits.

With the database task backend (django-tasks-db, our default) the task row is
written in that transaction: workers see it exactly when the commit makes the
rows it works on visible, a rollback removes it, and a crash between the commit
and the enqueue cannot lose it. It also spares the busiest writes (an invoice
issued through the API) a second transaction of their own for the task row.
Other backends (the immediate one in tests, a queue elsewhere) cannot join our
transaction, so they get the task on commit.
"""

from __future__ import annotations

from typing import Any

from django.db import router, transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task(*args, **kwargs)` if and when the current transaction commits
    (at once outside a transaction)."""
    backend = task.get_backend()
    alias = router.db_for_write(DBTaskResult)
    if isinstance(backend, DatabaseBackend) and transaction.get_connection(alias).in_atomic_block:
        task.enqueue(*args, **kwargs)
        return
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
