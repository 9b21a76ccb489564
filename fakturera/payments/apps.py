from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "fakturera.payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from fakturera.payments import history, subscribers

        history.register()
        subscribers.connect()
