from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookkeepingConfig(AppConfig):
    name = "fakturera.bookkeeping"
    label = "bookkeeping"
    verbose_name = _("Bookkeeping")

    def ready(self) -> None:
        from fakturera.bookkeeping import subscribers

        subscribers.connect()
