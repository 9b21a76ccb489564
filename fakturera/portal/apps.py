from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "fakturera.portal"
    verbose_name = "Client portal"
