"""Reads of the worklist for the staff pages, the API and webhooks. Every function takes the
company (another company's task is not found); lists are querysets the caller pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from fakturera.core.bulk import any_of
from fakturera.parties.models import Company
from fakturera.worklist import states
from fakturera.worklist.models import Notification, NotificationPreference, Task, TaskEvent
from fakturera.worklist.states import EmailMode, TaskKind, TaskPriority, TaskState
from fakturera.worklist.wording import task_event_words, task_title

# The list's scopes: assigned to me, not assigned to anyone (the company's team's), every task.
SCOPES = ("mine", "team", "all")
STATE_FILTERS = ("open", "closed", "any")


@dataclass(frozen=True)
class TaskFilter:
    scope: str = "mine"
    state: str = "open"
    kind: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    is_overdue: bool = False
    invoice_id: int | None = None
    customer_id: int | None = None
    assignee_id: int | None = None


def invoices_with_open_tasks(*, company_id: int, invoice_ids: Sequence[int]) -> list[int]:
    """Of these invoices, those with an open billing or call task (one query)."""
    if not invoice_ids:
        return []
    return sorted(
        set(
            Task.objects.filter(
                any_of(Task, list(invoice_ids), "invoice_id"),
                company_id=company_id,
                state=TaskState.OPEN,
                kind__in=(TaskKind.BILLING, TaskKind.REMINDER_CALL),
            ).values_list("invoice_id", flat=True)
        )
    )


def task_list(
    *, company: Company, user: Any = None, filters: TaskFilter | None = None, today: dt.date | None = None
) -> QuerySet[Task]:
    """The company's tasks by the filter, soonest due first, the most urgent first on a day."""
    filters = filters or TaskFilter()
    today = today or timezone.localdate()
    tasks = Task.objects.filter(company=company).select_related("assignee", "invoice", "customer")
    if filters.scope == "mine":
        tasks = tasks.filter(assignee=user)
    elif filters.scope == "team":
        tasks = tasks.filter(assignee=None)
    if filters.state in (TaskState.OPEN, TaskState.CLOSED):
        tasks = tasks.filter(state=filters.state)
    if filters.kind:
        tasks = tasks.filter(kind=filters.kind)
    if filters.due_from is not None:
        tasks = tasks.filter(due_on__gte=filters.due_from)
    if filters.due_to is not None:
        tasks = tasks.filter(due_on__lte=filters.due_to)
    if filters.is_overdue:
        tasks = tasks.filter(state=TaskState.OPEN, due_on__lt=today)
    if filters.invoice_id is not None:
        tasks = tasks.filter(invoice_id=filters.invoice_id)
    if filters.customer_id is not None:
        tasks = tasks.filter(customer_id=filters.customer_id)
    if filters.assignee_id is not None:
        tasks = tasks.filter(assignee_id=filters.assignee_id)
    return tasks.order_by("state", "due_on", "-priority", "pk")


def open_task_count(*, company: Company, user: Any) -> int:
    """The menu's badge: the open tasks assigned to the user (one COUNT)."""
    return Task.objects.filter(company=company, assignee=user, state=TaskState.OPEN).count()


def task_detail(*, company: Company, pk: int) -> Task | None:
    return Task.objects.filter(company=company, pk=pk).select_related("assignee", "invoice", "customer").first()


def task_history(*, task: Task) -> list[TaskEvent]:
    """A task's history, its opening first: the task row's own creation (no event row is
    written for it, states.OPENED), then its events."""
    opened = TaskEvent(task=task, kind=states.OPENED, at=task.created_at, actor_id=task.created_by_id, params={})
    return [opened, *TaskEvent.objects.filter(task=task).order_by("at", "pk")]


def tasks_by_ids(*, company_id: int, task_ids: Iterable[int]) -> list[Task]:
    """The tasks of an event (webhooks), in one query."""
    ids = sorted(set(task_ids))
    if not ids:
        return []
    return list(Task.objects.filter(any_of(Task, ids), company_id=company_id).order_by("pk"))


def notification_list(*, company: Company, user: Any, is_unread_only: bool = False) -> QuerySet[Notification]:
    found = Notification.objects.filter(company=company, user=user)
    if is_unread_only:
        found = found.filter(read_at=None)
    return found.order_by("-created_at", "-pk")


def unread_count(*, company: Company, user: Any) -> int:
    return Notification.objects.filter(company=company, user=user, read_at=None).count()


def email_mode_of(*, user: Any) -> str:
    found = NotificationPreference.objects.filter(user=user).values_list("email_mode", flat=True).first()
    return found or EmailMode.DIGEST


def task_is_overdue(task: Task, *, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return task.state == TaskState.OPEN and task.due_on is not None and task.due_on < today


PRIORITY_CODES = {TaskPriority.LOW: "low", TaskPriority.NORMAL: "normal", TaskPriority.HIGH: "high"}


def task_data(task: Task, *, today: dt.date | None = None) -> dict[str, Any]:
    """A task as the API and the webhooks give it: codes and data, its title worded in the active
    language."""
    return {
        "id": task.pk,
        "kind": task.kind,
        "state": task.state,
        "priority": PRIORITY_CODES.get(task.priority, str(task.priority)),
        "title": task_title(kind=task.kind, text=task.text, params=task.params),
        "text": task.text,
        "invoice_id": task.invoice_id,
        "customer_id": task.customer_id,
        "assignee_id": task.assignee_id,
        "due_on": task.due_on,
        "is_overdue": task_is_overdue(task, today=today),
        "params": dict(task.params),
        "created_at": task.created_at,
        "closed_at": task.closed_at,
        "close_reason": task.close_reason,
    }


def task_history_data(*, task: Task) -> list[dict[str, Any]]:
    return [
        {
            "kind": event.kind,
            "at": event.at,
            "actor_id": event.actor_id,
            "params": dict(event.params),
            "text": task_event_words(event.kind, event.params),
        }
        for event in task_history(task=task)
    ]
