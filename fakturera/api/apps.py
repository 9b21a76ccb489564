from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fakturera.api"
    label = "api"
