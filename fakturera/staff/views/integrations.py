"""Settings → API (administrators only): API keys (the secret shown once, then only
its prefix), webhook endpoints, a test event, and each delivery with its attempts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from fakturera.core.errors import DomainError
from fakturera.core.text import TextCheckedForm
from fakturera.parties.keys import api_key_create, api_key_enable, api_key_revoke, api_keys_of
from fakturera.parties.models import ApiKey
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms_errors import add_domain_error
from fakturera.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from fakturera.webhooks.services import (
    SUBSCRIBABLE_EVENTS,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_test_send,
)

DELIVERIES_PER_PAGE = 25


class ApiKeyForm(TextCheckedForm):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Which system uses the key, such as “Fortnox export”."),
    )
    is_read_only = forms.BooleanField(
        label=gettext_lazy("Read-only"), required=False, help_text=gettext_lazy("The key may read but not change.")
    )


class EndpointForm(TextCheckedForm):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(event.value, event.label) for event in SUBSCRIBABLE_EVENTS],
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    new_secret = forms.BooleanField(
        label=gettext_lazy("New signing secret"),
        required=False,
        help_text=gettext_lazy("The receiver must then check signatures with the new secret."),
    )


@require_http_methods(["GET", "POST"])
@staff_view(role="admin")
def api_settings(request: HttpRequest) -> HttpResponse:
    company = request.company
    form = ApiKeyForm(request.POST if request.POST.get("action") == "create" else None)
    new_token = None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "revoke":
        key = get_for_company(ApiKey, company, pk=request.POST.get("key"))
        try:
            api_key_revoke(key=key)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The key “%(name)s” was revoked.") % {"name": key.name})
        return redirect("staff:integrations")
    if request.method == "POST" and request.POST.get("action") == "enable":
        key = get_for_company(ApiKey, company, pk=request.POST.get("key"))
        try:
            api_key_enable(key=key, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The key “%(name)s” works again.") % {"name": key.name})
        return redirect("staff:integrations")
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(
                company=company,
                name=form.cleaned_data["name"],
                actor=request.user,
                is_read_only=form.cleaned_data["is_read_only"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            # Rendered, not redirected: the secret exists only in this response.
            new_token = created.token
            form = ApiKeyForm()
    if form.errors or (request.method == "POST" and new_token is None):
        status = 400
    context = {
        "section": "settings",
        "form": form,
        "new_token": new_token,
        "keys": api_keys_of(company),
        "endpoints": WebhookEndpoint.objects.filter(company=company),
        "event_labels": dict(WebhookEvent.choices),
    }
    response = render(request, "staff/integrations/api.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@staff_view(role="admin")
def endpoint_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    company = request.company
    endpoint = get_for_company(WebhookEndpoint, company, pk=pk) if pk is not None else None
    initial = (
        {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
        if endpoint
        else {"events": [event.value for event in SUBSCRIBABLE_EVENTS], "is_active": True}
    )
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if endpoint is None:
                endpoint = webhook_endpoint_create(
                    company=company, url=data["url"], events=data["events"], is_active=data["is_active"]
                )
            else:
                webhook_endpoint_update(
                    endpoint=endpoint,
                    url=data["url"],
                    events=data["events"],
                    is_active=data["is_active"],
                    new_secret=data["new_secret"],
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The webhook endpoint was saved."))
            return redirect("staff:webhook_edit", pk=endpoint.pk)
    context = {"section": "settings", "form": form, "endpoint": endpoint}
    return render(request, "staff/integrations/endpoint_form.html", context, status=400 if form.errors else 200)


@require_POST
@staff_view(role="admin")
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_for_company(WebhookEndpoint, request.company, pk=pk)
    webhook_test_send(endpoint=endpoint)
    messages.success(request, _("A test event was queued; it appears below once the worker has sent it."))
    return redirect("staff:webhook_deliveries", pk=endpoint.pk)


@staff_view(role="admin")
def endpoint_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_for_company(WebhookEndpoint, request.company, pk=pk)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related(
        Prefetch("attempt_log", WebhookAttempt.objects.order_by("at", "pk"))
    )
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"section": "settings", "endpoint": endpoint, "page": page, "event_labels": dict(WebhookEvent.choices)}
    return render(request, "staff/integrations/deliveries.html", context)
