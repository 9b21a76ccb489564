"""The task and notification pages' helpers: the menu's counts (one COUNT each per page), a
task's title and a notification's sentence in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template

from fakturera.worklist import selectors
from fakturera.worklist.models import Notification, Task
from fakturera.worklist.wording import notification_words, task_title

register = template.Library()


def _who(context: dict[str, Any]) -> tuple[Any, Any] | None:
    company, request = context.get("company"), context.get("request")
    if company is None or request is None or not request.user.is_authenticated:
        return None
    return company, request.user


@register.simple_tag(takes_context=True)
def open_tasks(context: dict[str, Any]) -> int:
    """The open tasks assigned to the user: the menu's badge."""
    who = _who(context)
    return selectors.open_task_count(company=who[0], user=who[1]) if who else 0


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    who = _who(context)
    return selectors.unread_count(company=who[0], user=who[1]) if who else 0


@register.filter
def title(task: Task) -> str:
    return task_title(kind=task.kind, text=task.text, params=task.params)


@register.filter
def sentence(notification: Notification) -> str:
    return notification_words(notification.kind, notification.params)


@register.filter
def overdue(task: Task, today: Any) -> bool:
    return selectors.task_is_overdue(task, today=today)
