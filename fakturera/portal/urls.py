"""Client portal routes: /portal/<company id>/... (links.py builds the invoice address)."""

from django.urls import path

from fakturera.portal import views

app_name = "portal"
urlpatterns = [
    path("<int:company_id>/", views.invoice_list, name="invoice_list"),
    path("<int:company_id>/login/", views.login, name="login"),
    path("<int:company_id>/login/<str:token>/", views.login_link, name="login_link"),
    path("<int:company_id>/logout/", views.logout, name="logout"),
    path("<int:company_id>/invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("<int:company_id>/invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
]
