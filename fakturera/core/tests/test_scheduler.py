"""When periodic jobs are due (the same due times on every machine), that each due time runs
once across several schedulers, that a failing job does not stop the others and is done only
once it succeeded, that a stopped scheduler catches up once, that the apps register their
jobs, and that `fakturera scheduler --once` runs the real jobs."""

from __future__ import annotations

import datetime as dt
import io
import time
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from fakturera.core import scheduler
from fakturera.core.models import ScheduledRun
from fakturera.core.scheduler import (
    DAILY_RETRY_AFTER,
    Job,
    Report,
    job_states,
    register,
    registered,
    run_due,
    runs_purge,
    seconds_to_next,
)
from fakturera.core.tests.processes import run_in_processes

TZ = zoneinfo.ZoneInfo("Europe/Stockholm")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=TZ)


def test_an_interval_job_is_due_at_the_multiples_of_its_interval():
    job = Job("sweep", "x:y", every=dt.timedelta(minutes=1))

    assert job.due_time(at(22, 10, 0, 30)) == at(22, 10)
    assert job.next_due_time(at(22, 10, 0, 30)) == at(22, 10, 1)
    hourly = Job("purge", "x:y", every=dt.timedelta(hours=1))
    assert hourly.due_time(at(22, 10, 59)) == at(22, 10)


def test_a_daily_job_is_due_at_its_time_each_day():
    job = Job("nightly", "x:y", at=dt.time(0, 5))

    assert job.due_time(at(22, 14)) == at(22, 0, 5)
    assert job.next_due_time(at(22, 14)) == at(23, 0, 5)
    # just after midnight, before its time: yesterday's is the latest due time
    assert job.due_time(at(23, 0, 1)) == at(22, 0, 5)
    assert job.next_due_time(at(23, 0, 1)) == at(23, 0, 5)
    assert job.due_time(at(23, 0, 5)) == at(23, 0, 5)


def test_a_job_is_either_interval_or_daily():
    with pytest.raises(ValueError, match="either every interval or daily"):
        Job("both", "x:y", every=dt.timedelta(minutes=1), at=dt.time(1))
    with pytest.raises(ValueError, match="either every interval or daily"):
        Job("neither", "x:y")


def boom() -> None:
    raise RuntimeError("down")


def fine() -> str:
    return "ok"


calls: list[str] = []


def fails_twice() -> str:
    calls.append("call")
    if len(calls) <= 2:
        raise RuntimeError("database restarting")
    return "generated"


def counted() -> Report:
    calls.append("call")
    return Report("12 reminders of 2 companies", reminders=12, companies=2)


def slow() -> str:
    time.sleep(1.5)
    return "ran"


@pytest.mark.django_db
def test_a_failing_job_is_reported_and_the_others_still_run_once_per_due_time():
    jobs = (
        Job("failing", f"{__name__}:boom", every=dt.timedelta(minutes=1)),
        Job("fine", f"{__name__}:fine", every=dt.timedelta(minutes=5)),
    )

    said = run_due(jobs, now=at(22, 10))

    assert said == {"failing": "failed: RuntimeError('down')", "fine": "ok"}
    # the same due time is not run again, here or by another scheduler
    assert run_due(jobs, now=at(22, 10, 0, 30)) == {}
    assert seconds_to_next(jobs, now=at(22, 10, 0, 30)) == 30
    assert set(run_due(jobs, now=at(22, 10, 1))) == {"failing"}
    assert ScheduledRun.objects.filter(job="fine").count() == 1


@pytest.mark.django_db
def test_a_failing_daily_job_is_retried_after_a_short_backoff_and_done_only_after_it_succeeded():
    calls.clear()
    job = Job("nightly", f"{__name__}:fails_twice", at=dt.time(0, 5))

    assert run_due((job,), now=at(23, 0, 5)) == {"nightly": "failed: RuntimeError('database restarting')"}
    # not done: taken again after the backoff, not the next night
    assert run_due((job,), now=at(23, 0, 6)) == {}
    assert set(run_due((job,), now=at(23, 0, 5) + DAILY_RETRY_AFTER + dt.timedelta(seconds=1))) == {"nightly"}
    assert run_due((job,), now=at(23, 0, 16)) == {"nightly": "generated"}
    # done: nothing more tonight, next at its time tomorrow
    assert run_due((job,), now=at(23, 0, 30)) == {}
    assert run_due((job,), now=at(23, 12)) == {}
    assert run_due((job,), now=at(24, 0, 5)) == {"nightly": "generated"}
    assert len(calls) == 4
    tonight = ScheduledRun.objects.get(job="nightly", due_at=at(23, 0, 5))
    assert (tonight.is_ok, tonight.attempts, tonight.said) == (True, 3, "generated")


