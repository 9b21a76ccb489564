from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fakturera.api"
    label = "api"

    def ready(self) -> None:
        from fakturera.api import subscribers

        subscribers.connect()
