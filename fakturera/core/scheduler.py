"""The periodic jobs of an installation, run by one long-lived `fakturera scheduler`.

Jobs are plain functions of the apps that own them (sweeps, nightly generation,
clean-up); each app registers its jobs in its AppConfig.ready() with
`register(Job(...))`, and this module only knows when each is due. A job is either
every `every` (sweeps: they pick up what a dead worker or a deferred retry left) or
daily at `at` local time (recurring invoices). Each job is idempotent and safe to run
on two machines at once, so running more than one scheduler is harmless.

A job that fails is logged and never stops the others. It counts as done only when it
ran without an error: a failed job is tried again after `retry_after` (the interval
for a periodic job, five minutes for a daily one), so a nightly run that met a
database restart runs again minutes later instead of the next night.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# A daily job that failed is tried again this long after (a periodic one after its interval).
DAILY_RETRY_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function" taking no arguments, imported when first run
    every: dt.timedelta | None = None
    at: dt.time | None = None  # daily, local time

    def __post_init__(self) -> None:
        if (self.every is None) == (self.at is None):
            raise ValueError(f"{self.name}: a job runs either every interval or daily at a time")

    def next_run(self, *, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        """When the job is next due, given its last successful run (None: none in this process)."""
        if self.every is not None:
            return now if last is None else last + self.every
        assert self.at is not None
        if last is None:
            return now  # at start-up: catch up on what a stopped scheduler missed
        day = last.date() + dt.timedelta(days=1) if last.timetz().replace(tzinfo=None) >= self.at else last.date()
        return dt.datetime.combine(day, self.at, tzinfo=now.tzinfo)

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


@dataclass(frozen=True)
class Run:
    """How a job's last run in this process ended."""

    at: dt.datetime
    ok: bool


def due_at(job: Job, run: Run | None, *, now: dt.datetime) -> dt.datetime:
    """When `job` is next due, given how its last run ended (None: never ran in this process)."""
    if run is None:
        return job.next_run(last=None, now=now)
    if not run.ok:
        return run.at + job.retry_after
    return job.next_run(last=run.at, now=now)


def run_due(jobs: tuple[Job, ...], *, last_runs: dict[str, Run], now: dt.datetime) -> dict[str, str]:
    """Run every job due at `now`; returns job name -> what it said (or its error).

    `last_runs` is the scheduler's memory between calls (job name -> its last Run): a job
    is marked done only after it ran without an error; a failed one is due again after
    its `retry_after`."""
    said: dict[str, str] = {}
    for job in jobs:
        if due_at(job, last_runs.get(job.name), now=now) > now:
            continue
        try:
            said[job.name] = str(job.function()())
        except Exception as exc:  # one failing job must not stop the others
            logger.exception("scheduled job %s failed", job.name)
            said[job.name] = f"failed: {exc!r}"
            last_runs[job.name] = Run(now, ok=False)
        else:
            last_runs[job.name] = Run(now, ok=True)
    return said


def seconds_to_next(jobs: tuple[Job, ...], *, last_runs: dict[str, Run], now: dt.datetime) -> float:
    # With no job registered there is nothing to wait for; look again in a minute.
    upcoming = min(
        (due_at(job, last_runs.get(job.name), now=now) for job in jobs), default=now + dt.timedelta(minutes=1)
    )
    return max((upcoming - now).total_seconds(), 1.0)
