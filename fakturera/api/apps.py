from datetime import timedelta

from django.apps import AppConfig

from fakturera.core.scheduler import Job, register


class ApiConfig(AppConfig):
    name = "fakturera.api"
    label = "api"

    def ready(self) -> None:
        # Periodic jobs (core/scheduler.py), run by `fakturera scheduler` in registration order.
        register(
            Job(
                "idempotency records past their keep time",
                "fakturera.api.idempotency:records_purge",
                every=timedelta(hours=1),
            )
        )
