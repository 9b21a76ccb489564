"""The basis tab (seed 001, "Underlag"): customers with uninvoiced items, their
items to edit, add or remove, and Register (one, the ticked ones, or all), alone or with
sending by each customer's channel or one chosen channel; a Register that makes several
invoices of one customer (one per project number) says so first.

Item actions answer htmx with the customer's items panel re-rendered, plus the
customer's summary figures and the grand total swapped out of band, so what the
page shows always matches the stored basis. Without htmx they fall back to a
full page of the customer's basis.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fakturera.billables import services
from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.selectors import basis_customers, basis_splits
from fakturera.core.errors import DomainError
from fakturera.distribution import selectors as send_selectors
from fakturera.distribution import services as send_services
from fakturera.distribution.history import channel_label
from fakturera.distribution.models import SendBatch
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.selectors import basis_total_by_currency, basis_with_totals
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.invoicing.states import InvoiceKind
from fakturera.parties.models import Customer
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.basis import (
    BasisItemAddForm,
    BasisItemEditForm,
    RegisteredForm,
    RegisterForm,
)
from fakturera.staff.forms_errors import VAT_ALIASES, add_domain_error
from fakturera.staff.listing import Column, paginate

BASIS_COLUMNS = [
    Column("customer", _l("Customer"), ("customer__name",)),
    Column("items", _l("Items"), ("item_count",), css="num"),
    Column("net", _l("Net"), css="num"),
    Column("vat", _l("VAT"), css="num"),
    Column("total", _l("Total"), ("amount_sum",), css="num"),
]


@require_GET
@staff_view()
def basis(request: HttpRequest) -> HttpResponse:
    """A page of customers at a time, whatever the size of the basis: the customers and
    their count by aggregate, the items of this page's customers only, the grand total
    from plain values (a bounded number of queries; tests/test_basis_scale.py)."""
    company = request.company
    listing = paginate(
        request,
        basis_customers(company=company),
        columns=BASIS_COLUMNS,
        default_sort="customer",
        tie_breaker="customer_id",
    )
    customer_ids = [row["customer_id"] for row in listing.rows]
    by_customer = {group.customer.pk: group for group in basis_with_totals(company=company, customer_ids=customer_ids)}
    return render(
        request,
        "staff/basis/basis.html",
        {
            "section": "basis",
            "listing": listing,
            "groups": [by_customer[pk] for pk in customer_ids if pk in by_customer],
            "grand_totals": basis_total_by_currency(company=company),
            "register_form": RegisterForm(active=send_selectors.company_channels(company=company).active),
        },
    )


@require_GET
@staff_view()
def customer_items(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=customer_pk)
    return _items_response(request, customer)


@require_POST
@staff_view()
def item_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=customer_pk)
    form = BasisItemAddForm(request.POST, company=request.company, prefix="add")
    if form.is_valid():
        try:
            services.basis_item_add(
                company=request.company, customer=customer, actor=request.user, **form.service_fields()
            )
        except DomainError as exc:
            add_domain_error(form, exc, aliases=VAT_ALIASES)
        else:
            return _items_response(request, customer, changed=True)
    return _items_response(request, customer, add_form=form)


@require_http_methods(["GET", "POST"])
@staff_view()
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_for_company(BasisItem.objects.select_related("customer"), request.company, pk=pk)
    if item.status != BasisItemStatus.OPEN:
        return _gone(request, item.customer)
    prefix = f"item-{item.pk}"
    if request.method == "GET":
        form = BasisItemEditForm(
            initial=BasisItemEditForm.initial_for(item),
            company=request.company,
            prefix=prefix,
            form_id=f"basis-edit-{item.pk}",
        )
        return _items_response(request, item.customer, editing=item.pk, edit_form=form)
    form = BasisItemEditForm(request.POST, company=request.company, prefix=prefix, form_id=f"basis-edit-{item.pk}")
    if form.is_valid():
        try:
            services.basis_item_update(item=item, **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc, aliases=VAT_ALIASES)
        else:
            return _items_response(request, item.customer, changed=True)
    return _items_response(request, item.customer, editing=item.pk, edit_form=form)


@require_POST
@staff_view()
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_for_company(BasisItem.objects.select_related("customer"), request.company, pk=pk)
    try:
        services.basis_item_remove(item=item)
    except DomainError as exc:
        return _items_response(request, item.customer, problem=exc.message)
    return _items_response(request, item.customer, changed=True)


@require_POST
@staff_view()
def register(request: HttpRequest) -> HttpResponse:
    """Register, or Register & send, in one step: invoicing registers (its own transaction),
    then distribution queues the new invoices with its routing and undo window. A send that
    cannot queue an invoice leaves it registered and says why (basis_registered)."""
    form = RegisterForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("staff:basis")
    customer_ids = form.customer_ids()
    if customer_ids == []:
        messages.error(request, _("Tick the customers to register, or press “Register all”."))
        return redirect("staff:basis")
    if not form.cleaned_data["confirmed"]:
        splits = basis_splits(company=request.company, customer_ids=customer_ids)
        if splits:
            # Before it runs: who gets more than one invoice, and why.
            return render(
                request,
                "staff/basis/confirm.html",
                {"section": "basis", "form": form, "splits": splits, "customer_ids": form.cleaned_data["customer"]},
            )
    try:
        invoices = invoices_register_from_basis(
            company=request.company,
            actor=request.user,
            customer_ids=customer_ids,
            issued_on=form.cleaned_data["issued_on"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:basis")
    first, last = invoices[0], invoices[-1]
    messages.success(request, _registered_text(invoices))
    query = {"number_from": first.number, "number_to": last.number}
    channel = form.channel()
    if channel is None:
        query = urlencode({"kind": "invoice", **query})
        return redirect(f"{reverse('staff:invoice_list')}?{query}")
    try:
        batch = send_services.invoices_send(
            company=request.company, actor=request.user, invoice_ids=[i.pk for i in invoices], channel=channel
        )
    except DomainError as exc:
        # Registered stays registered: the invoices wait, unsent, to be sent from the list.
        messages.error(
            request, _("The invoices are registered but were not sent: %(reason)s") % {"reason": exc.message}
        )
    else:
        query["send"] = batch.pk
        counts = send_selectors.batch_channel_counts(batch=batch)
        if counts:
            messages.success(
                request,
                _("Waiting to be sent: %(counts)s.")
                % {"counts": ", ".join(f"{n} {channel_label(code)}" for code, n in counts.items())},
            )
        if batch.unsent_count:
            messages.warning(
                request,
                ngettext(
                    "%(count)d invoice could not be sent; it is registered and listed below with the reason.",
                    "%(count)d invoices could not be sent; they are registered and listed below with the reason.",
                    batch.unsent_count,
                )
                % {"count": batch.unsent_count},
            )
    return redirect(f"{reverse('staff:basis_registered')}?{urlencode(query)}")


def _registered_text(invoices: list[Any]) -> str:
    first, last = invoices[0], invoices[-1]
    if len(invoices) == 1:
        text = _("1 invoice registered (number %(first)s).") % {"first": first.display_number}
    else:
        text = ngettext(
            "%(count)d invoice registered (numbers %(first)s–%(last)s).",
            "%(count)d invoices registered (numbers %(first)s–%(last)s).",
            len(invoices),
        ) % {"count": len(invoices), "first": first.display_number, "last": last.display_number}
    # Customers whose basis became several invoices: which ones each got.
    by_customer: dict[int, list[Any]] = defaultdict(list)
    for invoice in invoices:
        by_customer[invoice.customer_id].append(invoice)
    split = [pk for pk, group in by_customer.items() if len(group) > 1]
    names = dict(Customer.objects.filter(pk__in=split[:SPLITS_NAMED]).values_list("pk", "name"))
    for customer_id, name in sorted(names.items(), key=lambda pair: pair[1]):
        text += " " + _("%(name)s: %(numbers)s.") % {
            "name": name,
            "numbers": ", ".join(_invoice_label(invoice) for invoice in by_customer[customer_id]),
        }
    if len(split) > SPLITS_NAMED:
        text += " …"
    return text


# A message names at most this many customers who got several invoices (the list has them all).
SPLITS_NAMED = 10


def _invoice_label(invoice: Any) -> str:
    if invoice.buyer_reference:
        return _("%(number)s (project %(reference)s)") % {
            "number": invoice.display_number,
            "reference": invoice.buyer_reference,
        }
    return str(invoice.display_number)


SHOWN_REGISTERED = 500


@require_GET
@staff_view()
def registered(request: HttpRequest) -> HttpResponse:
    """What one Register & send made: each customer's invoices, the channel each waits for,
    or why it could not be sent (with the way to send it), and the send's undo page."""
    form = RegisteredForm(request.GET)
    if not form.is_valid():
        return redirect("staff:basis")
    company = request.company
    data = form.cleaned_data
    invoices = list(
        Invoice.objects.filter(
            company=company,
            kind=InvoiceKind.INVOICE,
            number__gte=data["number_from"],
            number__lte=data["number_to"],
        )
        .select_related("customer")
        .order_by("number")[:SHOWN_REGISTERED]
    )
    ids = [invoice.pk for invoice in invoices]
    batch = get_for_company(SendBatch, company, pk=data["send"]) if data.get("send") else None
    deliveries = send_selectors.batch_deliveries_of(batch=batch, invoice_ids=ids) if batch else {}
    # The send's own reasons are written with the time it started, a moment before the batch row.
    since = min((invoice.issued_at for invoice in invoices), default=None)
    reasons = send_selectors.not_sent_reasons(invoice_ids=ids, since=since) if batch and since else {}
    rows = [
        {"invoice": invoice, "delivery": deliveries.get(invoice.pk), "reason": reasons.get(invoice.pk, "")}
        for invoice in invoices
    ]
    unsent = [row["invoice"].pk for row in rows if row["delivery"] is None]
    return render(
        request,
        "staff/basis/registered.html",
        {
            "section": "basis",
            "rows": rows,
            "batch": batch,
            "can_undo": batch is not None and timezone.now() < batch.undo_until and bool(deliveries),
            "send_query": urlencode([("invoice", pk) for pk in unsent]),
            "unsent_count": len(unsent),
            "list_query": urlencode(
                {"kind": "invoice", "number_from": data["number_from"], "number_to": data["number_to"]}
            ),
        },
    )


