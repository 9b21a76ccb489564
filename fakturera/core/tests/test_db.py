"""Transactions the database aborts are run again (core.db), without doubling what follows
the commit; a database briefly away is named as such."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import InterfaceError, OperationalError, connection, transaction

from fakturera.core import db
from fakturera.core.db import RetriesExhausted, is_retryable, is_unavailable, retrying_atomic
from fakturera.core.tests.concurrency import run_together


class Cause(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def aborted(sqlstate: str | None = db.DEADLOCK) -> OperationalError:
    """An OperationalError as Django raises it from psycopg's, with the SQLSTATE."""
    exc = OperationalError("deadlock detected")
    exc.__cause__ = Cause(sqlstate)
    return exc


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch):
    monkeypatch.setattr(db, "BACKOFF", 0.0)


def test_what_is_retried_and_what_means_unavailable():
    assert is_retryable(aborted(db.DEADLOCK))
    assert is_retryable(aborted(db.SERIALIZATION_FAILURE))
    assert not is_retryable(aborted("23505"))
    assert not is_retryable(ValueError())
    assert is_unavailable(aborted("57P01"))  # admin shutdown
    assert is_unavailable(aborted("53300"))  # too many connections
    assert is_unavailable(aborted("08006"))  # connection failure
    assert is_unavailable(aborted(None))  # never answered: connection refused
    assert is_unavailable(InterfaceError("connection already closed"))
    assert is_unavailable(RetriesExhausted("deadlock detected"))
    assert not is_unavailable(aborted("42P01"))  # a missing table is a bug, not an outage
    assert not is_unavailable(ValueError())


@pytest.mark.django_db(transaction=True)
def test_an_aborted_transaction_runs_again_and_its_on_commit_work_happens_once():
    calls, committed = [], []

    @retrying_atomic
    def service():
        calls.append(1)
        transaction.on_commit(lambda: committed.append(len(calls)))
        if len(calls) < 3:
            raise aborted()
        return "done"

    assert service() == "done"
    assert len(calls) == 3
    assert committed == [3]  # the aborted attempts' callbacks were dropped with them


@pytest.mark.django_db(transaction=True)
def test_retries_are_bounded_and_end_as_unavailable():
    calls = []

    @retrying_atomic(attempts=3)
    def service():
        calls.append(1)
        raise aborted(db.SERIALIZATION_FAILURE)

    with pytest.raises(RetriesExhausted) as raised:
        service()
    assert len(calls) == 3
    assert is_unavailable(raised.value)


@pytest.mark.django_db(transaction=True)
def test_other_errors_are_not_retried():
    calls = []

    @retrying_atomic
    def service():
        calls.append(1)
        raise aborted("23505")

    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_outermost_caller_retries_not_the_inner_service():
    inner_calls, outer_calls = [], []

    @retrying_atomic
    def inner():
        inner_calls.append(1)
        if len(inner_calls) == 1:
            raise aborted()

    @retrying_atomic
    def outer():
        outer_calls.append(1)
        inner()

    outer()
    assert (len(outer_calls), len(inner_calls)) == (2, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_is_run_again_and_both_sides_succeed(company):
    """Two transactions lock two rows in opposite orders: PostgreSQL aborts one, which runs again."""
    from fakturera.parties.models import Company
    from fakturera.parties.tests.factories import CompanyFactory

    other = CompanyFactory()
    both_locked_one = threading.Barrier(2)
    attempts = []

    def locker(first: int, second: int):
        @retrying_atomic
        def work():
            attempts.append(first)
            Company.objects.select_for_update().get(pk=first)
            if attempts.count(first) == 1:
                both_locked_one.wait(5)
            Company.objects.select_for_update().get(pk=second)
            return "ok"

        return work()

    results = run_together(lambda: locker(company.pk, other.pk), lambda: locker(other.pk, company.pk))

    assert results == ["ok", "ok"], results
    # One of the two ran again. Its second attempt can lock its first row before the survivor,
    # woken by the victim's rollback, takes that row, and so deadlock once more.
    assert len(attempts) >= 3, attempts
    assert set(attempts) == {company.pk, other.pk}
    assert connection.vendor == "postgresql"


def test_one_at_a_time_is_held_for_a_transaction_only():
    with pytest.raises(RuntimeError, match="inside one"):
        db.one_at_a_time("reminders-run:1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="an advisory lock: PostgreSQL")
def test_a_second_transaction_waits_for_the_first_to_end():
    """Two transactions asking for one name: the second gets it only after the first commits."""
    held, released = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with transaction.atomic():
            db.one_at_a_time("overdue-record:7")
            held.set()
            released.wait(10)
            time.sleep(0.2)  # were the name not held, the second would be through by now
            order.append("first done")

    def second() -> None:
        held.wait(10)
        with transaction.atomic():
            released.set()
            db.one_at_a_time("overdue-record:7")
            order.append("second holds it")
        # Another name never waits.
        with transaction.atomic():
            db.one_at_a_time("overdue-record:8")

    results = run_together(first, second)

    assert results == [None, None]
    assert order == ["first done", "second holds it"]
