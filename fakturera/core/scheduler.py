"""The periodic jobs of an installation, run by `fakturera scheduler` on one machine or several.

Jobs are plain functions of the apps that own them (sweeps, nightly generation,
clean-up); each app registers its jobs in its AppConfig.ready() with
`register(Job(...))`, and this module only knows when each is due. A job is either
every `every` (sweeps: they pick up what a dead worker or a deferred retry left) or
daily at `at` local time (recurring invoices).

Due times are the same on every machine: a periodic job's are the multiples of its interval
since the epoch, a daily job's its time each day. Each due time runs once across all the
schedulers: the one that inserts the job's `ScheduledRun` row for that due time (unique
key) runs it; the others meet the key and leave it. Only the latest due time counts, so a
scheduler stopped for three nights catches up once, not three times (the jobs themselves
catch up what they missed: recurring generation makes every missed date's orders).

A job that fails is logged and never stops the others. It counts as done only when it
ran without an error: a failed run is taken again (by any scheduler) after `retry_after`
(the interval for a periodic job, five minutes for a daily one), so a nightly run that met
a database restart runs again minutes later instead of the next night; a run whose
scheduler died mid-way is taken again after SCHEDULER_LEASE_SECONDS. Every job is still
idempotent, as such a run may have done part of its work.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from fakturera.core.logs import bound

if TYPE_CHECKING:
    from fakturera.core.models import ScheduledRun

logger = logging.getLogger(__name__)

# A daily job that failed is tried again this long after (a periodic one after its interval).
DAILY_RETRY_AFTER = dt.timedelta(minutes=5)
# A scheduler looks at least this often whether another one's failed or lost run is to be taken.
LONGEST_SLEEP = dt.timedelta(seconds=30)
# Run rows are kept this long (the latest of each job always, for catching up).
RUNS_KEPT = dt.timedelta(days=7)


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function" taking no arguments, imported when first run
    every: dt.timedelta | None = None
    at: dt.time | None = None  # daily, local time

    def __post_init__(self) -> None:
        if (self.every is None) == (self.at is None):
            raise ValueError(f"{self.name}: a job runs either every interval or daily at a time")

    def due_time(self, now: dt.datetime) -> dt.datetime:
        """The latest due time at or before `now`: the same on every machine."""
        if self.every is not None:
            step = self.every.total_seconds()
            return dt.datetime.fromtimestamp(now.timestamp() // step * step, tz=now.tzinfo)
        assert self.at is not None
        local = timezone.localtime(now)
        today = dt.datetime.combine(local.date(), self.at, tzinfo=local.tzinfo)
        if today <= local:
            return today
        return dt.datetime.combine(local.date() - dt.timedelta(days=1), self.at, tzinfo=local.tzinfo)

    def next_due_time(self, now: dt.datetime) -> dt.datetime:
        """The first due time after `now`."""
        if self.every is not None:
            return self.due_time(now) + self.every
        assert self.at is not None
        local = timezone.localtime(now)
        return dt.datetime.combine(self.due_time(now).date() + dt.timedelta(days=1), self.at, tzinfo=local.tzinfo)

    @property
    def retry_after(self) -> dt.timedelta:
        """How long after a failed run the job is tried again."""
        return self.every if self.every is not None else DAILY_RETRY_AFTER

    def function(self) -> Callable[[], object]:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


_registry: dict[str, Job] = {}


def register(job: Job) -> None:
    """Add `job` to the jobs `fakturera scheduler` runs; called in the owning app's
    AppConfig.ready(). Jobs run in the order they were registered (INSTALLED_APPS order).
    Registering the same job again (a ready() run twice) is a no-op; another job under a
    name already taken is an error."""
    known = _registry.get(job.name)
    if known is not None and known != job:
        raise ValueError(f"a scheduled job named {job.name!r} is already registered ({known.target})")
    _registry.setdefault(job.name, job)


def registered() -> tuple[Job, ...]:
    """Every registered job, in the order registered."""
    return tuple(_registry.values())


class Report(str):
    """What a job says (its text), with the figures it counted: `return Report("12 reminders",
    queued=12)`. The figures are stored with the run and exported on /metrics."""

    figures: dict[str, int]

    def __new__(cls, text: str, **figures: int) -> Report:
        report = super().__new__(cls, text)
        report.figures = figures
        return report


def _runs() -> Any:
    # Imported when used: the apps import this module (Job, register) before the models are loaded.
    from fakturera.core.models import ScheduledRun

    return ScheduledRun.objects


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)


def _takeable(run: ScheduledRun, job: Job, *, now: dt.datetime) -> bool:
    if run.is_ok is False:
        return run.finished_at is not None and run.finished_at + job.retry_after <= now
    return run.finished_at is None and run.started_at + _lease() < now


def _claim(job: Job, due_at: dt.datetime, known: ScheduledRun | None, *, now: dt.datetime) -> ScheduledRun | None:
    """The run of `job` at `due_at` for this scheduler, or None when it is done, running or
    waiting for its backoff, here or on another machine."""
    runner = _runner()
    if known is None:
        try:
            with transaction.atomic():
                return _runs().create(job=job.name, due_at=due_at, started_at=now, runner=runner)
        except IntegrityError:
            return None  # another scheduler inserted it first: theirs
    if not _takeable(known, job, now=now):
        return None
    # Compare-and-set: of two schedulers taking the same failed or lost run, one updates it.
    taken = (
        _runs()
        .filter(
            Q(is_ok=False, finished_at__lte=now - job.retry_after)
            | Q(is_ok__isnull=True, finished_at__isnull=True, started_at__lt=now - _lease()),
            pk=known.pk,
        )
        .update(started_at=now, finished_at=None, is_ok=None, runner=runner, attempts=known.attempts + 1)
    )
    if not taken:
        return None
    known.started_at, known.finished_at, known.is_ok, known.runner = now, None, None, runner
    known.attempts += 1
    return known


def run_due(jobs: tuple[Job, ...], *, now: dt.datetime) -> dict[str, str]:
    """Run every job whose latest due time at `now` is not done yet and that this scheduler
    claims; returns job name -> what it said (or its error)."""
    due = {job.name: job.due_time(now) for job in jobs}
    if not due:
        return {}
    known = {
        run.job: run
        for run in _runs().filter(Q(*[Q(job=name, due_at=due_at) for name, due_at in due.items()], _connector=Q.OR))
    }
    said: dict[str, str] = {}
    for job in jobs:
        run = _claim(job, due[job.name], known.get(job.name), now=now)
        if run is None:
            continue
        started = time.monotonic()
        try:
            with bound(job=job.name):
                result = job.function()()
        except Exception as exc:  # one failing job must not stop the others
            logger.exception("scheduled job %s failed", job.name)
            said[job.name] = f"failed: {exc!r}"
            run.is_ok, run.said, run.figures = False, said[job.name], {}
        else:
            said[job.name] = str(result)
            run.is_ok, run.said, run.figures = True, said[job.name], dict(getattr(result, "figures", {}))
        finished_at = run.started_at + dt.timedelta(seconds=time.monotonic() - started)
        # Recorded only while the run is still this scheduler's (not taken over as lost meanwhile).
        _runs().filter(pk=run.pk, runner=run.runner, started_at=run.started_at).update(
            finished_at=finished_at, is_ok=run.is_ok, said=run.said[:2000], figures=run.figures
        )
    return said


def seconds_to_next(jobs: tuple[Job, ...], *, now: dt.datetime) -> float:
    """How long to sleep: until the next due time, and at most LONGEST_SLEEP, to take another
    scheduler's failed or lost run in time."""
    upcoming = min((job.next_due_time(now) for job in jobs), default=now + LONGEST_SLEEP)
    return max(min(upcoming - now, LONGEST_SLEEP).total_seconds(), 1.0)


