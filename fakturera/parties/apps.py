from django.apps import AppConfig


class PartiesConfig(AppConfig):
    name = "fakturera.parties"
    label = "parties"
