from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    name = "fakturera.collections"
    label = "collections"
    verbose_name = _("Collections")

    def ready(self) -> None:
        from fakturera.collections import collection_agency, history, letters, subscribers
        from fakturera.core import reminder_letters
        from fakturera.core.scheduler import Job, register

        history.register()
        collection_agency.register()
        subscribers.connect()
        reminder_letters.register(letters.letters_of)
        register(Job("reminders due", "fakturera.collections.jobs:reminders_run_today", at=time(6, 0)))
        # After midnight: yesterday's due dates have passed (invoice.overdue, once per invoice).
        register(Job("overdue invoices", "fakturera.collections.overdue:overdue_record_today", at=time(0, 30)))
