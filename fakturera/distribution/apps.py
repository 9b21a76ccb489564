from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "fakturera.distribution"
    label = "distribution"
    verbose_name = "Distribution"

    def ready(self) -> None:
        from fakturera.distribution import subscribers
        from fakturera.distribution.states import SendingEvent
        from fakturera.invoicing.history import register_kind

        subscribers.connect()
        # The history kinds distribution writes; invoicing shows them without knowing them.
        for kind in SendingEvent:
            register_kind(kind.value, label=kind.label)
