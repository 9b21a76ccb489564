"""Public (no login) routes: the course registration form and the manager's approval link."""

from django.urls import path

from fakturera.public import views

urlpatterns = [
    path("register/approval/<str:token>/", views.approval, name="course_approval"),
    path("register/<str:token>/", views.register, name="course_register"),
    path("register/<str:token>/thanks/", views.register_thanks, name="course_register_thanks"),
]
