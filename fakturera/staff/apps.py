from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "fakturera.staff"
    label = "staff"