@pytest.mark.django_db
def test_a_scheduler_stopped_for_nights_catches_up_once_not_once_per_missed_night():
    calls.clear()
    job = Job("nightly", f"{__name__}:counted", at=dt.time(0, 5))
    assert run_due((job,), now=at(20, 0, 5)) == {"nightly": "12 reminders of 2 companies"}

    # stopped for three nights, started again in the morning
    assert run_due((job,), now=at(23, 9)) == {"nightly": "12 reminders of 2 companies"}
    assert run_due((job,), now=at(23, 9, 1)) == {}

    assert len(calls) == 2
    assert list(ScheduledRun.objects.order_by("due_at").values_list("due_at", flat=True)) == [
        at(20, 0, 5),
        at(23, 0, 5),
    ]


@pytest.mark.django_db
def test_a_run_whose_scheduler_died_is_taken_again_after_the_lease(settings):
    settings.SCHEDULER_LEASE_SECONDS = 600
    calls.clear()
    job = Job("nightly", f"{__name__}:counted", at=dt.time(0, 5))
    ScheduledRun.objects.create(job="nightly", due_at=at(23, 0, 5), started_at=at(23, 0, 5), runner="dead:1")

    assert run_due((job,), now=at(23, 0, 14)) == {}  # still within its lease: maybe running elsewhere
    assert run_due((job,), now=at(23, 0, 16)) == {"nightly": "12 reminders of 2 companies"}

    run = ScheduledRun.objects.get()
    assert (run.is_ok, run.attempts, run.figures) == (True, 2, {"reminders": 12, "companies": 2})
    assert run.runner != "dead:1"


@pytest.mark.django_db
def test_the_latest_run_of_each_job_gives_its_figures_duration_and_last_success(monkeypatch):
    job = Job("reminders due", f"{__name__}:counted", at=dt.time(6))
    monkeypatch.setattr(scheduler, "_registry", {job.name: job})
    run_due((job,), now=at(23, 6))

    [state] = job_states()

    assert (state.job, state.last_ok, state.figures) == ("reminders due", True, {"reminders": 12, "companies": 2})
    assert state.last_success_at is not None
    assert state.last_seconds is not None
    assert state.last_seconds >= 0


@pytest.mark.django_db
def test_old_runs_are_forgotten_but_each_jobs_latest_is_kept():
    for day in (1, 2, 3):
        ScheduledRun.objects.create(job="nightly", due_at=at(day, 0, 5), started_at=at(day, 0, 5), is_ok=True)
    ScheduledRun.objects.create(job="weekly", due_at=at(1, 3), started_at=at(1, 3), is_ok=True)

    runs_purge()

    assert set(ScheduledRun.objects.values_list("job", "due_at")) == {("nightly", at(3, 0, 5)), ("weekly", at(1, 3))}


def schedule_at(now: str) -> dict[str, str]:
    """One scheduler process's tick (run_in_processes)."""
    job = Job("slow", f"{__name__}:slow", every=dt.timedelta(minutes=1))
    return run_due((job,), now=dt.datetime.fromisoformat(now))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_separate_machines_run_each_due_time_once():
    # given two scheduler processes ticking at the same moment, twice
    ticks = [at(22, 10, 0, 1).isoformat(), at(22, 10, 0, 2).isoformat()]

    said = run_in_processes(f"{__name__}:schedule_at", [{"now": now} for now in ticks * 2])

    # then the job ran once for its due time, by one of them
    assert all("crashed" not in answer for answer in said), said
    assert sorted(said, key=len) == [{}, {}, {}, {"slow": "ran"}]
    [run] = ScheduledRun.objects.all()
    assert (run.job, run.due_at, run.is_ok, run.attempts) == ("slow", at(22, 10), True, 1)


