from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "fakturera.invoicing"
    label = "invoicing"
