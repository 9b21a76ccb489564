from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "fakturera.invoicing"
    label = "invoicing"

    def ready(self) -> None:
        from fakturera.invoicing import subscribers

        subscribers.connect()
