from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "fakturera.payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from fakturera.core import payment_facts
        from fakturera.payments import history, selectors, subscribers

        history.register()
        subscribers.connect()
        payment_facts.register(selectors.payment_facts_of)
