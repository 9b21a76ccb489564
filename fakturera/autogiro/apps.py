from django.apps import AppConfig


class AutogiroConfig(AppConfig):
    name = "fakturera.autogiro"
    verbose_name = "Autogiro"
