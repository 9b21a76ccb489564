"""Public (no login) routes of the courses app."""

from django.urls import path

from fakturera.courses import views

urlpatterns = [
    path("register/approval/<str:token>/", views.approval, name="course_approval"),
    path("register/<str:token>/", views.register, name="course_register"),
    path("register/<str:token>/thanks/", views.register_thanks, name="course_register_thanks"),
]
