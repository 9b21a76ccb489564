from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fakturera.core"
    label = "core"
