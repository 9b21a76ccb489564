"""Recurring invoices (seed 002, "Repeterande faktura"): the overview with each one's
next date, create and change with a preview of the next twelve months, delete (stop),
Generate now, the orders waiting to be invoiced (adjust one, invoice one, or invoice
the ticked ones at once), and the notice and period text settings.

An order is an invoice draft generated for one date: "adjust" is the draft's edit
page, invoicing it issues it as any draft is issued.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fakturera.core.errors import DomainError
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoice_issue, invoices_issue_drafts
from fakturera.parties.models import Company, Customer
from fakturera.parties.services import company_update
from fakturera.parties.tenancy import get_for_company, role_allows, staff_view
from fakturera.recurring import selectors, services
from fakturera.recurring.models import RecurringInvoice
from fakturera.staff.forms.invoices import add_draft_error, draft_lines
from fakturera.staff.forms.recurring import (
    NewRecurringLineFormSet,
    NoticeForm,
    OrdersInvoiceForm,
    PeriodTextForm,
    RecurringForm,
    RecurringLineForm,
    RecurringLineFormSet,
)
from fakturera.staff.forms_errors import add_domain_error

ORDERS_PAGE_SIZE = 100


@require_GET
@staff_view()
def recurring_list(request: HttpRequest) -> HttpResponse:
    company = request.company
    today = timezone.localdate()
    return render(
        request,
        "staff/recurring/list.html",
        {
            "section": "recurring",
            "recurring_invoices": selectors.recurring_list(company=company),
            "due_count": selectors.recurring_due_count(company=company, today=today),
            "order_count": selectors.recurring_orders(company=company).count(),
            "today": today,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view(role="accountant")
def recurring_create(request: HttpRequest) -> HttpResponse:
    company = request.company
    data = request.POST if request.method == "POST" else None
    wanted = request.GET.get("customer", "")
    customer = get_for_company(Customer, company, pk=int(wanted)) if wanted.isdigit() else None
    form = RecurringForm(data, company=company, initial={"customer": customer.pk} if customer else {})
    formset = NewRecurringLineFormSet(data, prefix="lines", form_kwargs={"company": company})
    return _edit(request, form, formset, None, customer)


@require_http_methods(["GET", "POST"])
@staff_view()
def recurring_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = request.company
    recurring_invoice = _detail(request, pk)
    data = request.POST if request.method == "POST" else None
    form = RecurringForm(data, company=company, recurring_invoice=recurring_invoice)
    formset = RecurringLineFormSet(
        data,
        prefix="lines",
        form_kwargs={"company": company},
        initial=[RecurringLineForm.initial_for(line) for line in recurring_invoice.lines.select_related("product")],
    )
    return _edit(request, form, formset, recurring_invoice, recurring_invoice.customer)


def _edit(
    request: HttpRequest,
    form: RecurringForm,
    formset: Any,
    recurring_invoice: RecurringInvoice | None,
    customer: Customer | None,
) -> HttpResponse:
    """Save, or (action=preview) show the orders of the next twelve months without saving:
    for htmx the preview panel only, otherwise the whole page with it."""
    company = request.company
    preview = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows, lines = draft_lines(formset)
        try:
            if request.POST.get("action") == "preview":
                preview = services.recurring_preview(
                    company=company,
                    lines=lines,
                    currency=form.header()["currency"],
                    today=timezone.localdate(),
                    recurring_invoice=recurring_invoice,
                )
            elif recurring_invoice is None:
                recurring_invoice = services.recurring_create(
                    company=company,
                    customer=form.cleaned_data["customer"],
                    actor=request.user,
                    lines=lines,
                    **form.header(),
                )
                messages.success(request, _("The recurring invoice was saved."))
                return redirect("staff:recurring_edit", pk=recurring_invoice.pk)
            else:
                services.recurring_update(
                    recurring_invoice=recurring_invoice, actor=request.user, lines=lines, **form.header()
                )
                messages.success(request, _("The recurring invoice was saved."))
                return redirect("staff:recurring_edit", pk=recurring_invoice.pk)
        except DomainError as exc:
            add_draft_error(form, rows, exc)
    context = {
        "section": "recurring",
        "form": form,
        "formset": formset,
        "recurring_invoice": recurring_invoice,
        "customer": customer,
        "preview": preview,
        "preview_currency": form.cleaned_data.get("currency") if form.is_bound and form.is_valid() else None,
        "is_preview": request.POST.get("action") == "preview",
    }
    if recurring_invoice is not None:
        context["generated"] = selectors.recurring_generated(company=company, recurring_invoice=recurring_invoice)
    status = 400 if form.errors or any(formset.errors) else 200
    if request.htmx and request.POST.get("action") == "preview":
        # The panel shows the refusals too; the page keeps what was typed.
        return render(request, "staff/recurring/_preview.html", context)
    return render(request, "staff/recurring/form.html", context, status=status)


@require_POST
@staff_view()
def recurring_delete(request: HttpRequest, pk: int) -> HttpResponse:
    recurring_invoice = _detail(request, pk)
    try:
        services.recurring_delete(recurring_invoice=recurring_invoice, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The recurring invoice of %(customer)s was deleted; the orders it made stay.")
            % {"customer": recurring_invoice.customer.name},
        )
    return redirect("staff:recurring_list")


@require_POST
@staff_view()
def recurring_generate(request: HttpRequest) -> HttpResponse:
    result = services.recurring_generate(company=request.company, today=timezone.localdate(), actor=request.user)
    if result.orders:
        messages.success(
            request,
            ngettext(
                "%(orders)s order was generated; invoice it below.",
                "%(orders)s orders were generated; invoice them below.",
                result.orders,
            )
            % {"orders": result.orders},
        )
    else:
        messages.info(request, _("Nothing is ready for generation."))
    return redirect("staff:recurring_orders")


@require_GET
@staff_view()
def recurring_orders(request: HttpRequest) -> HttpResponse:
    orders = selectors.recurring_orders(company=request.company)
    page = Paginator(orders, ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/recurring/orders.html",
        {"section": "recurring", "page": page, "form": OrdersInvoiceForm()},
    )


@require_POST
@staff_view()
def recurring_orders_invoice(request: HttpRequest) -> HttpResponse:
    """Invoice one order (invoice_issue), the ticked ones or all of them (one batch)."""
    company = request.company
    form = OrdersInvoiceForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("staff:recurring_orders")
    issued_on = form.cleaned_data["issued_on"]
    try:
        if form.cleaned_data.get("only"):
            order = get_for_company(Invoice, company, pk=form.cleaned_data["only"], recurring_invoice__isnull=False)
            invoices = [invoice_issue(invoice=order, actor=request.user, issued_on=issued_on)]
        else:
            if form.cleaned_data.get("scope") == "all":
                ids = list(selectors.recurring_orders(company=company).values_list("pk", flat=True))
            else:
                ids = list(
                    selectors.recurring_orders(company=company)
                    .filter(pk__in=form.cleaned_data["order"])
                    .values_list("pk", flat=True)
                )
            if not ids:
                messages.error(request, _("Tick the orders to invoice first."))
                return redirect("staff:recurring_orders")
            invoices = invoices_issue_drafts(company=company, actor=request.user, invoice_ids=ids, issued_on=issued_on)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:recurring_orders")
    numbers = [invoice.display_number for invoice in invoices]
    messages.success(
        request,
        ngettext(
            "Invoice %(numbers)s was issued.",
            "%(count)s invoices were issued: %(first)s to %(last)s.",
            len(invoices),
        )
        % {"numbers": numbers[0], "count": len(numbers), "first": numbers[0], "last": numbers[-1]},
    )
    if len(invoices) == 1:
        return redirect("staff:invoice_detail", pk=invoices[0].pk)
    return redirect("staff:recurring_orders")


@require_http_methods(["GET", "POST"])
@staff_view(write=False)
def recurring_settings(request: HttpRequest) -> HttpResponse:
    """Everyone chooses their own notice; administrators set the company's period text."""
    company = request.company
    is_admin = role_allows(request.company_role, "admin")
    action = request.POST.get("action") if request.method == "POST" else None
    notice_form = NoticeForm(
        request.POST if action == "notice" else None,
        initial={"kind": selectors.recurring_notice_kind(company=company, user=request.user)},
    )
    # A fresh row, so a refused save cannot leave changed values on request.company.
    fresh = Company.objects.get(pk=company.pk)
    period_form = PeriodTextForm(request.POST if action == "period" else None, company=fresh)
    status = 200
    if action == "notice" and notice_form.is_valid():
        services.recurring_notice_set(company=company, user=request.user, kind=notice_form.cleaned_data["kind"])
        messages.success(request, _("Your notice setting was saved."))
        return redirect("staff:recurring_settings")
    if action == "period":
        if not is_admin:
            raise PermissionDenied(_("Your role in this company does not allow this."))
        if period_form.is_valid():
            try:
                with transaction.atomic():
                    company_update(company=fresh, **period_form.cleaned_data)
            except DomainError as exc:
                add_domain_error(period_form, exc)
            else:
                messages.success(request, _("The period text was saved."))
                return redirect("staff:recurring_settings")
    if notice_form.errors or period_form.errors:
        status = 400
    context = {"section": "recurring", "notice_form": notice_form, "period_form": period_form, "is_admin": is_admin}
    return render(request, "staff/recurring/settings.html", context, status=status)


def _detail(request: HttpRequest, pk: int) -> RecurringInvoice:
    try:
        return selectors.recurring_detail(company=request.company, pk=pk)
    except RecurringInvoice.DoesNotExist:
        raise Http404 from None
