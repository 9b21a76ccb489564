from datetime import time

from django.apps import AppConfig

from fakturera.core.scheduler import Job, register


class RecurringConfig(AppConfig):
    name = "fakturera.recurring"
    verbose_name = "Recurring invoices"

    def ready(self) -> None:
        # The nightly generation (core/scheduler.py), shortly after midnight, clear of the date change itself.
        register(Job("recurring invoices due", "fakturera.recurring.jobs:recurring_generate_today", at=time(0, 5)))
