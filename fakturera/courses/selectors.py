"""Reads of the courses app, always for one company: lists, the processing screen's
suggestions of likely duplicates, and the basis report's rows."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.billables.models import BasisItem, BasisItemStatus, BasisSourceKind
from fakturera.core.money import round_money
from fakturera.courses.models import Course, Occurrence, OccurrenceCustomer, Registration, RegistrationForm
from fakturera.courses.states import RegistrationStatus
from fakturera.parties.models import Company, Customer, CustomerKind

# token -> (monotonic expiry, form): the public form's settings, read once per process per
# COURSE_FORM_CACHE_SECONDS instead of twice per request (the form and its price categories).
_FORMS: dict[str, tuple[float, RegistrationForm]] = {}


def registration_form_for_token(token: str) -> RegistrationForm | None:
    """The public form with its occurrence, course, company and price categories.

    Kept in this process for a few seconds: the form is read-only to the public
    pages, and a change by staff (closing the form, a new price) reaches every
    server process within COURSE_FORM_CACHE_SECONDS; in the process that made the
    change at once (`registration_form_forget`).
    """
    now = time.monotonic()
    cached = _FORMS.get(token)
    if cached is not None and cached[0] > now:
        return cached[1]
    form = (
        RegistrationForm.objects.select_related("occurrence__course", "company")
        .prefetch_related("occurrence__price_categories")
        .filter(token=token)
        .first()
    )
    seconds = settings.COURSE_FORM_CACHE_SECONDS
    if form is not None and seconds > 0:
        if len(_FORMS) > 1000:
            _FORMS.clear()
        _FORMS[token] = (now + seconds, form)
    return form


def registration_form_forget(token: str | None = None) -> None:
    if token is None:
        _FORMS.clear()
    else:
        _FORMS.pop(token, None)


def course_list(*, company: Company) -> QuerySet[Course]:
    return Course.objects.filter(company=company).annotate(occurrence_count=Count("occurrences"))


def occurrence_list(*, company: Company, course: Course | None = None) -> QuerySet[Occurrence]:
    qs = Occurrence.objects.filter(company=company).select_related("course", "registration_form")
    if course is not None:
        qs = qs.filter(course=course)
    return qs.annotate(
        registration_count=Count("registrations", filter=~Q(registrations__status=RegistrationStatus.CANCELLED)),
        to_process=Count("registrations", filter=Q(registrations__status=RegistrationStatus.RECEIVED)),
    )


def registration_list(*, company: Company, occurrence: Occurrence) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(company=company, occurrence=occurrence)
        .select_related("participant", "represented_organisation", "paying_organisation", "price_category")
        .select_related("basis_item")
    )


@dataclass(frozen=True)
class Suggestion:
    customer: Customer
    reasons: tuple[str, ...]


def person_suggestions(*, registration: Registration, limit: int = 8) -> list[Suggestion]:
    """Persons who are likely the participant: the same e-mail, personnummer or name."""
    condition = Q(name__iexact=registration.name)
    if registration.email:
        condition |= Q(email__iexact=registration.email)
    if registration.personnummer:
        condition |= Q(personnummer=registration.personnummer)
    people = Customer.objects.filter(company_id=registration.company_id, kind=CustomerKind.PERSON).filter(condition)
    result = []
    for person in people.order_by("name", "pk")[:limit]:
        reasons = []
        if registration.personnummer and person.personnummer == registration.personnummer:
            reasons.append(_("same personnummer"))
        if registration.email and person.email.lower() == registration.email.lower():
            reasons.append(_("same e-mail"))
        if person.name.lower() == registration.name.lower():
            reasons.append(_("same name"))
        result.append(Suggestion(person, tuple(reasons)))
    # The strongest evidence first: a personnummer beats an e-mail beats a name.
    return sorted(result, key=lambda s: -len(s.reasons))


def organisation_suggestions(*, registration: Registration, limit: int = 8) -> list[Suggestion]:
    """Organisations matching the registration's org number, VAT number, Peppol ID or name."""
    condition = Q(pk__in=[])
    if registration.org_number:
        condition |= Q(org_number=registration.org_number)
    if registration.vat_number:
        condition |= Q(vat_number=registration.vat_number)
    if registration.peppol_id:
        condition |= Q(peppol_id=registration.peppol_id)
    if registration.organisation_name:
        condition |= Q(name__icontains=registration.organisation_name)
    orgs = Customer.objects.filter(company_id=registration.company_id, kind=CustomerKind.ORGANISATION).filter(condition)
    result = []
    for org in orgs.order_by("name", "pk")[:limit]:
        reasons = []
        if registration.org_number and org.org_number == registration.org_number:
            reasons.append(_("same organisation number"))
        if registration.vat_number and org.vat_number == registration.vat_number:
            reasons.append(_("same VAT number"))
        if registration.peppol_id and org.peppol_id == registration.peppol_id:
            reasons.append(_("same Peppol ID"))
        if registration.organisation_name and registration.organisation_name.lower() in org.name.lower():
            reasons.append(_("similar name"))
        result.append(Suggestion(org, tuple(reasons)))
    return sorted(result, key=lambda s: -len(s.reasons))


