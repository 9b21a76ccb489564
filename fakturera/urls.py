from django.contrib.auth import views as auth_views
from django.urls import include, path

from fakturera.api.v1 import api as api_v1
from fakturera.staff.views import account

urlpatterns = [
    # Password, then a two-factor code for those who have one (staff/views/account.py).
    path("login/", account.LoginView.as_view(), name="login"),
    path("login/code/", account.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api_v1.urls),
    path("", include("fakturera.public.urls")),
    path("portal/", include("fakturera.portal.urls")),
    path("", include("fakturera.staff.urls")),
]

# Refusals in the staff design (staff/views/errors.py).
handler403 = "fakturera.staff.views.errors.permission_denied"
handler404 = "fakturera.staff.views.errors.page_not_found"
handler500 = "fakturera.staff.views.errors.server_error"
