"""An invitation's link (parties/invitations.py): open to anyone holding it, no company needed.

Without a login of the invited address the person chooses a name and a password and is
logged in; with one they must log in as that user and accept explicitly. Only then do
they work for the company.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fakturera.core.errors import DomainError
from fakturera.core.text import TextCheckedForm
from fakturera.parties.invitations import (
    invitation_accept,
    invitation_accept_new_user,
    invitation_from_token,
    user_with_email,
)
from fakturera.parties.tenancy import SESSION_KEY
from fakturera.staff.forms_errors import add_domain_error

# A login straight after choosing the password; named, since there may be more than one backend.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class NewMemberForm(TextCheckedForm):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invited = invitation_from_token(token)
    except DomainError as exc:
        status = 410 if exc.code in ("expired", "accepted") else 404
        return render(request, "staff/invitations/closed.html", {"message": exc.message}, status=status)
    context = {"invitation": invited, "login_url": f"{reverse('login')}?next={request.path}"}
    if request.user.is_authenticated:
        context["is_other_user"] = (request.user.email or "").lower() != invited.email.lower()
        if request.method == "POST":
            try:
                membership = invitation_accept(token=token, user=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("staff:invitation", token=token)
            return _welcome(request, membership.company_id, invited.company.name)
        return render(request, "staff/invitations/accept.html", context)
    if user_with_email(invited.email) is not None:
        return render(request, "staff/invitations/log_in_first.html", context)
    form = NewMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = invitation_accept_new_user(
                token=token, name=form.cleaned_data["name"], password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            login(request, new.user, backend=LOGIN_BACKEND)
            return _welcome(request, new.membership.company_id, invited.company.name)
    context["form"] = form
    return render(request, "staff/invitations/new_user.html", context, status=400 if form.errors else 200)


def _welcome(request: HttpRequest, company_id: int, company_name: str) -> HttpResponse:
    request.session[SESSION_KEY] = company_id
    messages.success(request, _("Welcome: you now work for %(company)s.") % {"company": company_name})
    return redirect("staff:home")
