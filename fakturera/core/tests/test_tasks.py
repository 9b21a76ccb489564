"""core/tasks.py: a task asked for in a transaction exists only if it commits."""

import datetime as dt

import pytest
from django.db import transaction
from django_tasks_db.backend import DatabaseBackend as LibraryBackend
from django_tasks_db.models import DBTaskResult

from fakturera.core.tasks import DatabaseBackend, enqueue_on_commit
from fakturera.documents.tasks import render_documents

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_BACKEND = {"default": {"BACKEND": "fakturera.core.tasks.DatabaseBackend"}}


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


def test_our_backend_writes_the_row_the_librarys_backend_writes(settings):
    settings.TASKS = DATABASE_BACKEND
    task = render_documents.using(priority=5, run_after=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))
    args = ([4, 5],)

    ours = DatabaseBackend("default", {})._task_to_db_task(task, args, {})
    theirs = LibraryBackend("default", {})._task_to_db_task(task, args, {})

    stored = {row.pk: row for row in DBTaskResult.objects.all()}
    assert set(stored) == {ours.pk, theirs.pk}

    def comparable(row):
        fields = {f.attname: getattr(row, f.attname) for f in DBTaskResult._meta.concrete_fields}
        return {name: value for name, value in fields.items() if name not in ("id", "enqueued_at")}

    assert comparable(stored[ours.pk]) == comparable(stored[theirs.pk])
    assert comparable(ours) == comparable(stored[ours.pk])
    assert ours.task_result.task.module_path == "fakturera.documents.tasks.render_documents"


def test_the_worker_runs_what_our_backend_wrote(settings):
    """The whole way, as in production: issuing writes the render task in its transaction,
    and django-tasks-db's own worker renders the documents."""
    from django.core.management import call_command

    from fakturera.documents.models import InvoiceDocument
    from fakturera.invoicing.tests.factories import IssuedInvoiceFactory
    from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, UserFactory

    settings.TASKS = DATABASE_BACKEND
    company = CompanyFactory()
    invoice = IssuedInvoiceFactory(
        company=company, customer=OrganisationFactory(company=company), actor=UserFactory(),
        lines=[{"description": "Konsultation", "unit_price": "950.00"}], issued_on=None, at_once=True,
    )  # fmt: skip
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 0

    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)

    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 2
