from datetime import timedelta

from django.apps import AppConfig

from fakturera.core.scheduler import Job, register


class WebhooksConfig(AppConfig):
    name = "fakturera.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from fakturera.webhooks import subscribers

        subscribers.connect()
        # The sweep (core/scheduler.py): retries on backends that cannot defer, and deliveries
        # whose worker died mid-way.
        register(
            Job("webhook deliveries due", "fakturera.webhooks.services:deliveries_sweep", every=timedelta(minutes=1))
        )
