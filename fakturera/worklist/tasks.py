"""Background work of the worklist (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from fakturera.worklist.services import email_notifications_now


@task()
def email_notifications(user_ids: list[int]) -> None:
    # Queued when notifications are made for users who want them at once: the delivery
    # worker's transaction never waits for a mail server.
    email_notifications_now(user_ids=user_ids)
