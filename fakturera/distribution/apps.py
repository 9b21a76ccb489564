from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "fakturera.distribution"
    label = "distribution"
    verbose_name = "Distribution"

    def ready(self) -> None:
        from fakturera.distribution import history, subscribers

        subscribers.connect()
        # The history kinds distribution writes; invoicing words them without knowing them.
        history.register()
