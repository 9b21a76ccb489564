from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "fakturera.public"
    label = "public"
    verbose_name = "Public pages"
