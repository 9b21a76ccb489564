"""When periodic jobs are due, that a failing one does not stop the others, and that
`fakturera scheduler --once` runs the real jobs."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command

from fakturera.core import scheduler
from fakturera.core.scheduler import Job, run_due, seconds_to_next

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


@pytest.mark.django_db
def test_the_command_runs_every_real_job_once():
    out = io.StringIO()

    call_command("scheduler", "--once", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == len(scheduler.JOBS)
    for job in scheduler.JOBS:
        assert any(f" {job.name}: " in line and "failed" not in line for line in lines), out.getvalue()
