"""Two-factor login for staff: TOTP codes from an authenticator app (django-otp), with
recovery codes for a lost phone.

A user with a confirmed TOTP device logs in in two steps: the password (Django's login
view, `views/account.LoginView`), then a code (`views/account.login_code`). Until the
code is given the session is logged in but not verified (django-otp's OTPMiddleware
sets `request.user.is_verified()`), and `TwoFactorMiddleware` sends every staff page to
the code page. A company that requires two factors (`Company.requires_two_factor`) sends
its staff without a device to the security page to set one up first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery"
TOTP_DEVICE_NAME = "authenticator"


def has_two_factor(user: AbstractBaseUser) -> bool:
    """Whether the user logs in with a code (a confirmed authenticator app)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_start(user: AbstractBaseUser) -> TOTPDevice:
    """A new, unconfirmed authenticator device with a fresh key (an earlier unconfirmed one goes)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_device_pending(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def totp_device_confirm(device: TOTPDevice) -> list[str]:
    """Confirm the device (its code was checked) and give the user new recovery codes."""
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(device.user)


@transaction.atomic
def recovery_codes_renew(user: AbstractBaseUser) -> list[str]:
    """New recovery codes for the user, replacing any earlier ones; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_disable(user: AbstractBaseUser) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as a QR code in inline SVG markup (no data: URL, no style
    attribute: the Content-Security-Policy allows it as part of the page)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, svgclass="qr", lineclass="qr-modules", title=_("QR code for your authenticator app")
    )


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32 in groups of four, for an app without a camera."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def two_factor_exempt(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A staff page a user whose company requires two factors may open before setting them up."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]
    return view


def _go(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class TwoFactorMiddleware(MiddlewareMixin):
    """Staff pages (namespace `staff`) only after the code, for a user who has two factors,
    and only after setting them up, in a company that requires them. The other pages (login,
    logout, the language, the portal, the public forms, the API) are not staff pages."""

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        del view_args, view_kwargs
        match = request.resolver_match
        user = request.user
        if match is None or match.namespace != "staff" or not user.is_authenticated or user.is_verified():
            return None
        if has_two_factor(user):
            return _go(request, f"{reverse('login_code')}?{urlencode({'next': request.get_full_path()})}")
        company = getattr(request, "company", None)
        if company is not None and company.requires_two_factor and not getattr(view_func, "two_factor_exempt", False):
            messages.warning(
                request,
                _("%(company)s requires two-factor authentication: set it up to continue.") % {"company": company.name},
            )
            return _go(request, reverse("staff:security"))
        return None
