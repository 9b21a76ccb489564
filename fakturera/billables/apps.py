from django.apps import AppConfig


class BillablesConfig(AppConfig):
    name = "fakturera.billables"
    label = "billables"

    def ready(self) -> None:
        from fakturera.billables import subscribers

        subscribers.connect()
