"""Bookkeeping in the staff UI: the settings (the company's accounts, closing and reopening months,
administrators only) and the vouchers of a period with their transactions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from fakturera.bookkeeping import exports, selectors, services
from fakturera.core import xlsx
from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.parties.tenancy import staff_view
from fakturera.staff.forms.bookkeeping import AccountMappingForm, ExportForm, PeriodForm, VoucherFilterForm
from fakturera.staff.forms_errors import add_domain_error
from fakturera.staff.listing import Column, paginate

COLUMNS = [
    Column("number", _l("Voucher"), ("fiscal_year_start", "series", "number")),
    Column("date", _l("Date"), ("date",)),
    Column("text", _l("Text")),
    Column("lines", _l("Transactions")),
]


def _settings(
    request: HttpRequest, form: AccountMappingForm, period_form: PeriodForm, *, status: int = 200
) -> HttpResponse:
    context = {
        "section": "settings",
        "form": form,
        "period_form": period_form,
        "locks": selectors.period_locks(request.company),  # type: ignore[attr-defined]
    }
    return render(request, "staff/bookkeeping/settings.html", context, status=status)


@staff_view(role="admin")
def bookkeeping_settings(request: HttpRequest) -> HttpResponse:
    company = request.company  # type: ignore[attr-defined]
    current = selectors.accounts_of(company.pk)
    form = AccountMappingForm(request.POST if request.method == "POST" else None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_mapping_save(company=company, accounts=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The settings were saved."))
            return redirect("staff:bookkeeping_settings")
    return _settings(request, form, PeriodForm(), status=400 if form.errors else 200)


@require_POST
@staff_view(role="admin")
def period_close(request: HttpRequest) -> HttpResponse:
    return _period_change(request, close=True)


@require_POST
@staff_view(role="admin")
def period_reopen(request: HttpRequest) -> HttpResponse:
    return _period_change(request, close=False)


def _period_change(request: HttpRequest, *, close: bool) -> HttpResponse:
    company = request.company  # type: ignore[attr-defined]
    period_form = PeriodForm(request.POST)
    if period_form.is_valid():
        month = period_form.cleaned_data["month"]
        try:
            if close:
                services.period_lock(company=company, actor=request.user, month=month)
            else:
                services.period_unlock(company=company, actor=request.user, month=month)
        except DomainError as exc:
            add_domain_error(period_form, exc)
        else:
            words = _("%(month)s is closed.") if close else _("%(month)s is open again.")
            messages.success(request, words % {"month": month.strftime("%Y-%m")})
            return redirect("staff:bookkeeping_settings")
    form = AccountMappingForm(initial=selectors.accounts_of(company.pk))
    return _settings(request, form, period_form, status=400)


def _vouchers_page(request: HttpRequest, *, export_form: ExportForm | None = None, status: int = 200) -> HttpResponse:
    form = VoucherFilterForm(request.GET or None) if export_form is None else VoucherFilterForm()
    filters: dict[str, Any] = {}
    if export_form is None and form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    vouchers = selectors.voucher_list(request.company, **filters)  # type: ignore[attr-defined]
    listing = paginate(request, vouchers, columns=COLUMNS, default_sort="number", per_page=50)
    if export_form is None:
        today = timezone.localdate()
        export_form = ExportForm(
            prefix="export",
            initial={
                "date_from": filters.get("date_from") or today.replace(month=1, day=1),
                "date_to": filters.get("date_to") or today.replace(month=12, day=31),
                "what": "sie_4i",
            },
        )
    context = {
        "section": "bookkeeping",
        "form": form,
        # Foreign-currency documents without a rate for their day: not booked, and said so.
        "unbooked": selectors.documents_unbooked(
            request.company,  # type: ignore[attr-defined]
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        ),
        "export_form": export_form,
        "listing": listing,
        "page": listing.page,
    }
    return render(request, "staff/bookkeeping/vouchers.html", context, status=400 if form.errors else status)


@staff_view()
def voucher_list(request: HttpRequest) -> HttpResponse:
    return _vouchers_page(request)


@staff_view()
def voucher_export(request: HttpRequest) -> HttpResponse:
    """The period's SIE file or journal as a download, the same bytes as `fakturera sie` and
    `fakturera journal`; a wrong period shows the vouchers page with the form's errors."""
    if not request.GET:
        return _vouchers_page(request)
    company = request.company  # type: ignore[attr-defined]
    form = ExportForm(request.GET, prefix="export")
    if not form.is_valid():
        return _vouchers_page(request, export_form=form, status=400)
    kind, variant = ExportForm.WHAT[form.cleaned_data["what"]]
    try:
        period = exports.export_check(
            company=company,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            sie_type=variant if kind == "sie" else None,
        )
    except ValidationFailed as exc:
        fields = {"from": "date_from", "to": "date_to", "type": "what"}
        for field, messages in exc.errors.items():
            for message in messages:
                form.add_error(fields.get(field), message)
        return _vouchers_page(request, export_form=form, status=400)
    if kind == "sie":
        user = request.user
        chunks = exports.sie_file(
            company=company,
            period=period,
            sie_type=variant,
            generated_on=timezone.localdate(),
            generated_by=user.get_full_name() or user.get_username(),  # type: ignore[union-attr]
        )
        content_type, filename = "text/plain; charset=IBM437", exports.sie_filename(company, period, variant)
    else:
        chunks = exports.journal_file(company=company, period=period, fmt=variant)
        content_type = xlsx.CONTENT_TYPE if variant == "xlsx" else "text/csv; charset=utf-8"
        filename = exports.journal_filename(company, period, variant)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
