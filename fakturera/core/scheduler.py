"""The periodic jobs of an installation, run by one long-lived `fakturera scheduler`.

Jobs are plain functions of the domain apps (sweeps, nightly generation, clean-up);
this module only knows when each is due. A job is either every `every` (sweeps:
they pick up what a dead worker or a deferred retry left) or daily at `at` local
time (recurring invoices). Each job is idempotent and safe to run on two machines
at once, so running more than one scheduler is harmless; a job that fails is
logged and tried again at its next turn, and never stops the others.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


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
        """When the job is next due, given its last run (None: never ran in this process)."""
        if self.every is not None:
            return now if last is None else last + self.every
        assert self.at is not None
        if last is None:
            return now  # at start-up: catch up on what a stopped scheduler missed
        day = last.date() + dt.timedelta(days=1) if last.timetz().replace(tzinfo=None) >= self.at else last.date()
        return dt.datetime.combine(day, self.at, tzinfo=now.tzinfo)

    def function(self) -> Callable[[], object]:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


JOBS: tuple[Job, ...] = (
    Job("webhook deliveries due", "fakturera.webhooks.services:deliveries_sweep", every=dt.timedelta(minutes=1)),
    Job(
        "idempotency records past their keep time",
        "fakturera.api.idempotency:records_purge",
        every=dt.timedelta(hours=1),
    ),
    # Shortly after midnight, clear of the date change itself.
    Job("recurring invoices due", "fakturera.core.scheduler:recurring_generate_today", at=dt.time(0, 5)),
)


def recurring_generate_today() -> str:
    from django.utils import timezone

    from fakturera.recurring.services import recurring_generate

    result = recurring_generate(today=timezone.localdate())
    return f"{result.orders} orders from {result.recurring_invoices} recurring invoices"


def run_due(jobs: tuple[Job, ...], *, last_runs: dict[str, dt.datetime], now: dt.datetime) -> dict[str, str]:
    """Run every job due at `now`; returns job name -> what it said (or its error)."""
    said: dict[str, str] = {}
    for job in jobs:
        if job.next_run(last=last_runs.get(job.name), now=now) > now:
            continue
        last_runs[job.name] = now
        try:
            said[job.name] = str(job.function()())
        except Exception as exc:  # one failing job must not stop the others
            logger.exception("scheduled job %s failed", job.name)
            said[job.name] = f"failed: {exc!r}"
    return said


def seconds_to_next(jobs: tuple[Job, ...], *, last_runs: dict[str, dt.datetime], now: dt.datetime) -> float:
    upcoming = min(job.next_run(last=last_runs.get(job.name), now=now) for job in jobs)
    return max((upcoming - now).total_seconds(), 1.0)
