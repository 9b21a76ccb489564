from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "fakturera.demo"
    label = "demo"
    verbose_name = "Demo data"