def test_the_apps_register_their_jobs_in_installed_apps_order():
    jobs = {job.name: job for job in registered()}

    assert list(jobs) == [
        "rate limit counters purge",
        "scheduler runs purge",
        "tasks of stopped workers",
        "webhook deliveries due",
        "idempotency records past their keep time",
        "recurring invoices due",
        "task priorities past due",
        "notification digests",
        "reminders due",
        "overdue invoices",
    ]
    assert jobs["rate limit counters purge"].target == "fakturera.core.ratelimit:purge_expired"
    assert jobs["scheduler runs purge"].target == "fakturera.core.scheduler:runs_purge"
    assert jobs["tasks of stopped workers"].target == "fakturera.core.tasks:tasks_abandoned_retry_job"
    assert jobs["tasks of stopped workers"].every == dt.timedelta(seconds=30)
    assert jobs["webhook deliveries due"].target == "fakturera.webhooks.services:deliveries_sweep"
    assert jobs["webhook deliveries due"].every == dt.timedelta(minutes=1)
    assert jobs["idempotency records past their keep time"].target == "fakturera.api.idempotency:records_purge"
    assert jobs["idempotency records past their keep time"].every == dt.timedelta(hours=1)
    assert jobs["recurring invoices due"].target == "fakturera.recurring.jobs:recurring_generate_today"
    assert jobs["recurring invoices due"].at == dt.time(0, 5)
    assert jobs["task priorities past due"].target == "fakturera.worklist.jobs:tasks_raise_priority_today"
    assert jobs["task priorities past due"].at == dt.time(0, 15)
    assert jobs["notification digests"].target == "fakturera.worklist.jobs:digests_send_today"
    assert jobs["notification digests"].at == dt.time(6, 30)
    assert jobs["overdue invoices"].target == "fakturera.collections.overdue:overdue_record_today"
    assert jobs["overdue invoices"].at == dt.time(0, 30)
    for job in registered():
        assert callable(job.function())


def test_registering_a_job_again_is_a_no_op_and_another_job_under_a_taken_name_is_refused():
    [first, *_rest] = registered()

    register(first)

    assert registered().count(first) == 1
    with pytest.raises(ValueError, match="already registered"):
        register(Job(first.name, f"{__name__}:fine", every=dt.timedelta(minutes=1)))
    assert registered()[0] is first


@pytest.mark.django_db
def test_the_command_runs_every_real_job_once_per_due_time():
    out = io.StringIO()

    # the clock stopped, so that no job's next due time comes between the two
    with time_machine.travel(at(22, 10, 0, 30), tick=False):
        call_command("scheduler", "--once", stdout=out)
        call_command("scheduler", "--once", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == len(scheduler.registered())
    for job in scheduler.registered():
        assert any(f" {job.name}: " in line and "failed" not in line for line in lines), out.getvalue()


@pytest.mark.django_db
def test_with_no_job_registered_the_scheduler_looks_again_shortly():
    assert run_due((), now=at(22, 10)) == {}
    assert seconds_to_next((), now=at(22, 10)) == 30


@pytest.mark.django_db
def test_the_scheduler_waits_for_a_database_that_is_briefly_away(monkeypatch):
    """A restart of PostgreSQL ended the scheduler's process (`make chaos`: "scheduler exited
    1"); it waits for the database instead, and carries on."""
    from django.db import OperationalError

    from fakturera.core.management.commands import scheduler as command

    calls = []

    def run_due(jobs, *, now):
        calls.append(now)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        raise KeyboardInterrupt  # the test's way out of the loop

    monkeypatch.setattr(command, "run_due", run_due)
    monkeypatch.setattr(command.random, "uniform", lambda a, b: 0.0)
    monkeypatch.setattr(command.signal, "signal", lambda *args: None)  # pytest keeps its own Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        call_command("scheduler", stdout=io.StringIO())
    assert len(calls) == 2


@pytest.mark.django_db
def test_the_scheduler_once_reports_a_database_that_is_away(monkeypatch):
    from django.db import OperationalError

    from fakturera.core.management.commands import scheduler as command

    def run_due(jobs, *, now):
        raise OperationalError("connection refused")

    monkeypatch.setattr(command, "run_due", run_due)
    with pytest.raises(OperationalError):
        call_command("scheduler", "--once", stdout=io.StringIO())
