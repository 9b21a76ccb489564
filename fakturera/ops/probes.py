"""/healthz and /readyz (ops/DESIGN.md): what a load balancer or an orchestrator asks.

/healthz: the process answers (it reads nothing, so a database away does not restart it).
/readyz: it can serve: the database answers, every migration is applied, and no queue's
oldest due item has waited longer than READY_QUEUE_AGE_SECONDS (the workers keep up).
Otherwise 503 with the reasons as JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from fakturera.core.queues import QueueState, tasks_queue
from fakturera.distribution.figures import deliveries_queue
from fakturera.webhooks.figures import webhooks_queue


def queues(*, now: dt.datetime) -> list[QueueState]:
    """Every queue's state: the background tasks, the deliveries, the webhooks."""
    return [tasks_queue(now=now), deliveries_queue(now=now), webhooks_queue(now=now)]


@dataclass
class Readiness:
    reasons: list[dict[str, object]] = field(default_factory=list)
    queues: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def is_ready(self) -> bool:
        return not self.reasons

    def as_json(self) -> dict[str, object]:
        return {"ready": self.is_ready, "reasons": self.reasons, "queues": self.queues}


# Once every migration was found applied, this process does not look again (they are not
# unapplied under a running installation; a new release starts new processes).
_migrations_applied = False


def _unapplied_migrations() -> list[str]:
    global _migrations_applied  # a process-wide memo
    if _migrations_applied:
        return []
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    unapplied = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    _migrations_applied = not unapplied
    return unapplied


def readiness(*, now: dt.datetime | None = None) -> Readiness:
    now = now or timezone.now()
    result = Readiness()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        result.reasons.append({"check": "database", "message": f"The database does not answer: {type(exc).__name__}"})
        return result
    try:
        unapplied = _unapplied_migrations()
        if unapplied:
            # The queues' tables may not be there yet: nothing more to ask.
            result.reasons.append(
                {
                    "check": "migrations",
                    "message": f"{len(unapplied)} migrations are not applied: run `fakturera migrate`.",
                    "unapplied": unapplied[:20],
                }
            )
            return result
        states = queues(now=now)
    except DatabaseError as exc:
        result.reasons.append({"check": "database", "message": f"The database failed a query: {type(exc).__name__}"})
        return result
    limit = settings.READY_QUEUE_AGE_SECONDS
    for state in states:
        age = state.age_seconds(now)
        result.queues[state.name] = {"depth": state.depth, "oldest_age_seconds": round(age, 1)}
        if limit and age > limit:
            result.reasons.append(
                {
                    "check": "queue",
                    "queue": state.name,
                    "message": f"The oldest due item of {state.name} has waited {age:.0f} s (more than {limit} s): "
                    "are its workers running?",
                }
            )
    return result