def runs_purge() -> str:
    """Forget runs older than RUNS_KEPT, keeping each job's latest (the scheduler's catch-up)."""
    latest = _runs().values("job").annotate(latest=Max("due_at"))
    keep = Q(*[Q(job=row["job"], due_at=row["latest"]) for row in latest], _connector=Q.OR) if latest else Q()
    deleted, _ = _runs().filter(due_at__lt=timezone.now() - RUNS_KEPT).exclude(keep).delete()
    return f"{deleted} runs forgotten"


@dataclass(frozen=True)
class JobState:
    """A job's latest finished run and latest success, for /metrics."""

    job: str
    last_finished_at: dt.datetime | None
    last_seconds: float | None
    last_ok: bool | None
    last_success_at: dt.datetime | None
    figures: dict[str, int]


def job_states() -> list[JobState]:
    """Every registered job's latest finished run and latest success: three queries whatever
    the number of jobs and runs."""
    finished = dict(
        _runs()
        .filter(finished_at__isnull=False)
        .values("job")
        .annotate(latest=Max("finished_at"))
        .values_list("job", "latest")
    )
    succeeded = dict(
        _runs().filter(is_ok=True).values("job").annotate(latest=Max("finished_at")).values_list("job", "latest")
    )
    rows = (
        {
            run.job: run
            for run in _runs().filter(
                Q(*[Q(job=name, finished_at=at) for name, at in finished.items()], _connector=Q.OR)
            )
        }
        if finished
        else {}
    )
    states = []
    for job in registered():
        run = rows.get(job.name)
        states.append(
            JobState(
                job=job.name,
                last_finished_at=run.finished_at if run else None,
                last_seconds=(run.finished_at - run.started_at).total_seconds() if run and run.finished_at else None,
                last_ok=run.is_ok if run else None,
                last_success_at=succeeded.get(job.name),
                figures=dict(run.figures) if run and run.is_ok else {},
            )
        )
    return states
