from django.apps import AppConfig


class AutogiroConfig(AppConfig):
    name = "fakturera.autogiro"
    verbose_name = "Autogiro"

    def ready(self) -> None:
        from fakturera.autogiro import subscribers

        subscribers.connect()
