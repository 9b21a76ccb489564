"""The public pages: the registration form of an occurrence and the manager's approval
link. No login; CSRF on every POST, a honeypot field and a rate limit per address."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fakturera.core.errors import DomainError
from fakturera.courses import services
from fakturera.courses.models import RegistrationForm
from fakturera.courses.selectors import registration_form_for_token
from fakturera.courses.states import RegistrationStatus
from fakturera.public.forms import HONEYPOT, PublicRegistrationForm
from fakturera.public.ratelimit import is_rate_limited
from fakturera.staff.forms_errors import add_domain_error

PUBLIC_LANGUAGES = ("sv", "en")


def _language(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("lang") or request.GET.get("lang") or default
    return wanted if wanted in PUBLIC_LANGUAGES else "sv"


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, token: str) -> HttpResponse:
    config = registration_form_for_token(token)
    if config is None:
        raise Http404
    occurrence = config.occurrence
    language = _language(request, occurrence.language)
    with translation.override(language):
        context = {
            "config": config,
            "occurrence": occurrence,
            "company": config.company,
            "lang": language,
            "languages": [("sv", "Svenska"), ("en", "English")],
            "switch_url": reverse("course_register", args=[token]),
        }
        if not config.is_open:
            return render(request, "public/closed.html", context)
        form = PublicRegistrationForm(request.POST or None, config=config)
        if request.method == "POST":
            if is_rate_limited(request, scope="register"):
                context["form"] = form
                return render(request, "public/limited.html", context, status=429)
            if form.is_valid():
                thanks = reverse("course_register_thanks", args=[token]) + f"?lang={language}"
                if form.cleaned_data.get(HONEYPOT):
                    # A bot: it sees what a person sees, and nothing is stored.
                    return redirect(thanks + "&approval=0")
                try:
                    registration = services.registration_submit(form=config, language=language, **form.submitted())
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    waiting = registration.status == RegistrationStatus.AWAITING_APPROVAL
                    return redirect(thanks + f"&approval={int(waiting)}")
        context["form"] = form
        return render(request, "public/form.html", context, status=400 if form.errors else 200)


def register_thanks(request: HttpRequest, token: str) -> HttpResponse:
    config = get_object_or_404(RegistrationForm.objects.select_related("occurrence__course", "company"), token=token)
    language = _language(request, config.occurrence.language)
    with translation.override(language):
        context = {
            "config": config,
            "occurrence": config.occurrence,
            "company": config.company,
            "lang": language,
            "is_waiting": request.GET.get("approval") == "1",
        }
        return render(request, "public/thanks.html", context)


@require_http_methods(["GET", "POST"])
def approval(request: HttpRequest, token: str) -> HttpResponse:
    """The manager's link. GET only shows the registration (mail scanners follow links);
    the decision is a POST."""
    try:
        registration = services.registration_from_approval_token(token)
    except DomainError as exc:
        return render(request, "public/approval.html", {"problem": exc.message, "lang": "sv"}, status=400)
    language = registration.language if registration.language in PUBLIC_LANGUAGES else "sv"
    with translation.override(language):
        context = {"registration": registration, "occurrence": registration.occurrence, "lang": language,
                   "company": registration.company, "max_age_days": settings.COURSE_APPROVAL_MAX_AGE_DAYS}  # fmt: skip
        if request.method == "POST":
            decision = request.POST.get("decision")
            if decision not in ("approve", "decline"):
                context["problem"] = _("Choose approve or decline.")
                return render(request, "public/approval.html", context, status=400)
            try:
                registration = services.registration_decide(token=token, is_approved=decision == "approve")
            except DomainError as exc:
                context["problem"] = exc.message
                return render(request, "public/approval.html", context, status=409)
            context["registration"] = registration
            context["decided"] = decision
        return render(request, "public/approval.html", context)
