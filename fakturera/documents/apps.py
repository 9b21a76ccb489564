from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fakturera.documents"
    label = "documents"

    def ready(self) -> None:
        from fakturera.documents import history, subscribers

        subscribers.connect()
        history.register()
