from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fakturera.core"
    label = "core"

    def ready(self) -> None:
        from fakturera.core import tasks

        # A failed attempt of a background task is tried again (core/tasks.py, "Retries").
        tasks.connect()
