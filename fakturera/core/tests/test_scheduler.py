"""When periodic jobs are due, that a failing one does not stop the others and is done
only once it succeeded, that the apps register their jobs, and that
`fakturera scheduler --once` runs the real jobs."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command

from fakturera.core import scheduler
from fakturera.core.scheduler import DAILY_RETRY_AFTER, Job, register, registered, run_due, seconds_to_next

TZ = zoneinfo.ZoneInfo("Europe/Stockholm")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def test_an_interval_job_runs_at_start_and_then_every_interval():
    job = Job("sweep", "x:y", every=dt.timedelta(minutes=1))

    assert job.next_run(last=None, now=at(22, 10)) == at(22, 10)
    assert job.next_run(last=at(22, 10), now=at(22, 10)) == at(22, 10, 1)


def test_a_daily_job_catches_up_at_start_then_runs_each_night_at_its_time():
    job = Job("nightly", "x:y", at=dt.time(0, 5))

    assert job.next_run(last=None, now=at(22, 14)) == at(22, 14)
    assert job.next_run(last=at(22, 14), now=at(22, 14)) == at(23, 0, 5)
    # started just after midnight, before its time: tonight's run is still to come
    assert job.next_run(last=at(23, 0, 1), now=at(23, 0, 1)) == at(23, 0, 5)
    assert job.next_run(last=at(23, 0, 5), now=at(23, 0, 5)) == at(24, 0, 5)


def test_a_job_is_either_interval_or_daily():
    with pytest.raises(ValueError, match="either every interval or daily"):
        Job("both", "x:y", every=dt.timedelta(minutes=1), at=dt.time(1))
    with pytest.raises(ValueError, match="either every interval or daily"):
        Job("neither", "x:y")


def boom() -> None:
    raise RuntimeError("down")


def fine() -> str:
    return "ok"


def test_a_failing_job_is_reported_and_the_others_still_run():
    jobs = (
        Job("failing", f"{__name__}:boom", every=dt.timedelta(minutes=1)),
        Job("fine", f"{__name__}:fine", every=dt.timedelta(minutes=5)),
    )
    last_runs: dict = {}

    said = run_due(jobs, last_runs=last_runs, now=at(22, 10))

    assert said == {"failing": "failed: RuntimeError('down')", "fine": "ok"}
    # nothing is due again until the shortest interval has passed
    assert run_due(jobs, last_runs=last_runs, now=at(22, 10, 0) + dt.timedelta(seconds=30)) == {}
    assert seconds_to_next(jobs, last_runs=last_runs, now=at(22, 10)) == 60
    assert set(run_due(jobs, last_runs=last_runs, now=at(22, 10, 1))) == {"failing"}


calls: list[str] = []


def fails_twice() -> str:
    calls.append("call")
    if len(calls) <= 2:
        raise RuntimeError("database restarting")
    return "generated"


def test_a_failing_daily_job_is_retried_after_a_short_backoff_and_done_only_after_it_succeeded():
    calls.clear()
    job = Job("nightly", f"{__name__}:fails_twice", at=dt.time(0, 5))
    last_runs: dict = {}

    assert run_due((job,), last_runs=last_runs, now=at(23, 0, 5)) == {
        "nightly": "failed: RuntimeError('database restarting')"
    }
    # not marked done: due again after the backoff, not the next night
    assert seconds_to_next((job,), last_runs=last_runs, now=at(23, 0, 5)) == DAILY_RETRY_AFTER.total_seconds()
    assert run_due((job,), last_runs=last_runs, now=at(23, 0, 6)) == {}
    assert set(run_due((job,), last_runs=last_runs, now=at(23, 0, 10))) == {"nightly"}
    assert run_due((job,), last_runs=last_runs, now=at(23, 0, 15)) == {"nightly": "generated"}
    # done: nothing more tonight, next at its time tomorrow
    assert run_due((job,), last_runs=last_runs, now=at(23, 0, 20)) == {}
    assert run_due((job,), last_runs=last_runs, now=at(23, 12)) == {}
    assert seconds_to_next((job,), last_runs=last_runs, now=at(23, 12)) == (at(24, 0, 5) - at(23, 12)).total_seconds()
    assert run_due((job,), last_runs=last_runs, now=at(24, 0, 5)) == {"nightly": "generated"}
    assert len(calls) == 4


def test_a_failing_interval_job_is_retried_after_its_interval():
    job = Job("failing", f"{__name__}:boom", every=dt.timedelta(minutes=10))
    last_runs: dict = {}

    run_due((job,), last_runs=last_runs, now=at(22, 10))

    assert run_due((job,), last_runs=last_runs, now=at(22, 10, 9)) == {}
    assert set(run_due((job,), last_runs=last_runs, now=at(22, 10, 10))) == {"failing"}


def test_the_apps_register_their_jobs_in_installed_apps_order():
    jobs = {job.name: job for job in registered()}

    assert list(jobs) == [
        "rate limit counters purge",
        "tasks of stopped workers",
        "webhook deliveries due",
        "idempotency records past their keep time",
        "recurring invoices due",
        "task priorities past due",
        "notification digests",
        "reminders due",
    ]
    assert jobs["rate limit counters purge"].target == "fakturera.core.ratelimit:purge_expired"
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
def test_the_command_runs_every_real_job_once():
    out = io.StringIO()

    call_command("scheduler", "--once", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == len(scheduler.registered())
    for job in scheduler.registered():
        assert any(f" {job.name}: " in line and "failed" not in line for line in lines), out.getvalue()


def test_with_no_job_registered_the_scheduler_looks_again_in_a_minute():
    assert run_due((), last_runs={}, now=at(22, 10)) == {}
    assert seconds_to_next((), last_runs={}, now=at(22, 10)) == 60
