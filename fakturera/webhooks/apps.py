from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "fakturera.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from fakturera.webhooks import subscribers

        subscribers.connect()
