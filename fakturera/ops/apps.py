from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fakturera.ops"
    label = "ops"
    verbose_name = "Operations"
