from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "fakturera.courses"
    label = "courses"
