from django.conf import settings
from django.conf.urls.static import static
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fakturera.api.v1 import api as api_v1

# A database briefly away answers 503 with Retry-After, also when a middleware met it (core/unavailable.py).
handler500 = "fakturera.core.unavailable.server_error"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api_v1.urls),
    path("", include("fakturera.public.urls")),
    path("portal/", include("fakturera.portal.urls")),
    path("", include("fakturera.staff.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