def organisations(*, company: Company) -> QuerySet[Customer]:
    return Customer.objects.filter(company=company, kind=CustomerKind.ORGANISATION).order_by("name", "pk")


# --- the basis report ------------------------------------------------------------------------------------

REPORT_COLUMNS: list[tuple[str, Any]] = [
    ("course", gettext_lazy("Course")),
    ("dates", gettext_lazy("Dates")),
    ("participant", gettext_lazy("Participant")),
    ("participant_email", gettext_lazy("Participant's e-mail")),
    ("represented_organisation", gettext_lazy("Represented organisation")),
    ("paying_organisation", gettext_lazy("Paying organisation")),
    ("customer_number", gettext_lazy("Customer number")),
    ("org_number", gettext_lazy("Organisation number")),
    ("vat_number", gettext_lazy("VAT number")),
    ("peppol_id", gettext_lazy("Peppol ID")),
    ("address", gettext_lazy("Address")),
    ("project_number", gettext_lazy("Project number")),
    ("price", gettext_lazy("Price")),
    ("vat_rate", gettext_lazy("VAT rate (%)")),
    ("vat_amount", gettext_lazy("VAT")),
    ("currency", gettext_lazy("Currency")),
    ("status", gettext_lazy("Status")),
    ("invoice_number", gettext_lazy("Invoice")),
]


def _address(customer: Customer) -> str:
    return ", ".join(customer.address_lines())


def course_basis_rows(
    *,
    company: Company,
    occurrence: Occurrence | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> list[dict[str, Any]]:
    """The basis of courses (seed 000, "underlag"): one row per billed registration or
    tailored customer, in the basis or invoiced, for one occurrence or the occurrences
    starting in a period. The paying organisation's data is read now, so a correction
    made when processing shows here. Three queries whatever the size."""
    items = BasisItem.objects.filter(
        company=company,
        source__in=[BasisSourceKind.COURSE_REGISTRATION, BasisSourceKind.COURSE_CUSTOMER],
        status__in=[BasisItemStatus.OPEN, BasisItemStatus.INVOICED],
    )
    if occurrence is not None:
        items = items.filter(Q(course_registration__occurrence=occurrence) | Q(course_customer__occurrence=occurrence))
    if period is not None:
        first, last = period
        items = items.filter(
            Q(course_registration__occurrence__starts_on__range=(first, last))
            | Q(course_customer__occurrence__starts_on__range=(first, last))
        )
    items = items.select_related(
        "customer",
        "invoice_line__invoice",
        "course_registration__occurrence__course",
        "course_registration__represented_organisation",
        "course_registration__participant",
        "course_customer__occurrence__course",
        "course_customer__customer",
    ).prefetch_related(Prefetch("course_customer__contacts", queryset=Customer.objects.order_by("name")))
    rows = []
    for item in items.order_by("occurred_on", "customer__name", "pk"):
        registration = item.course_registration
        agreement: OccurrenceCustomer | None = item.course_customer
        source = registration or agreement
        occurrence_row = source.occurrence
        paying = item.customer
        if registration is not None:
            participant = registration.participant.name if registration.participant_id else registration.name
            participant_email = registration.email
            represented = registration.represented_organisation.name if registration.represented_organisation else ""
        else:
            contacts = list(agreement.contacts.all())
            participant = ", ".join(contact.name for contact in contacts)
            participant_email = ", ".join(contact.email for contact in contacts if contact.email)
            represented = paying.name
        net = round_money(item.quantity * item.unit_price, item.currency)
        line = getattr(item, "invoice_line", None)
        rows.append(
            {
                "course": occurrence_row.course.name,
                "dates": occurrence_row.dates,
                "participant": participant,
                "participant_email": participant_email,
                "represented_organisation": represented,
                "paying_organisation": paying.name,
                "customer_number": paying.number,
                "org_number": paying.org_number,
                "vat_number": paying.vat_number,
                "peppol_id": paying.peppol_id,
                "address": _address(paying),
                "project_number": item.buyer_reference,
                "price": net,
                "vat_rate": item.vat_rate,
                "vat_amount": round_money(net * item.vat_rate / Decimal(100), item.currency),
                "currency": item.currency,
                "status": _("Invoiced") if item.status == BasisItemStatus.INVOICED else _("In the basis"),
                "invoice_number": line.invoice.display_number if line else "",
            }
        )
    return rows
