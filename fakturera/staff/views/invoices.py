"""Invoices and credit notes: the list, the invoice page with its history, drafts
(create, edit, delete, issue) and crediting.

An issued invoice is never changed or deleted (Bokföringslagen 5 kap.): the pages
offer no such action for it, and a POST that tries anyway is refused by the
service (StateConflict) with its message, changing nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from fakturera.core.errors import DomainError
from fakturera.distribution import selectors as distribution_selectors
from fakturera.invoicing import selectors, services
from fakturera.invoicing.history import describe, detail_rows, kind_label
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.rules import credit_refusal, figures, figures_cash_discount
from fakturera.parties.models import PdfTemplate
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.payments import selectors as payment_selectors
from fakturera.staff.forms.invoices import (
    CreditForm,
    DraftForm,
    DraftLineForm,
    DraftLineFormSet,
    InvoiceFilterForm,
    IssueForm,
    NewDraftLineFormSet,
    add_draft_error,
    draft_lines,
)
from fakturera.staff.forms.payments import RegisterPaymentForm
from fakturera.staff.forms_errors import add_domain_error
from fakturera.staff.listing import Column, paginate
from fakturera.staff.views.collections import invoice_reminders_context

PAGE_SIZE = 50
INVOICE_COLUMNS = [
    Column("number", _l("Number"), ("number",)),
    Column("customer", _l("Customer"), ("customer__name",)),
    Column("issued", _l("Invoice date"), ("issued_on", "number")),
    Column("due", _l("Due date"), ("due_on",)),
    Column("status", _l("Status"), ("status",)),
    Column("sending", _l("Sending")),
    Column("payment", _l("Payment"), ("payment_state",)),
    Column("open", _l("Open"), ("open_amount",), css="num"),
    Column("total", _l("Total"), ("total_amount",), css="num"),
]


@require_GET
@staff_view()
def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None, company=request.company)
    invoices = payment_selectors.invoices_with_payment_state(selectors.invoice_list(company=request.company))
    if form.is_bound and form.is_valid():
        invoices = form.matching(company=request.company)
    listing = paginate(
        request,
        invoices,
        columns=INVOICE_COLUMNS,
        default_sort="-issued",
        per_page=PAGE_SIZE,
        totals=selectors.invoice_list_totals,
    )
    shown = listing.rows
    sendings = distribution_selectors.sendings(company=request.company, invoice_ids=[i.pk for i in shown])
    rows = [(invoice, sendings[invoice.pk]) for invoice in shown]
    query = request.GET.copy()
    query.pop("page", None)
    # "Send all N matching" counts what Send takes: the issued ones (staff/views/distribution.py).
    sendable = invoices.filter(status="issued").count()
    return render(
        request,
        "staff/invoices/list.html",
        {
            "section": "invoices",
            "form": form,
            "page": listing.page,
            "listing": listing,
            "rows": rows,
            "query": query.urlencode(),
            "sendable": sendable,
            "open_totals": payment_selectors.open_amount_totals(invoices),
        },
    )


@require_GET
@staff_view()
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _detail(request, pk)
    return render(request, "staff/invoices/detail.html", _detail_context(invoice, tab="invoice"))


@require_GET
@staff_view()
def history(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _detail(request, pk)
    context = _detail_context(invoice, tab="history")
    if request.htmx:
        return render(request, "staff/invoices/_history.html", {**context, "out_of_band": True})
    return render(request, "staff/invoices/detail.html", context)


@require_http_methods(["GET", "POST"])
@staff_view(role="accountant")
def draft_create(request: HttpRequest) -> HttpResponse:
    company = request.company
    data = request.POST if request.method == "POST" else None
    form = DraftForm(data, company=company, initial=_initial_customer(request))
    formset = NewDraftLineFormSet(data, prefix="lines", form_kwargs={"company": company})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows, lines = draft_lines(formset)
        try:
            invoice = services.invoice_create_draft(
                company=company,
                customer=form.cleaned_data["customer"],
                actor=request.user,
                lines=lines,
                **form.header(),
            )
        except DomainError as exc:
            add_draft_error(form, rows, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("staff:invoice_detail", pk=invoice.pk)
    return render(
        request,
        "staff/invoices/draft_form.html",
        {"section": "invoices", "form": form, "formset": formset, "invoice": None},
    )


@require_http_methods(["GET", "POST"])
@staff_view(role="accountant")
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = request.company
    invoice = get_for_company(Invoice.objects.select_related("customer"), company, pk=pk)
    if not invoice.is_draft:
        # Refused before any form is read: nothing about an issued invoice is editable.
        messages.error(request, _locked_message(invoice))
        return redirect("staff:invoice_detail", pk=invoice.pk)
    if request.method == "GET":
        form = DraftForm(company=company, invoice=invoice)
        formset = DraftLineFormSet(
            prefix="lines",
            form_kwargs={"company": company},
            initial=[DraftLineForm.initial_for(line) for line in invoice.lines.all()],
        )
    else:
        form = DraftForm(request.POST, company=company, invoice=invoice)
        formset = DraftLineFormSet(
            request.POST,
            prefix="lines",
            form_kwargs={"company": company},
            initial=[DraftLineForm.initial_for(line) for line in invoice.lines.all()],
        )
        if form.is_valid() and formset.is_valid():
            rows, lines = draft_lines(formset)
            try:
                services.invoice_update_draft(invoice=invoice, actor=request.user, lines=lines, **form.header())
            except DomainError as exc:
                add_draft_error(form, rows, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("staff:invoice_detail", pk=invoice.pk)
    return render(
        request,
        "staff/invoices/draft_form.html",
        {"section": "invoices", "form": form, "formset": formset, "invoice": invoice},
    )


@require_http_methods(["GET", "POST"])
@staff_view(role="accountant")
def draft_issue(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_company(Invoice.objects.select_related("customer"), request.company, pk=pk)
    form = IssueForm(request.POST or None)
    # An issued invoice's POST goes to the service whatever the form says, to be refused there.
    if request.method == "POST" and (form.is_valid() or not invoice.is_draft):
        try:
            issued = services.invoice_issue(
                invoice=invoice, actor=request.user, issued_on=form.cleaned_data.get("issued_on")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("staff:invoice_detail", pk=invoice.pk)
        messages.success(request, _("Invoice %(n)s issued.") % {"n": issued.display_number})
        return redirect("staff:invoice_detail", pk=invoice.pk)
    if request.method == "GET" and not invoice.is_draft:
        messages.error(request, _locked_message(invoice))
        return redirect("staff:invoice_detail", pk=invoice.pk)
    context = _detail_context(_detail(request, pk), tab="invoice")
    return render(request, "staff/invoices/issue.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
@staff_view(role="accountant")
def draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_company(Invoice.objects.select_related("customer"), request.company, pk=pk)
    if request.method == "POST":
        try:
            services.invoice_delete_draft(invoice=invoice, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("staff:invoice_detail", pk=invoice.pk)
        messages.success(request, _("The draft was deleted."))
        return redirect("staff:invoice_list")
    if not invoice.is_draft:
        messages.error(request, _("An issued invoice cannot be deleted; credit it instead."))
        return redirect("staff:invoice_detail", pk=invoice.pk)
    return render(request, "staff/invoices/delete.html", {"section": "invoices", "invoice": invoice})


@require_http_methods(["GET", "POST"])
@staff_view(role="accountant")
def credit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_company(Invoice.objects.select_related("customer"), request.company, pk=pk)
    refusal = credit_refusal(invoice)
    if refusal:
        messages.error(request, refusal)
        return redirect("staff:invoice_detail", pk=invoice.pk)
    remaining = selectors.credit_remaining(invoice)
    form = CreditForm(request.POST or None, invoice=invoice, remaining=remaining)
    if request.method == "POST" and form.is_valid():
        is_full = "full" in request.POST
        try:
            note = services.credit_note_create(
                invoice=invoice,
                actor=request.user,
                quantities=None if is_full else form.quantities(),
                reason=form.cleaned_data["reason"],
                return_to_basis=form.cleaned_data.get("return_to_basis", False),
            )
        except DomainError as exc:
            add_domain_error(form, exc, aliases=form.aliases())
        else:
            messages.success(
                request,
                _("Credit note %(note)s created for invoice %(n)s.")
                % {"note": note.display_number, "n": invoice.display_number},
            )
            if form.cleaned_data.get("return_to_basis"):
                count = len(note.returned_to_basis)
                messages.info(
                    request,
                    ngettext("%(count)d item is back in the basis.", "%(count)d items are back in the basis.", count)
                    % {"count": count},
                )
            return redirect("staff:invoice_detail", pk=note.pk)
    return render(
        request,
        "staff/invoices/credit.html",
        {"section": "invoices", "invoice": invoice, "form": form, "rows": form.bound_rows()},
    )


# --- helpers ----------------------------------------------------------------------------------------


def _initial_customer(request: HttpRequest) -> dict[str, Any]:
    wanted = request.GET.get("customer", "")
    return {"customer": int(wanted)} if wanted.isdigit() else {}


def _detail(request: HttpRequest, pk: int) -> Invoice:
    try:
        return selectors.invoice_detail(company=request.company, pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None


def _locked_message(invoice: Invoice) -> str:
    return _("Invoice %(n)s is issued and can no longer be changed; credit it instead.") % {"n": invoice.display_number}


def invoice_payment_context(invoice: Invoice, *, form: RegisterPaymentForm | None = None) -> dict[str, Any]:
    """The invoice's payment state, its payments and allocations, and the Register payment form
    (payments' selectors; nothing for a draft or a credit note, which have no receivable)."""
    receivable = payment_selectors.receivable_of_invoice(company=invoice.company, invoice_id=invoice.pk)
    if receivable is None:
        return {"receivable": None}
    return {
        "receivable": receivable,
        "allocations": payment_selectors.invoice_allocations(company=invoice.company, invoice_id=invoice.pk),
        "register_form": form or RegisterPaymentForm(open_amount=receivable.open_amount),
        "reversible_sources": payment_selectors.REVERSIBLE_SOURCES,
        "overdue_days": payment_selectors.days_overdue(receivable, today=timezone.localdate()),
    }


def _detail_context(invoice: Invoice, *, tab: str, payment_form: RegisterPaymentForm | None = None) -> dict[str, Any]:
    lines = list(invoice.lines.all())
    shown = figures(
        invoice, lines, invoice.vat_breakdown.all(), round_to_whole=invoice.company.is_rounding_to_whole_units
    )
    vat_rows = [{"key": v.key, "taxable_amount": v.taxable_amount, "vat_amount": v.vat_amount} for v in shown.vat]
    line_rows = [{"line": line, "amount": amount} for line, amount in zip(lines, shown.line_amounts, strict=True)]
    figures_shown = shown.totals()
    sending = distribution_selectors.invoice_sending(invoice=invoice)
    return {
        "section": "invoices",
        "invoice": invoice,
        "tab": tab,
        "line_rows": line_rows,
        "vat_rows": vat_rows,
        "figures": figures_shown,
        "cash_discount": figures_cash_discount(invoice, shown),
        "credit_notes": list(invoice.credit_notes.all()) if not invoice.is_credit_note else [],
        "events": _events(invoice),
        "can_credit": not credit_refusal(invoice),
        "sending": sending,
        "active_delivery": distribution_selectors.delivery_active(invoice=invoice) if sending.is_on_its_way else None,
        "pdf_templates": PdfTemplate.choices,
        **invoice_payment_context(invoice, form=payment_form),
        **invoice_reminders_context(invoice),
    }


def _events(invoice: Invoice) -> list[Any]:
    """The history, each event worded in the reader's language (invoicing.history)."""
    events = list(invoice.events.all())
    for event in events:
        event.label = kind_label(event.kind)
        event.text = describe(event)
        event.detail_rows = detail_rows(event)
    return events
