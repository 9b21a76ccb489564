from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from fakturera.core.scheduler import Job, register


class WorklistConfig(AppConfig):
    name = "fakturera.worklist"
    verbose_name = _("Tasks and notifications")

    def ready(self) -> None:
        from fakturera.worklist import subscribers

        subscribers.connect()
        # After midnight: yesterday's due dates have passed (core/scheduler.py).
        register(Job("task priorities past due", "fakturera.worklist.jobs:tasks_raise_priority_today", at=time(0, 15)))
        # In the morning, before the working day: yesterday's and the night's notifications.
        register(Job("notification digests", "fakturera.worklist.jobs:digests_send_today", at=time(6, 30)))
