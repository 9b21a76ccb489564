"""Courses (seed 000): courses and occurrences, the public form's settings, the
customers tab of a tailored occurrence, processing registrations, cancelling and
crediting them, and the basis report (CSV, XLSX, or sent through the webhook)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fakturera.billables.models import BasisItemStatus
from fakturera.core.errors import DomainError
from fakturera.core.urls import absolute_url
from fakturera.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from fakturera.core.xlsx import xlsx_bytes
from fakturera.courses import selectors, services
from fakturera.courses.models import (
    BILLING_FIELDS,
    Course,
    Occurrence,
    OccurrenceCustomer,
    PriceCategory,
    Registration,
)
from fakturera.courses.states import RegistrationStatus
from fakturera.parties.models import Customer, CustomerKind
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.courses import (
    PAYING_FIELDS,
    CourseForm,
    OccurrenceCustomerForm,
    OccurrenceForm,
    PriceCategoryForm,
    ProcessForm,
    RegistrationFormSettings,
    ReportForm,
)
from fakturera.staff.forms_errors import add_domain_error

SECTION = "courses"


# --- courses and occurrences ----------------------------------------------------------------------------


@require_GET
@staff_view()
def course_list(request: HttpRequest) -> HttpResponse:
    company = request.company
    return render(
        request,
        "staff/courses/list.html",
        {
            "section": SECTION,
            "courses": selectors.course_list(company=company),
            "occurrences": selectors.occurrence_list(company=company).filter(
                ends_on__gte=timezone.localdate() - dt.timedelta(days=60)
            ),
        },
    )


@staff_view(role="accountant")
def course_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    company = request.company
    course = get_for_company(Course, company, pk=pk) if pk else None
    initial = {name: getattr(course, name) for name in CourseForm.base_fields} if course else None
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if course is None:
                course = services.course_create(company=company, **form.cleaned_data)
            else:
                services.course_update(course=course, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The course is saved."))
            return redirect("staff:course_detail", course.pk)
    return render(request, "staff/courses/course_form.html", {"section": SECTION, "form": form, "course": course})


@require_GET
@staff_view()
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = request.company
    course = get_for_company(Course, company, pk=pk)
    return render(
        request,
        "staff/courses/course_detail.html",
        {
            "section": SECTION,
            "course": course,
            "occurrences": selectors.occurrence_list(company=company, course=course),
        },
    )


@staff_view(role="accountant")
def occurrence_edit(request: HttpRequest, course_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    company = request.company
    occurrence = get_for_company(Occurrence.objects.select_related("course"), company, pk=pk) if pk else None
    course = occurrence.course if occurrence else get_for_company(Course, company, pk=course_pk)
    initial = {name: getattr(occurrence, name) for name in OccurrenceForm.base_fields} if occurrence else None
    form = OccurrenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "price": form.cleaned_data["price"] or 0}
        try:
            if occurrence is None:
                occurrence = services.occurrence_create(course=course, **data)
            else:
                services.occurrence_update(occurrence=occurrence, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The occurrence is saved."))
            return redirect("staff:occurrence_detail", occurrence.pk)
    return render(
        request,
        "staff/courses/occurrence_form.html",
        {"section": SECTION, "form": form, "course": course, "occurrence": occurrence},
    )


def _occurrence(request: HttpRequest, pk: int) -> Occurrence:
    return get_for_company(Occurrence.objects.select_related("course", "registration_form"), request.company, pk=pk)


def _occurrence_context(request: HttpRequest, occurrence: Occurrence, tab: str) -> dict[str, Any]:
    form = occurrence.registration_form
    return {
        "section": SECTION,
        "occurrence": occurrence,
        "course": occurrence.course,
        "tab": tab,
        "public_url": absolute_url(reverse("course_register", args=[form.token])),
    }


@require_GET
@staff_view()
def occurrence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The registrations tab."""
    occurrence = _occurrence(request, pk)
    rows = []
    for registration in selectors.registration_list(company=request.company, occurrence=occurrence):
        item = getattr(registration, "basis_item", None)
        rows.append((registration, item))
    context = _occurrence_context(request, occurrence, "registrations") | {"rows": rows}
    return render(request, "staff/courses/occurrence_registrations.html", context)


