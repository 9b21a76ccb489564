"""Settings, Exchange rates (administrators): the company's rates, one typed by hand, the
Riksbank's file imported, a mistaken one removed. Each POST calls one invoicing service."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fakturera.core.errors import DomainError
from fakturera.invoicing.models import ExchangeRate
from fakturera.invoicing.rules import EXCHANGE_RATE_MAX_AGE_DAYS
from fakturera.invoicing.selectors import exchange_rate_list
from fakturera.invoicing.services import (
    RateIn,
    exchange_rate_delete,
    exchange_rates_import_riksbank,
    exchange_rates_save,
)
from fakturera.parties.tenancy import staff_view
from fakturera.staff.forms.exchange_rates import ExchangeRateForm, RiksbankFileForm
from fakturera.staff.forms_errors import add_domain_error

# The newest rates shown; older ones stay stored (issued invoices keep their own copy anyway).
SHOWN = 90


@staff_view(role="admin")
def exchange_rates(request: HttpRequest) -> HttpResponse:
    company = request.company
    action = request.POST.get("action") if request.method == "POST" else None
    rate_form = ExchangeRateForm(request.POST if action == "add" else None)
    file_form = RiksbankFileForm(request.POST if action == "import" else None, request.FILES or None)
    if action == "add" and rate_form.is_valid():
        data = rate_form.cleaned_data
        try:
            exchange_rates_save(
                company=company, actor=request.user, rates=[RateIn(data["currency"], data["rate_on"], data["rate"])]
            )
        except DomainError as exc:
            add_domain_error(rate_form, exc, aliases={f"rates.0.{name}": name for name in rate_form.fields})
        else:
            messages.success(request, _("The exchange rate was saved."))
            return redirect("staff:exchange_rates")
    elif action == "import" and file_form.is_valid():
        try:
            parsed = exchange_rates_import_riksbank(
                company=company, actor=request.user, content=file_form.cleaned_data["file"].read()
            )
        except DomainError as exc:
            add_domain_error(file_form, exc)
        else:
            count = len(parsed.rates)
            messages.success(
                request, ngettext("%(n)s rate was imported.", "%(n)s rates were imported.", count) % {"n": count}
            )
            return redirect("staff:exchange_rates")
    elif action == "delete":
        try:
            exchange_rate_delete(company=company, rate_id=int(request.POST.get("rate") or 0))
        except (DomainError, ValueError):
            messages.error(request, _("That exchange rate is no longer there."))
        else:
            messages.success(request, _("The exchange rate was removed."))
        return redirect("staff:exchange_rates")
    context = {
        "section": "settings",
        "rate_form": rate_form,
        "file_form": file_form,
        "rates": list(exchange_rate_list(company=company).select_related("created_by")[:SHOWN]),
        "sources": dict(ExchangeRate.Source.choices),
        "max_age_days": EXCHANGE_RATE_MAX_AGE_DAYS,
    }
    status = 400 if rate_form.errors or file_form.errors else 200
    return render(request, "staff/company/exchange_rates.html", context, status=status)
