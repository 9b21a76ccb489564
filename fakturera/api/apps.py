from datetime import timedelta

from django.apps import AppConfig

from fakturera.core.scheduler import Job, register


class ApiConfig(AppConfig):
    name = "fakturera.api"
    label = "api"

    def ready(self) -> None:
        from fakturera.api import subscribers

        subscribers.connect()
        # Periodic jobs (core/scheduler.py), run by `fakturera scheduler` in this order.
        register(Job("webhook deliveries due", "fakturera.api.webhooks:deliveries_sweep", every=timedelta(minutes=1)))
        register(
            Job(
                "idempotency records past their keep time",
                "fakturera.api.idempotency:records_purge",
                every=timedelta(hours=1),
            )
        )
