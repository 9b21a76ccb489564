"""The client portal's pages. A person's login lives in the session under the company, apart
from staff logins (django.contrib.auth is not used): `portal` -> {company id: customer id}."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fakturera.core.errors import DomainError
from fakturera.core.text import TextCheckedForm
from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import document_bytes, document_get
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.portal import selectors, services
from fakturera.portal.mail import portal_language

SESSION_KEY = "portal"


class LoginForm(TextCheckedForm):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _next_path(company: Company, value: str | None) -> str:
    """Only a page of this company's portal: a login link must not send anyone elsewhere."""
    value = value or ""
    prefix = f"/portal/{company.pk}/"
    if value.startswith(prefix) and "//" not in value and "\\" not in value:
        return value
    return ""


def _company(company_id: int) -> Company:
    return get_object_or_404(Company, pk=company_id)


def _logged_in_customer(request: HttpRequest, company: Company) -> Customer | None:
    customer_id = request.session.get(SESSION_KEY, {}).get(str(company.pk))
    if customer_id is None:
        return None
    return Customer.objects.filter(company=company, pk=customer_id, kind=CustomerKind.PERSON).first()


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A logged-in person of this company, in their language; else the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, company_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
        company = _company(company_id)
        customer = _logged_in_customer(request, company)
        if customer is None:
            login = reverse("portal:login", args=[company.pk])
            return redirect(f"{login}?next={request.path}")
        with translation.override(portal_language(customer)):
            return view(request, company, customer, *args, **kwargs)

    return wrapper


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is the client's to invent.
    return request.META.get("REMOTE_ADDR") or None


def login(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company(company_id)
    form = LoginForm(request.POST or None, initial={"next": _next_path(company, request.GET.get("next"))})
    context = {"portal_company": company, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            services.login_link_request(
                company=company,
                email=form.cleaned_data["email"],
                ip_address=_client_ip(request),
                next_path=_next_path(company, form.cleaned_data["next"]),
            )
        except services.TooManyAttempts as exc:
            context["refusal"] = exc.message
            return render(request, "portal/login.html", context, status=429)
        # The same page for every address: whether anyone has it is not told.
        return render(request, "portal/login_sent.html", {**context, "minutes": services.LINK_MINUTES})
    return render(request, "portal/login.html", context, status=400 if form.errors else 200)


def login_link(request: HttpRequest, company_id: int, token: str) -> HttpResponse:
    """GET shows the person a button; POST uses the link. Mail scanners that open links
    (GET) therefore cannot use up a single-use link before the person does."""
    company = _company(company_id)
    context: dict[str, Any] = {"portal_company": company, "next": _next_path(company, request.GET.get("next"))}
    try:
        if request.method == "POST":
            customer = services.login_link_use(company=company, token=token)
        else:
            customer = services.login_link_check(company=company, token=token)
    except DomainError as exc:
        context["refusal"] = exc.message
        return render(request, "portal/link.html", context, status=410)
    if request.method == "POST":
        logins = dict(request.session.get(SESSION_KEY, {}))
        request.session.cycle_key()  # a new session id at login (session fixation)
        logins[str(company.pk)] = customer.pk
        request.session[SESSION_KEY] = logins
        return redirect(
            _next_path(company, request.GET.get("next")) or reverse("portal:invoice_list", args=[company.pk])
        )
    with translation.override(portal_language(customer)):
        return render(request, "portal/link.html", {**context, "customer": customer})


@require_POST
def logout(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company(company_id)
    logins = dict(request.session.get(SESSION_KEY, {}))
    logins.pop(str(company.pk), None)
    request.session[SESSION_KEY] = logins
    return redirect("portal:login", company.pk)


@portal_view
def invoice_list(request: HttpRequest, company: Company, customer: Customer) -> HttpResponse:
    context = {
        "portal_company": company,
        "customer": customer,
        "show_logout": True,
        "invoices": selectors.with_payment_states(
            company=company, invoices=selectors.portal_invoices(company=company, customer=customer)
        ),
    }
    return render(request, "portal/invoice_list.html", context)


@portal_view
def invoice_detail(request: HttpRequest, company: Company, customer: Customer, invoice_id: int) -> HttpResponse:
    invoice = selectors.portal_invoice(company=company, customer=customer, invoice_id=invoice_id)
    selectors.with_payment_states(company=company, invoices=[invoice])
    context = {"portal_company": company, "customer": customer, "invoice": invoice, "show_logout": True}
    return render(request, "portal/invoice_detail.html", context)


@portal_view
def invoice_pdf(request: HttpRequest, company: Company, customer: Customer, invoice_id: int) -> HttpResponse:
    invoice = selectors.portal_invoice(company=company, customer=customer, invoice_id=invoice_id)
    try:
        document = document_get(invoice=invoice, fmt=DocumentFormat.PDF)
    except ValueError:
        raise Http404 from None
    response = HttpResponse(document_bytes(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response
