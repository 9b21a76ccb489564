"""Reads of the courses app, always for one company: lists, the processing screen's
suggestions of likely duplicates, and the basis report's rows."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.billables.models import BasisItem, BasisItemStatus, BasisSourceKind
from fakturera.core.money import round_money
from fakturera.courses.models import (
    Course,
    Occurrence,
    OccurrenceCustomer,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
    RegistrationForm,
)
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


# A registration's history worded for its reader (RegistrationEvent holds data, not sentences).
HISTORY_WORDS = {
    RegistrationEventKind.APPROVAL_MAIL_SENT: gettext_lazy("Approval e-mail sent to %(manager)s."),
    RegistrationEventKind.APPROVAL_MAIL_HELD: gettext_lazy(
        "Approval e-mail to %(manager)s held: that address has had its %(limit)s e-mails in %(hours)s hours."
    ),
    RegistrationEventKind.APPROVAL_MAIL_RESEND: gettext_lazy(
        "%(actor)s asked to send the approval e-mail to %(manager)s again."
    ),
    RegistrationEventKind.APPROVED: gettext_lazy("Approved by the manager (%(manager)s) through the link."),
    RegistrationEventKind.DECLINED: gettext_lazy("Declined by the manager (%(manager)s) through the link."),
    RegistrationEventKind.APPROVED_ON_BEHALF: gettext_lazy(
        "Approved by %(actor)s on behalf of the manager (%(manager)s)."
    ),
}


@dataclass(frozen=True)
class HistoryLine:
    event: RegistrationEvent
    words: str


def _actor_name(user: Any) -> str:
    if user is None:
        return _("a former staff user")
    return user.get_full_name() or user.get_username()


def registration_history(registration: Registration) -> list[HistoryLine]:
    """The registration's events, oldest first, each worded in the active language."""
    lines = []
    for event in RegistrationEvent.objects.filter(registration=registration).select_related("actor"):
        params = {"manager": "", "limit": "", "hours": "", **event.params, "actor": _actor_name(event.actor)}
        words = HISTORY_WORDS.get(event.kind)
        lines.append(HistoryLine(event, str(words) % params if words else event.kind))
    return lines


# Why a customer is suggested, as codes (decisions are made on these) with their labels
# (only shown); with the weight that ranks them: a personnummer or an organisation
# number decides, an e-mail or a VAT number nearly, a name only hints.
REASON_LABELS = {
    "personnummer": gettext_lazy("same personnummer"),
    "email": gettext_lazy("same e-mail"),
    "name": gettext_lazy("same name"),
    "org_number": gettext_lazy("same organisation number"),
    "vat_number": gettext_lazy("same VAT number"),
    "peppol_id": gettext_lazy("same Peppol ID"),
    "similar_name": gettext_lazy("similar name"),
}
STRONG_REASONS = {"personnummer", "email", "org_number"}


@dataclass(frozen=True)
class Suggestion:
    customer: Customer
    reasons: tuple[str, ...]  # codes of REASON_LABELS, strongest first


def _suggestions(queryset: QuerySet[Customer], tests: list[tuple[str, Q, int]], limit: int) -> list[Suggestion]:
    """The customers matching any test, ranked by the weights of those they match before
    the list is cut, so a strong match is never pushed out by many name matches."""
    if not tests:
        return []
    matches = Q()
    for _code, condition, _weight in tests:
        matches |= condition
    flags = {
        f"is_{code}": Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
        for code, condition, _weight in tests
    }
    score = sum(
        (Case(When(condition, then=Value(weight)), default=Value(0)) for _code, condition, weight in tests),
        start=Value(0),
    )
    rows = queryset.filter(matches).annotate(score=score, **flags).order_by("-score", "name", "pk")[:limit]
    return [Suggestion(row, tuple(code for code, _q, _w in tests if getattr(row, f"is_{code}"))) for row in rows]


def person_suggestions(*, registration: Registration, limit: int = 8) -> list[Suggestion]:
    """Persons who are likely the participant: the same personnummer, e-mail or name."""
    tests = [("name", Q(name__iexact=registration.name), 1)]
    if registration.email:
        tests.insert(0, ("email", Q(email__iexact=registration.email), 2))
    if registration.personnummer:
        tests.insert(0, ("personnummer", Q(personnummer=registration.personnummer), 4))
    people = Customer.objects.filter(company_id=registration.company_id, kind=CustomerKind.PERSON)
    return _suggestions(people, tests, limit)


def organisation_suggestions(*, registration: Registration, limit: int = 8) -> list[Suggestion]:
    """Organisations matching the registration's org number, VAT number, Peppol ID or name."""
    tests = []
    if registration.org_number:
        tests.append(("org_number", Q(org_number=registration.org_number), 4))
    if registration.vat_number:
        tests.append(("vat_number", Q(vat_number=registration.vat_number), 2))
    if registration.peppol_id:
        tests.append(("peppol_id", Q(peppol_id=registration.peppol_id), 2))
    if registration.organisation_name:
        tests.append(("similar_name", Q(name__icontains=registration.organisation_name), 1))
    orgs = Customer.objects.filter(company_id=registration.company_id, kind=CustomerKind.ORGANISATION)
    return _suggestions(orgs, tests, limit)


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
