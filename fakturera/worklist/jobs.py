"""The worklist's daily jobs, registered with core's scheduler in WorklistConfig.ready(). Each
is idempotent and safe to run on two machines at once (services.py says how)."""

from __future__ import annotations

from django.utils import timezone

from fakturera.worklist.services import digests_send, tasks_raise_priority


def tasks_raise_priority_today() -> str:
    return f"{tasks_raise_priority(today=timezone.localdate())} tasks past their due date raised to high priority"


def digests_send_today() -> str:
    return str(digests_send())
