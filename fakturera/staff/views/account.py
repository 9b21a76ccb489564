"""Logging in (password, then a two-factor code for those who have one) and the user's own
security page: turning two-factor authentication on and off, recovery codes.

The password step is Django's LoginView with django-axes behind it (settings.py): a wrong
password and an unknown username get the same answer, and repeated failures the lockout
page (`registration/lockout.html`). See staff/two_factor.py for the code step.
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fakturera.core.text import TextCheckedForm
from fakturera.staff import two_factor


class LoginView(auth_views.LoginView):
    """Django's login; a user with two factors goes on to the code page instead of in."""

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        if two_factor.has_two_factor(form.get_user()):
            return redirect(f"{reverse('login_code')}?{urlencode({'next': self.get_success_url()})}")
        return response


class CodeForm(TextCheckedForm):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        help_text=gettext_lazy("The six digits your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return resolve_url("staff:home")


def _verify(request: HttpRequest, code: str) -> tuple[object | None, str]:
    """The device that accepts `code` (the app's six digits, or a recovery code), and why not."""
    code = "".join(code.split()).lower()
    if code.isdigit():
        device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    else:
        device = StaticDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return None, _("That code is not right. Try again.")
    allowed, info = device.verify_is_allowed()
    if not allowed:
        if (info or {}).get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            return None, _("Too many wrong codes in a row. Wait a minute, then try again.")
        return None, _("That code is not right. Try again.")
    verified = django_otp.verify_token(request.user, device.persistent_id, code)
    if verified is None:
        return None, _("That code is not right. Try again.")
    return verified, ""


@never_cache
@csrf_protect
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of logging in, for a user with two-factor authentication."""
    if not request.user.is_authenticated:
        return redirect(f"{resolve_url('login')}?{urlencode({'next': _next_url(request)})}")
    if request.user.is_verified() or not two_factor.has_two_factor(request.user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, problem = _verify(request, form.cleaned_data["code"])
        if device is None:
            form.add_error("code", problem)
        else:
            django_otp.login(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _("You logged in with a recovery code; %(count)s remain. Make new ones on the security page.")
                    % {"count": two_factor.recovery_codes_left(request.user)},
                )
            return redirect(_next_url(request))
    context = {"form": form, "next": _next_url(request)}
    return render(request, "registration/login_code.html", context, status=400 if form.errors else 200)


class ConfirmForm(TextCheckedForm):
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DisableForm(TextCheckedForm):
    proof = forms.CharField(
        label=gettext_lazy("Your password or a current code"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


@login_required
@two_factor.two_factor_exempt
def security(request: HttpRequest) -> HttpResponse:
    """The user's two-factor authentication: turn it on (QR code, then a code to confirm),
    new recovery codes, turn it off (with the password or a current code)."""
    user = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    context: dict[str, object] = {"section": "security"}
    status = 200
    pending = None
    confirm_form = ConfirmForm()
    disable_form = DisableForm()
    if action == "start":
        pending = two_factor.totp_device_start(user)
    elif action == "confirm":
        pending = two_factor.totp_device_pending(user)
        confirm_form = ConfirmForm(request.POST)
        if pending is not None and confirm_form.is_valid():
            code = "".join(confirm_form.cleaned_data["code"].split())
            if code.isdigit() and pending.verify_token(code):
                context["recovery_codes"] = two_factor.totp_device_confirm(pending)
                django_otp.login(request, pending)
                messages.success(request, _("Two-factor authentication is on."))
                pending = None
            else:
                confirm_form.add_error("code", _("That code is not right. Check the time on your phone and try again."))
                status = 400
    elif action == "recovery" and two_factor.has_two_factor(user):
        context["recovery_codes"] = two_factor.recovery_codes_renew(user)
        messages.success(request, _("New recovery codes are made; the earlier ones no longer work."))
    elif action == "disable" and two_factor.has_two_factor(user):
        disable_form = DisableForm(request.POST)
        if disable_form.is_valid():
            proof = disable_form.cleaned_data["proof"]
            if user.check_password(proof) or _verify(request, proof)[0] is not None:
                two_factor.two_factor_disable(user)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("staff:security")
            disable_form.add_error("proof", _("That is neither your password nor a current code."))
        status = 400
    enabled = two_factor.has_two_factor(user)
    if pending is not None:
        context.update(qr_svg=two_factor.qr_svg(pending), secret=two_factor.secret_for_typing(pending))
    company = getattr(request, "company", None)
    context.update(
        enabled=enabled,
        pending=pending,
        confirm_form=confirm_form,
        disable_form=disable_form,
        recovery_left=two_factor.recovery_codes_left(user) if enabled else 0,
        required_by=company if company is not None and company.requires_two_factor and not enabled else None,
    )
    return render(request, "staff/account/security.html", context, status=status)


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: object = None
) -> HttpResponse:
    """django-axes' answer to a locked-out login (settings.AXES_LOCKOUT_CALLABLE): the same page,
    with the same status, whether or not the username exists."""
    del original_response, credentials
    from django.conf import settings

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "registration/lockout.html", {"cooloff_minutes": minutes}, status=429)