@staff_view()
def occurrence_form_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The public form's settings: open or not, manager approval, the billing fields; and price categories."""
    occurrence = _occurrence(request, pk)
    config = occurrence.registration_form
    form = RegistrationFormSettings(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_form_update(form=config, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The registration form is saved."))
            return redirect("staff:occurrence_form", occurrence.pk)
    context = _occurrence_context(request, occurrence, "form") | {
        "form": form,
        "billing_fields": BILLING_FIELDS,
        "category_form": PriceCategoryForm(),
        "categories": occurrence.price_categories.all(),
    }
    return render(request, "staff/courses/occurrence_form_settings.html", context)


@require_POST
@staff_view()
def price_category_add(request: HttpRequest, pk: int) -> HttpResponse:
    occurrence = _occurrence(request, pk)
    form = PriceCategoryForm(request.POST)
    if form.is_valid():
        try:
            services.price_category_add(occurrence=occurrence, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The price category is added."))
    else:
        messages.error(request, _("Give the price category a name and a price."))
    return redirect("staff:occurrence_form", occurrence.pk)


@require_POST
@staff_view()
def price_category_remove(request: HttpRequest, pk: int, category_pk: int) -> HttpResponse:
    occurrence = _occurrence(request, pk)
    category = PriceCategory.objects.filter(occurrence=occurrence, pk=category_pk).first()
    if category is not None:
        try:
            services.price_category_remove(category=category)
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("staff:occurrence_form", occurrence.pk)


# --- tailored courses: the customers tab ----------------------------------------------------------------


@staff_view()
def occurrence_customers(request: HttpRequest, pk: int) -> HttpResponse:
    company = request.company
    occurrence = _occurrence(request, pk)
    customers = Customer.objects.filter(company=company).order_by("name", "pk")
    form = OccurrenceCustomerForm(
        request.POST or None,
        organisations=customers.filter(kind=CustomerKind.ORGANISATION),
        persons=customers.filter(kind=CustomerKind.PERSON),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.occurrence_customer_set(occurrence=occurrence, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The customer and its price are saved."))
            return redirect("staff:occurrence_customers", occurrence.pk)
    agreements = (
        OccurrenceCustomer.objects.filter(occurrence=occurrence)
        .select_related("customer", "basis_item")
        .prefetch_related("contacts")
    )
    context = _occurrence_context(request, occurrence, "customers") | {"form": form, "agreements": agreements}
    return render(request, "staff/courses/occurrence_customers.html", context)


@require_POST
@staff_view()
def occurrence_customer_remove(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_for_company(OccurrenceCustomer, request.company, pk=pk)
    try:
        services.occurrence_customer_remove(agreement=agreement)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The customer is removed from the occurrence and its basis."))
    return redirect("staff:occurrence_customers", agreement.occurrence_id)


# --- processing a registration -------------------------------------------------------------------------


def _registration(request: HttpRequest, pk: int) -> Registration:
    related = ("occurrence__course", "participant", "represented_organisation", "paying_organisation")
    return get_for_company(Registration.objects.select_related(*related), request.company, pk=pk)


def _paying_initial(registration: Registration, paying: str, represented: str) -> dict[str, str]:
    """The correction fields as the chosen paying organisation has them now, or as typed on the form."""
    choice = represented if paying == services.SAME else paying
    org = None
    if choice and choice.isdigit():
        org = Customer.objects.filter(
            company_id=registration.company_id, kind=CustomerKind.ORGANISATION, pk=int(choice)
        ).first()
    if org is not None:
        return {f"paying_{name}": getattr(org, name) for name in PAYING_FIELDS}
    typed = {
        "address_line1": registration.invoice_address_line1,
        "address_line2": "",
        "postal_code": registration.invoice_postal_code,
        "city": registration.invoice_city,
        "org_number": registration.org_number,
        "vat_number": registration.vat_number,
        "peppol_id": registration.peppol_id,
    }
    return {f"paying_{name}": value for name, value in typed.items()}


def _process_form(request: HttpRequest, registration: Registration, data: Any = None) -> ProcessForm:
    people = selectors.person_suggestions(registration=registration)
    org_suggestions = selectors.organisation_suggestions(registration=registration)
    if registration.status == RegistrationStatus.PROCESSED:
        participant = str(registration.participant_id)
        represented = str(registration.represented_organisation_id or "")
        paying = str(registration.paying_organisation_id)
        if registration.participant not in [s.customer for s in people]:
            people.insert(0, selectors.Suggestion(registration.participant, ()))
    else:
        strong = [s for s in people if selectors.STRONG_REASONS.intersection(s.reasons)]
        participant = str(strong[0].customer.pk) if strong else "new"
        by_number = [
            s for s in org_suggestions if s.customer.org_number and s.customer.org_number == registration.org_number
        ]
        represented = str(by_number[0].customer.pk) if by_number else ("new" if registration.organisation_name else "")
        paying = services.SAME if represented else "new"
    get = request.GET
    represented = get.get("represented_organisation", represented)
    paying = get.get("paying_organisation", paying)
    # The htmx refresh of the paying fields: an organisation picked by searching wins.
    represented_other, paying_other = get.get("represented_other", ""), get.get("paying_other", "")
    initial = {
        "participant": participant,
        "represented_organisation": represented,
        "paying_organisation": paying,
        **_paying_initial(
            registration,
            paying_other if paying_other.isdigit() else paying,
            represented_other if represented_other.isdigit() else represented,
        ),
    }
    # Offered besides the suggestions: the organisations this registration already has.
    chosen = [registration.represented_organisation, registration.paying_organisation]
    if registration.status != RegistrationStatus.PROCESSED:
        chosen = []
    return ProcessForm(
        data,
        initial=initial,
        people=people,
        organisation_suggestions=org_suggestions,
        organisations=[org for org in dict.fromkeys(chosen) if org is not None],
        organisation_name=registration.organisation_name,
        persons=Customer.objects.filter(company=request.company, kind=CustomerKind.PERSON),
        all_organisations=Customer.objects.filter(company=request.company, kind=CustomerKind.ORGANISATION),
    )


def _customer_choice(request: HttpRequest, value: str, *, kind: str) -> Any:
    if value in ("", None):
        return None
    if value in (services.NEW, services.SAME):
        return value
    return get_for_company(Customer.objects.filter(kind=kind), request.company, pk=int(value))


@staff_view()
def registration_process(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    form = _process_form(request, registration, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("participant_other"):
                participant = data["participant_other"]
            else:
                participant = _customer_choice(request, data["participant"], kind=CustomerKind.PERSON)
            services.registration_process(
                registration=registration,
                actor=request.user,
                participant=participant,
                represented_organisation=data["represented_other"]
                or _customer_choice(request, data["represented_organisation"], kind=CustomerKind.ORGANISATION),
                paying_organisation=data["paying_other"]
                or _customer_choice(request, data["paying_organisation"], kind=CustomerKind.ORGANISATION),
                paying_changes=form.paying_changes(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The registration of %(name)s is processed.") % {"name": registration.name})
            return redirect("staff:occurrence_detail", registration.occurrence_id)
    context = {
        "section": SECTION,
        "registration": registration,
        "occurrence": registration.occurrence,
        "form": form,
        "invoice_line": services.registration_invoice_line(registration),
        "history": selectors.registration_history(registration),
    }
    return render(request, "staff/courses/registration_process.html", context)


@require_GET
@staff_view()
def registration_paying_fields(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the paying organisation's fields, filled from the organisation just chosen."""
    registration = _registration(request, pk)
    form = _process_form(request, registration)
    return render(request, "staff/courses/_paying_fields.html", {"form": form, "registration": registration})


@require_POST
@staff_view()
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    try:
        services.registration_cancel(registration=registration, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if services.registration_invoice_line(registration) is not None:
            messages.warning(
                request, _("The registration is cancelled. It was already invoiced: credit it to take it back.")
            )
        else:
            messages.success(request, _("The registration is cancelled and its item left the basis."))
    return redirect("staff:registration_process", registration.pk)


@require_POST
@staff_view()
def registration_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve on the manager's behalf (the history names the staff user)."""
    registration = _registration(request, pk)
    try:
        services.registration_approve_on_behalf(registration=registration, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The registration is approved on the manager's behalf."))
    return redirect("staff:registration_process", registration.pk)


@require_POST
@staff_view()
def registration_resend_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the manager's approval e-mail again; limited per manager address like the first."""
    registration = _registration(request, pk)
    try:
        queued = services.approval_mail_resend(registration=registration, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if queued:
            messages.success(
                request, _("The approval e-mail to %(email)s is on its way.") % {"email": registration.manager_email}
            )
        else:
            messages.warning(
                request,
                _(
                    "The approval e-mail to %(email)s is held: that address has had as many approval e-mails as "
                    "allowed for now. Try again later, or approve on the manager's behalf."
                )
                % {"email": registration.manager_email},
            )
    return redirect("staff:registration_process", registration.pk)


@require_POST
@staff_view()
def registration_credit(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    try:
        note = services.registration_credit(
            registration=registration, actor=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:registration_process", registration.pk)
    messages.success(request, _("Credit note %(n)s is issued.") % {"n": note.display_number})
    return redirect("staff:invoice_detail", note.pk)


# --- the basis report ------------------------------------------------------------------------------------


def _report_rows(request: HttpRequest, form: ReportForm) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    data = form.cleaned_data
    occurrence = data.get("occurrence")
    if occurrence is not None:
        scope = {"occurrence_id": occurrence.pk, "course": occurrence.course.name, "dates": occurrence.dates}
        return selectors.course_basis_rows(company=request.company, occurrence=occurrence), scope
    period = (data["first"], data["last"])
    scope = {"first": data["first"].isoformat(), "last": data["last"].isoformat()}
    return selectors.course_basis_rows(company=request.company, period=period), scope


def _csv_text(value: Any) -> Any:
    """Text typed on the public form must not become a formula in Excel (CSV injection): a
    leading = + - @ is prefixed with an apostrophe, which spreadsheets show as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(rows: list[dict[str, Any]], header: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_text(row[key]) for key, _label in selectors.REPORT_COLUMNS])
    # Excel opens UTF-8 CSV correctly only with the byte-order mark.
    return ("\ufeff" + buffer.getvalue()).encode()


@staff_view()
def basis_report(request: HttpRequest) -> HttpResponse:
    company = request.company
    occurrences = selectors.occurrence_list(company=company).order_by("-starts_on")
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = ReportForm(data, occurrences=occurrences)
    rows: list[dict[str, Any]] = []
    if form.is_bound and form.is_valid():
        rows, scope = _report_rows(request, form)
        header = [str(label) for _key, label in selectors.REPORT_COLUMNS]
        fmt = request.GET.get("format")
        stamp = timezone.localdate().isoformat()
        if fmt == "csv":
            response = HttpResponse(_csv(rows, header), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="course-basis-{stamp}.csv"'
            return response
        if fmt == "xlsx":
            body = xlsx_bytes(
                sheet=_("Basis"), header=header, rows=([row[k] for k, _l in selectors.REPORT_COLUMNS] for row in rows)
            )
            response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="course-basis-{stamp}.xlsx"'
            return response
        if request.method == "POST":
            try:
                sent = services.course_basis_export(company=company, rows=rows, scope=scope, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if sent:
                    messages.success(request, _("The basis is sent to the accounting system (%(n)s rows).")
                                     % {"n": len(rows)})  # fmt: skip
                else:
                    messages.warning(
                        request,
                        _("No integration listens for the course basis; download the report instead, "
                          "or subscribe a webhook to “course_basis.exported”."),
                    )  # fmt: skip
    context = {
        "section": SECTION,
        "form": form,
        "table": [[(key, row[key]) for key, _label in selectors.REPORT_COLUMNS] for row in rows],
        "columns": selectors.REPORT_COLUMNS,
        "query": request.GET.urlencode() if request.method == "GET" else "",
        "statuses": BasisItemStatus,
    }
    return render(request, "staff/courses/report.html", context)
