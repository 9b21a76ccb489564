from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fakturera.documents"
    label = "documents"
