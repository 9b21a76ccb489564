"""What waits in a queue: how many items are due and since when the oldest has waited.

Each app that owns a queue measures its own (distribution's deliveries, webhooks' deliveries;
the background tasks here, as django-tasks-db's rows are core's business); the operations
pages (/readyz, /metrics) read them all. One aggregate statement per queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, Min, When


@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int  # items due now
    oldest_due_at: dt.datetime | None  # when the longest-waiting due item became due

    def age_seconds(self, now: dt.datetime) -> float:
        """How long the oldest due item has waited (0 with none)."""
        if self.oldest_due_at is None:
            return 0.0
        return max((now - self.oldest_due_at).total_seconds(), 0.0)


def tasks_queue(*, now: dt.datetime) -> QueueState:
    """The background tasks ready to run (django-tasks-db): due at their run_after, or at once."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    never = get_date_max()
    due = Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after"))
    figures = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .annotate(due_at=due)
        .filter(due_at__lte=now)
        .aggregate(depth=Count("id"), oldest=Min("due_at"))
    )
    return QueueState("tasks", figures["depth"], figures["oldest"])
