"""Payments: the list, the unmatched queue with its suggestions, a payment's page (what the bank
gave, how it was matched, its allocations, allocation by hand, giving it to a customer, undo),
a payment registered on the invoice page, the customer card's credit balance (apply, refund)
and the company's payment settings. Each POST calls one payments service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from fakturera.core.errors import DomainError
from fakturera.core.money import format_money, to_decimal
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Customer
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.payments import selectors, services
from fakturera.payments.models import Payment
from fakturera.payments.states import PaymentStatus
from fakturera.payments.wording import match_words
from fakturera.staff.forms.payments import (
    AssignCustomerForm,
    BaseAllocationFormSet,
    PaymentFilterForm,
    PaymentSettingsForm,
    RefundForm,
    RegisterPaymentForm,
    UndoForm,
    allocation_formset,
)
from fakturera.staff.forms_errors import add_domain_error
from fakturera.staff.listing import Column, paginate
from fakturera.staff.views.customers import render_customer_detail
from fakturera.staff.views.invoices import _detail, _detail_context

PAGE_SIZE = 50
PAYMENT_COLUMNS = [
    Column("date", _l("Payment date"), ("booked_on",)),
    Column("payer", _l("Payer"), ("payer_name",)),
    Column("customer", _l("Customer"), ("customer__name",)),
    Column("reference", _l("Reference"), ("reference",)),
    Column("method", _l("Method"), ("method",)),
    Column("status", _l("Status"), ("status",)),
    Column("allocated", _l("Allocated"), ("allocated_amount",), css="num"),
    Column("amount", _l("Amount"), ("amount",), css="num"),
]


def _payment(request: HttpRequest, pk: int) -> Payment:
    found = selectors.payment_detail(company=request.company, pk=pk)
    if found is None:
        raise Http404
    return found


# --- lists ------------------------------------------------------------------------------------------


@require_GET
@staff_view()
def payment_list(request: HttpRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET or None)
    filters = form.to_filter() if form.is_bound and form.is_valid() else None
    payments = selectors.payment_list(company=request.company, filters=filters)
    listing = paginate(
        request,
        payments,
        columns=PAYMENT_COLUMNS,
        default_sort="-date",
        per_page=PAGE_SIZE,
        totals=selectors.payment_list_totals,
    )
    context = {"section": "payments", "tab": "all", "form": form, "listing": listing, "page": listing.page}
    return render(request, "staff/payments/list.html", context)


@require_GET
@staff_view()
def payment_queue(request: HttpRequest) -> HttpResponse:
    """The unmatched payments, oldest first, each with its suggestions as they are now."""
    payments = selectors.payment_list(
        company=request.company, filters=selectors.PaymentFilter(status=PaymentStatus.UNMATCHED)
    )
    listing = paginate(
        request,
        payments,
        columns=PAYMENT_COLUMNS,
        default_sort="date",
        per_page=PAGE_SIZE,
        totals=selectors.payment_list_totals,
    )
    rows = listing.rows
    suggestions = selectors.suggestions_of(company=request.company, payments=rows)
    context = {
        "section": "payments",
        "tab": "queue",
        "listing": listing,
        "page": listing.page,
        "rows": [(payment, suggestions.get(payment.pk, [])) for payment in rows],
    }
    return render(request, "staff/payments/queue.html", context)


# --- one payment --------------------------------------------------------------------------------


def _render_payment(
    request: HttpRequest,
    payment: Payment,
    *,
    formset: BaseAllocationFormSet | None = None,
    assign_form: AssignCustomerForm | None = None,
    status: int = 200,
) -> HttpResponse:
    allocations = selectors.payment_allocations(payment=payment)
    suggestions = (
        selectors.suggestions_of(company=request.company, payments=[payment]).get(payment.pk, [])
        if payment.status == PaymentStatus.UNMATCHED
        else []
    )
    context: dict[str, Any] = {
        "section": "payments",
        "payment": payment,
        "match_words": match_words(payment),
        "allocations": allocations,
        "has_live_allocations": selectors.payment_has_live_allocations(allocations),
        "is_reversible": payment.source in selectors.REVERSIBLE_SOURCES,
        "suggestions": suggestions,
        "can_allocate": payment.status in (PaymentStatus.UNMATCHED, PaymentStatus.CREDIT),
        "formset": formset or allocation_formset(company=request.company),
        "assign_form": assign_form or AssignCustomerForm(company=request.company),
        "undo_form": UndoForm(),
    }
    return render(request, "staff/payments/detail.html", context, status=status)


@require_GET
@staff_view()
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_payment(request, _payment(request, pk))


@staff_view()
@require_POST
def payment_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """Allocate by hand: every row in one call of the service, refused whole. From the queue's
    one-click button (`from=queue`) the answer goes back to the queue."""
    payment = _payment(request, pk)
    formset = allocation_formset(request.POST, company=request.company)
    from_queue = request.POST.get("from") == "queue"
    if formset.is_valid():
        try:
            services.payment_allocate(
                company=request.company, actor=request.user, payment_id=payment.pk, allocations=formset.pairs()
            )
        except DomainError as exc:
            if from_queue:
                messages.error(request, exc.message)
                return redirect("staff:payment_queue")
            formset.add_domain_error(exc)
        else:
            messages.success(
                request,
                _("The payment of %(amount)s was allocated.")
                % {"amount": format_money(payment.amount, payment.currency)},
            )
            return redirect(
                "staff:payment_queue" if from_queue else "staff:payment_detail", *([] if from_queue else [pk])
            )
    elif from_queue:
        messages.error(request, _("That invoice can no longer take this payment; open the payment to allocate it."))
        return redirect("staff:payment_queue")
    return _render_payment(request, payment, formset=formset, status=400)


@staff_view()
@require_POST
def payment_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give an unmatched payment to a customer: their credit balance."""
    payment = _payment(request, pk)
    form = AssignCustomerForm(request.POST, company=request.company)
    if form.is_valid():
        customer = form.cleaned_data["customer"]
        try:
            services.payment_assign_customer(
                company=request.company, actor=request.user, payment_id=payment.pk, customer_id=customer.pk
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The payment is now the credit of %(name)s.") % {"name": customer.name})
            return redirect("staff:payment_detail", pk=pk)
    return _render_payment(request, payment, assign_form=form, status=400)


@staff_view()
@require_POST
def payment_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo: a payment registered by hand or by the API is reversed (a reason asked); a bank's
    payment is taken off its invoices and goes back to the queue. `invoice` (an id) returns to
    that invoice's page."""
    payment = _payment(request, pk)
    form = UndoForm(request.POST)
    back = _back_to(request, payment)
    reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
    is_reversal = payment.source in selectors.REVERSIBLE_SOURCES
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    if is_reversal and not reason:
        messages.error(request, _("Give a reason for undoing the payment; nothing was changed."))
        return redirect(back)
    try:
        if is_reversal:
            services.payment_reverse(company=request.company, actor=request.user, payment_id=payment.pk, reason=reason)
        else:
            services.payment_unallocate(
                company=request.company, actor=request.user, payment_id=payment.pk, reason=reason
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The payment was undone.") if is_reversal else _("The payment was taken off and is back in the queue."),
        )
    return redirect(back)


def _back_to(request: HttpRequest, payment: Payment) -> str:
    wanted = request.POST.get("invoice", "")
    if wanted.isdigit() and Invoice.objects.filter(company=request.company, pk=int(wanted)).exists():
        return reverse("staff:invoice_detail", args=[int(wanted)])
    return reverse("staff:payment_detail", args=[payment.pk])


# --- on the invoice page ----------------------------------------------------------------------


@staff_view()
@require_POST
def invoice_payment_register(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _detail(request, pk)
    form = RegisterPaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_register(
                company=request.company,
                actor=request.user,
                amount=data["amount"],
                currency=invoice.currency,
                booked_on=data["booked_on"],
                method=data["method"],
                invoice_id=invoice.pk,
                reference=data["reference"],
                message=data["message"],
            )
        except services.NotFound:
            raise Http404 from None
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("A payment of %(amount)s was registered on invoice %(number)s.")
                % {"amount": format_money(payment.amount, payment.currency), "number": invoice.display_number},
            )
            return redirect(f"{reverse('staff:invoice_detail', args=[invoice.pk])}#payments")
    context = _detail_context(invoice, tab="invoice", payment_form=form)
    return render(request, "staff/invoices/detail.html", context, status=400)


# --- on the customer card -------------------------------------------------------------------------


@staff_view()
@require_POST
def customer_credit_apply(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=pk)
    try:
        services.credit_apply(company=request.company, actor=request.user, customer_id=customer.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The credit balance was put on the customer's open invoices, oldest due first."))
    return redirect(f"{reverse('staff:customer_detail', args=[customer.pk])}#payments")


@staff_view()
@require_POST
def customer_refund(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=pk)
    money = selectors.customer_money(company=request.company, customer_id=customer.pk)
    form = RefundForm(request.POST, currencies=sorted(money.credit) or [request.company.default_currency])
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.credit_refund(
                company=request.company,
                actor=request.user,
                customer_id=customer.pk,
                amount=data["amount"],
                currency=data["currency"],
                refunded_on=data["refunded_on"],
                note=data["note"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("A refund of %(amount)s to %(name)s was recorded.")
                # What the service accepted ("1 250,50" as typed is no Decimal).
                % {
                    "amount": format_money(to_decimal(data["amount"], field="amount", what=""), data["currency"]),
                    "name": customer.name,
                },
            )
            return redirect(f"{reverse('staff:customer_detail', args=[customer.pk])}#payments")
    return render_customer_detail(request, customer, refund_form=form, status=400)


# --- settings --------------------------------------------------------------------------------------


@staff_view(role="admin")
def payment_settings(request: HttpRequest) -> HttpResponse:
    current = services.payment_settings_of(request.company)
    data = request.POST if request.method == "POST" else None
    initial = {"is_applying_credit_automatically": current.is_applying_credit_automatically}
    form = PaymentSettingsForm(data, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.payment_settings_save(
            company=request.company,
            is_applying_credit_automatically=form.cleaned_data["is_applying_credit_automatically"],
        )
        messages.success(request, _("The settings were saved."))
        return redirect("staff:payment_settings")
    context = {"section": "settings", "form": form}
    return render(request, "staff/payments/settings.html", context, status=400 if form.errors else 200)
