"""Autogiro: mandates on the customer card, the company's Autogiro settings, the runs' files."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fakturera.autogiro import selectors, services
from fakturera.autogiro.models import Mandate, Run
from fakturera.core.errors import DomainError
from fakturera.parties.models import Customer
from fakturera.parties.tenancy import get_for_company, role_allows, staff_view
from fakturera.staff.forms.autogiro import AutogiroSettingsForm, MandateForm, RunForm
from fakturera.staff.forms_errors import add_domain_error
from fakturera.staff.views.customers import render_customer_detail


def customer_url(customer: Customer) -> str:
    return reverse("staff:customer_detail", args=[customer.pk])


@staff_view()
@require_POST
def mandate_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=pk)
    form = MandateForm(request.POST)
    if form.is_valid():
        try:
            services.mandate_add(
                company=request.company, customer=customer, actor=request.user, **form.service_fields()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The Autogiro mandate of %(name)s was added.") % {"name": customer.name})
            return redirect(f"{customer_url(customer)}#autogiro")
    return render_customer_detail(request, customer, mandate_form=form, status=400)


@staff_view()
@require_POST
def mandate_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    mandate = get_for_company(Mandate.objects.select_related("customer"), request.company, pk=pk)
    try:
        services.mandate_cancel(mandate=mandate)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The Autogiro mandate of %(name)s was cancelled.") % {"name": mandate.customer.name}
        )
    return redirect(f"{customer_url(mandate.customer)}#autogiro")


def _overview(
    request: HttpRequest, settings_form: AutogiroSettingsForm | None, run_form: RunForm | None, status: int
) -> HttpResponse:
    company = request.company
    found = selectors.autogiro_settings_of(company)
    if settings_form is None:
        initial = {"customer_number": found.customer_number, "bankgiro": found.bankgiro} if found else {
            "bankgiro": company.bankgiro,
        }  # fmt: skip
        settings_form = AutogiroSettingsForm(initial=initial)
    context = {
        "section": "settings",
        "autogiro_settings": found,
        "settings_form": settings_form,
        "run_form": run_form or RunForm(),
        "waiting": selectors.payment_orders_waiting(company=company),
        "runs": selectors.runs_of(company=company),
        "is_admin": role_allows(request.company_role, "admin"),
    }
    return render(request, "staff/autogiro/overview.html", context, status=status)


@staff_view()
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request, None, None, 200)


@staff_view(role="admin")
@require_POST
def settings_save(request: HttpRequest) -> HttpResponse:
    form = AutogiroSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.autogiro_settings_save(company=request.company, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The Autogiro settings were saved."))
            return redirect("staff:autogiro")
    return _overview(request, form, None, 400)


@staff_view()
@require_POST
def run_create(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            services.payment_order_file(request.company, form.cleaned_data["run_on"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The payment-order file for %(date)s is ready to download.") % {
                "date": f"{form.cleaned_data['run_on']:%Y-%m-%d}",
            })  # fmt: skip
            return redirect("staff:autogiro")
    return _overview(request, None, form, 400)


@staff_view()
def run_file(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_for_company(Run, request.company, pk=pk)
    response = HttpResponse(bytes(run.content), content_type="text/plain; charset=iso-8859-1")
    response["Content-Disposition"] = f'attachment; filename="{run.filename}"'
    return response
