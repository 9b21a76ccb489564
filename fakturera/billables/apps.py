from django.apps import AppConfig


class BillablesConfig(AppConfig):
    name = "fakturera.billables"
    label = "billables"
