"""core/tasks.py: a task asked for in a transaction exists only if it commits."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from fakturera.core.tasks import enqueue_on_commit
from fakturera.documents.tasks import render_documents

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class Rollback(Exception):
    pass


def test_with_the_database_backend_the_task_row_is_written_in_the_transaction(settings):
    settings.TASKS = DATABASE_BACKEND

    with transaction.atomic():
        enqueue_on_commit(render_documents, [1, 2])
        # Written already, inside the transaction; no callback waits for the commit.
        assert DBTaskResult.objects.count() == 1
        assert transaction.get_connection().run_on_commit == []

    row = DBTaskResult.objects.get()
    assert row.task_path == "fakturera.documents.tasks.render_documents"
    assert row.args_kwargs == {"args": [[1, 2]], "kwargs": {}}


def test_with_the_database_backend_a_rollback_takes_the_task_with_it(settings):
    settings.TASKS = DATABASE_BACKEND

    def asked_then_rolled_back():
        with transaction.atomic():
            enqueue_on_commit(render_documents, [1])
            raise Rollback

    with pytest.raises(Rollback):
        asked_then_rolled_back()

    assert DBTaskResult.objects.count() == 0


def test_another_backend_gets_the_task_when_the_transaction_commits(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    enqueued = []
    monkeypatch.setattr(type(render_documents), "enqueue", lambda task, *args: enqueued.append(args))

    with transaction.atomic():
        enqueue_on_commit(render_documents, [7])
        assert enqueued == []
    assert enqueued == [([7],)]

    def asked_then_rolled_back():
        with transaction.atomic():
            enqueue_on_commit(render_documents, [8])
            raise Rollback

    with pytest.raises(Rollback):
        asked_then_rolled_back()
    assert enqueued == [([7],)]


def test_outside_a_transaction_it_is_enqueued_at_once(settings):
    settings.TASKS = DATABASE_BACKEND

    enqueue_on_commit(render_documents, [3])

    assert DBTaskResult.objects.count() == 1
