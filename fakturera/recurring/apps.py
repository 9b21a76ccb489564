from django.apps import AppConfig


class RecurringConfig(AppConfig):
    name = "fakturera.recurring"
    verbose_name = "Recurring invoices"
