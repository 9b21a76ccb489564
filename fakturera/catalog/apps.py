from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "fakturera.catalog"
    label = "catalog"
