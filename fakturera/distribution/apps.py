from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "fakturera.distribution"
    label = "distribution"
    verbose_name = "Distribution"

    def ready(self) -> None:
        from fakturera.distribution import subscribers

        subscribers.connect()
