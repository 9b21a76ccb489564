"""Customers: the list, a person's or an organisation's card, and their forms."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from fakturera.autogiro.selectors import mandates_of_customer
from fakturera.core.errors import DomainError
from fakturera.core.text import search_term
from fakturera.documents.models import InvoiceDocument
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.selectors import basis_with_totals
from fakturera.parties import services
from fakturera.parties.models import Customer, CustomerKind, OrganisationMember
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.payments import selectors as payment_selectors
from fakturera.recurring.selectors import recurring_list
from fakturera.staff.forms.autogiro import MandateForm
from fakturera.staff.forms.customers import CustomerForm, MemberAddForm
from fakturera.staff.forms.payments import RefundForm
from fakturera.staff.forms_errors import add_domain_error
from fakturera.staff.listing import Column, paginate
from fakturera.staff.pickers import customer_search
from fakturera.staff.views.collections import customer_reminders_context

PAGE_SIZE = 25
CUSTOMER_COLUMNS = [
    Column("number", _l("No."), ("number",), css="num"),
    Column("name", _l("Name"), ("name",)),
    Column("kind", _l("Kind"), ("kind", "name")),
    Column("org_number", _l("Organisation number"), ("org_number",)),
    Column("email", _l("E-mail"), ("email",)),
    Column("city", _l("City"), ("city", "name")),
    Column("manager", _l("Relationship manager"), ("relationship_manager__username",)),
]


@staff_view()
def customer_list(request: HttpRequest) -> HttpResponse:
    term = search_term(request.GET.get("q", ""))
    kind = request.GET.get("kind", "")
    qs = Customer.objects.filter(company=request.company).select_related("relationship_manager")
    if kind in CustomerKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    if term:
        qs = customer_search(qs, term)
    listing = paginate(request, qs, columns=CUSTOMER_COLUMNS, default_sort="name", per_page=PAGE_SIZE)
    context = {
        "section": "customers",
        "page": listing.page,
        "listing": listing,
        "q": term,
        "kind": kind,
        "kinds": CustomerKind.choices,
    }
    template = "staff/customers/_table.html" if request.htmx else "staff/customers/list.html"
    return render(request, template, context)


def _kind_or_404(kind: str) -> str:
    if kind not in CustomerKind.values:
        raise Http404
    return kind


def _join_organisation(person: Customer, form: CustomerForm) -> None:
    """The person form's "Add to organisation": a membership, unless the person already is one."""
    organisation = form.cleaned_data.get("organisation")
    if (
        organisation is not None
        and not OrganisationMember.objects.filter(organisation=organisation, person=person).exists()
    ):
        services.organisation_member_add(organisation=organisation, person=person)


@staff_view(role="accountant")
def customer_create(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind_or_404(kind)
    company = request.company
    form = CustomerForm(request.POST or None, company=company, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                customer = services.customer_create(company=company, kind=kind, **form.service_fields())
                _join_organisation(customer, form)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added as customer %(number)s.") % {
                "name": customer.name, "number": customer.number,
            })  # fmt: skip
            return redirect("staff:customer_detail", pk=customer.pk)
    context = {"section": "customers", "form": form, "kind": kind, "customer": None}
    return render(request, "staff/customers/form.html", context, status=400 if form.errors else 200)


@staff_view(role="accountant")
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=pk)
    form = CustomerForm(request.POST or None, company=request.company, kind=customer.kind, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.customer_update(customer=customer, **form.service_fields())
                _join_organisation(customer, form)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The changes to %(name)s were saved.") % {"name": customer.name})
            return redirect("staff:customer_detail", pk=customer.pk)
    context = {"section": "customers", "form": form, "kind": customer.kind, "customer": customer}
    return render(request, "staff/customers/form.html", context, status=400 if form.errors else 200)


def _detail(request: HttpRequest, customer: Customer, member_form: MemberAddForm | None, status: int) -> HttpResponse:
    return render_customer_detail(request, customer, member_form=member_form, status=status)


def render_customer_detail(
    request: HttpRequest,
    customer: Customer,
    *,
    member_form: MemberAddForm | None = None,
    mandate_form: MandateForm | None = None,
    refund_form: RefundForm | None = None,
    status: int = 200,
) -> HttpResponse:
    company = request.company
    basis = next(iter(basis_with_totals(company=company, customer_ids=[customer.pk])), None)
    invoices = (
        Invoice.objects.filter(company=company, customer=customer)
        .select_related("credited_invoice")
        .order_by("-issued_on", "-number", "-pk")
    )
    if customer.is_organisation:
        memberships = customer.members.select_related("person").order_by("person__name")
        if member_form is None:
            member_form = MemberAddForm(organisation=customer)
    else:
        memberships = customer.organisations.select_related("organisation").order_by("organisation__name")
    context = {
        "section": "customers",
        "customer": customer,
        "memberships": memberships,
        "member_form": member_form,
        "basis": basis,
        "basis_rows": list(zip(basis.items, basis.totals.line_net_amounts, strict=True)) if basis else [],
        "invoices": invoices,
        "recurring_invoices": recurring_list(company=company, customer=customer),
        "today": timezone.localdate(),
        "mandates": mandates_of_customer(company=company, customer=customer),
        "mandate_form": mandate_form or MandateForm(),
        # Seed 004: the invoice PDFs are kept with the contact. The bytes stay in the table.
        "documents": InvoiceDocument.objects.filter(company=company, customer=customer)
        .defer("content")
        .select_related("invoice")
        .order_by("-created_at", "-pk"),
        **_payment_context(request, customer, refund_form),
        **customer_reminders_context(customer),
    }
    return render(request, "staff/customers/detail.html", context, status=status)


def _payment_context(request: HttpRequest, customer: Customer, refund_form: RefundForm | None) -> dict:
    """The card's money: open and credit balance per currency, the customer's payments and the
    refund form (payments' selectors)."""
    money = payment_selectors.customer_money(company=request.company, customer_id=customer.pk)
    currencies = sorted(money.credit) or [request.company.default_currency]
    return {
        "money": money,
        "customer_payments": payment_selectors.customer_payments(company=request.company, customer_id=customer.pk),
        "refund_form": refund_form or RefundForm(currencies=currencies),
    }


@staff_view()
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(
        Customer.objects.select_related("relationship_manager", "invoice_reference"), request.company, pk=pk
    )
    return _detail(request, customer, None, 200)


@staff_view()
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_for_company(Customer, request.company, pk=pk)
    if not organisation.is_organisation:
        raise Http404
    form = MemberAddForm(request.POST, organisation=organisation)
    if form.is_valid():
        person = form.cleaned_data["person"]
        try:
            services.organisation_member_add(organisation=organisation, person=person, title=form.cleaned_data["title"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(person)s is now a member of %(organisation)s.") % {
                "person": person.name, "organisation": organisation.name,
            })  # fmt: skip
            return redirect("staff:customer_detail", pk=organisation.pk)
    return _detail(request, organisation, form, 400)


@staff_view()
@require_POST
def member_remove(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    organisation = get_for_company(Customer, request.company, pk=pk)
    person = get_for_company(Customer, request.company, pk=person_pk)
    if not OrganisationMember.objects.filter(organisation=organisation, person=person).exists():
        raise Http404
    services.organisation_member_remove(organisation=organisation, person=person)
    messages.success(request, _("%(person)s is no longer a member of %(organisation)s.") % {
        "person": person.name, "organisation": organisation.name,
    })  # fmt: skip
    return redirect("staff:customer_detail", pk=organisation.pk)