# --- the customer's items panel -------------------------------------------------------------------


def _items_response(
    request: HttpRequest,
    customer: Customer,
    *,
    add_form: BasisItemAddForm | None = None,
    editing: int | None = None,
    edit_form: BasisItemEditForm | None = None,
    changed: bool = False,
    problem: str = "",
) -> HttpResponse:
    if changed and not request.htmx:
        return redirect("staff:basis_customer", customer_pk=customer.pk)
    company = request.company
    groups = basis_with_totals(company=company, customer_ids=[customer.pk])
    group = groups[0] if groups else None
    currency = group.currency if group else company.default_currency
    if add_form is None:
        add_form = BasisItemAddForm(company=company, prefix="add", initial={"currency": currency})
    rows: list[dict[str, Any]] = []
    if group is not None:
        for item, amount in zip(group.items, group.totals.line_net_amounts, strict=True):
            rows.append({"item": item, "amount": amount})
    context = {
        "section": "basis",
        "customer": customer,
        "group": group,
        "rows": rows,
        "currency": currency,
        "add_form": add_form,
        "editing": editing,
        "edit_form": edit_form,
        "problem": problem,
        # Other figures on the basis page change with this customer's items.
        "out_of_band": changed and request.htmx,
    }
    if context["out_of_band"]:
        context["grand_totals"] = basis_total_by_currency(company=company)
    if request.htmx:
        return render(request, "staff/basis/_customer_items.html", context)
    return render(request, "staff/basis/customer.html", context)


def _gone(request: HttpRequest, customer: Customer) -> HttpResponse:
    return _items_response(
        request, customer, changed=bool(request.htmx), problem=_("This item is no longer in the basis.")
    )
