"""Writes of the courses app (seed 000): courses and occurrences, the public form,
registrations and their approval, processing by staff, tailored-course customers,
cancellations and the basis export.

Every billable row feeds the invoice basis through billables' source mechanism
(`BasisSourceSpec` + `basis_item_sync`), as bookings and journal notes do: a
processed registration bills its paying organisation, a tailored occurrence's
customer its agreed price. An invoiced item is never touched again: a change that
would reprice it is refused, a cancellation offers a credit note instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.core import signing
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fakturera.billables.models import BasisItem, BasisItemStatus, BasisSourceKind, RemovedBecause
from fakturera.billables.services import BasisSourceSpec, basis_item_sync
from fakturera.catalog.vat import clean_vat
from fakturera.core import mail
from fakturera.core.db import retrying_atomic
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict, ValidationFailed
from fakturera.core.events import publish
from fakturera.core.identifiers import clean_organisation_number, clean_peppol_id, clean_personnummer, clean_vat_number
from fakturera.core.money import clean_unit_price
from fakturera.core.ratelimit import Limit, hit
from fakturera.core.tasks import enqueue_on_commit
from fakturera.core.text import check_texts
from fakturera.core.urls import absolute_url
from fakturera.courses.events import COURSE_BASIS_EXPORTED
from fakturera.courses.models import (
    BILLING_FIELDS,
    Course,
    CourseKind,
    FieldUse,
    Occurrence,
    OccurrenceCustomer,
    PriceCategory,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
    RegistrationForm,
)
from fakturera.courses.selectors import registration_form_forget
from fakturera.courses.states import RegistrationStatus, move_registration
from fakturera.distribution.selectors import mail_outbox_for
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.services import credit_note_create
from fakturera.parties.models import Company, Customer, CustomerKind, Language
from fakturera.parties.services import customer_create, customer_update, organisation_member_add

APPROVAL_SALT = "fakturera.courses.approval"


def _same_company(company: Company, **objects: Any) -> None:
    for field, obj in objects.items():
        if obj is not None and obj.company_id != company.pk:
            raise DomainError(_("This belongs to another company."), field=field)


# --- the basis: how registrations and tailored customers feed it ---------------------------------------


def _registration_values(registration: Registration, company: Company) -> dict[str, Any]:
    occurrence = registration.occurrence
    course = occurrence.course
    where = f", {occurrence.place}" if occurrence.place else ""
    category = f" ({registration.price_category.name})" if registration.price_category_id else ""
    return {
        "customer_id": registration.paying_organisation_id,
        "description": f"{course.name} {occurrence.dates}{where}: {registration.name}{category}"[:300],
        "buyer_reference": registration.project_number,
        "occurred_on": occurrence.starts_on,
        "period_start": occurrence.starts_on,
        "period_end": occurrence.ends_on,
        "quantity": Decimal("1"),
        "unit": "st",
        "unit_price": registration.unit_price,
        "vat_category": course.vat_category,
        "vat_rate": course.vat_rate,
        "account_code": course.account_code,
        "currency": company.default_currency,
    }


def _customer_values(agreement: OccurrenceCustomer, company: Company) -> dict[str, Any]:
    occurrence = agreement.occurrence
    course = occurrence.course
    where = f", {occurrence.place}" if occurrence.place else ""
    return {
        "customer_id": agreement.customer_id,
        "description": f"{course.name} {occurrence.dates}{where}"[:300],
        "buyer_reference": agreement.project_number,
        "occurred_on": occurrence.starts_on,
        "period_start": occurrence.starts_on,
        "period_end": occurrence.ends_on,
        "quantity": Decimal("1"),
        "unit": "st",
        "unit_price": agreement.price,
        "vat_category": course.vat_category,
        "vat_rate": course.vat_rate,
        "account_code": course.account_code,
        "currency": company.default_currency,
    }


COURSE_REGISTRATIONS = BasisSourceSpec(
    kind=BasisSourceKind.COURSE_REGISTRATION,
    link="course_registration",
    basis_source=None,  # courses feed the basis whatever the company's booking/journal choice
    editable=frozenset(),
    priced=(),
    values=_registration_values,
    is_billable_row=lambda registration: registration.status == RegistrationStatus.PROCESSED,
    removed_because=RemovedBecause.CANCELLED,
    invoiced_message=gettext_noop(
        "This registration is already invoiced; cancel it and credit the invoice to change what was billed."
    ),
)
COURSE_CUSTOMERS = BasisSourceSpec(
    kind=BasisSourceKind.COURSE_CUSTOMER,
    link="course_customer",
    basis_source=None,
    editable=frozenset(),
    priced=(),
    values=_customer_values,
    is_billable_row=lambda agreement: True,
    removed_because=RemovedBecause.CANCELLED,
    invoiced_message=gettext_noop(
        "This customer's price is already invoiced; credit the invoice to change what was billed."
    ),
)


def _locked_registration(registration: Registration) -> Registration:
    """The registration's row alone, FOR NO KEY UPDATE: its occurrence, course and company come
    along unlocked (a lock on the company row would block every invoice inserted meanwhile,
    and deadlock with an issuer holding the number series; invoicing/DESIGN.md, "Locks")."""
    return (
        Registration.objects.select_for_update(no_key=True, of=("self",))
        .select_related("occurrence__course", "company")
        .get(pk=registration.pk)
    )


def _locked_item(link: str, row: Any) -> BasisItem | None:
    return BasisItem.objects.select_for_update().filter(**{link: row}).first()


# --- courses and occurrences --------------------------------------------------------------------------


def _clean_course(company: Company, data: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorCollector()
    with errors.check():
        check_texts(data, multiline={"description"})
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        errors.add("name", _("The course needs a name."))
    if data.get("kind") not in CourseKind.values:
        errors.add("kind", _("A course is open or tailored."))
    with errors.check():
        key = clean_vat(data.get("vat_category", "S"), data.get("vat_rate", "25"), country=company.country)
        data["vat_category"], data["vat_rate"] = key.category, key.rate
    errors.raise_if_any()
    return data


COURSE_FIELDS = {"name", "kind", "description", "vat_category", "vat_rate", "account_code"}


@transaction.atomic
def course_create(*, company: Company, **fields: Any) -> Course:
    _unknown(fields, COURSE_FIELDS)
    return Course.objects.create(company=company, **_clean_course(company, {"kind": CourseKind.OPEN, **fields}))


@transaction.atomic
def course_update(*, course: Course, **fields: Any) -> Course:
    _unknown(fields, COURSE_FIELDS)
    data = _clean_course(course.company, {**{name: getattr(course, name) for name in COURSE_FIELDS}, **fields})
    if data["kind"] != course.kind and course.occurrences.exists():
        raise DomainError(_("A course with occurrences cannot change between open and tailored."), field="kind")
    for name in fields:
        setattr(course, name, data[name])
    course.save()
    return course


def _unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})


OCCURRENCE_FIELDS = {"starts_on", "ends_on", "place", "language", "price"}


def _clean_occurrence(data: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorCollector()
    with errors.check():
        check_texts(data)
    if not data.get("starts_on"):
        errors.add("starts_on", _("Give the first day."))
    data["ends_on"] = data.get("ends_on") or data.get("starts_on")
    if data.get("starts_on") and data["ends_on"] < data["starts_on"]:
        errors.add("ends_on", _("The last day is before the first."))
    if data.get("language", Language.SWEDISH) not in Language.values:
        errors.add("language", _("Unknown language."))
    with errors.check():
        data["price"] = clean_unit_price(data.get("price") or 0, field="price")
    data["place"] = (data.get("place") or "").strip()
    errors.raise_if_any()
    return data


@transaction.atomic
def occurrence_create(*, course: Course, **fields: Any) -> Occurrence:
    """An occurrence and its public registration form (open for open courses)."""
    _unknown(fields, OCCURRENCE_FIELDS)
    occurrence = Occurrence.objects.create(company=course.company, course=course, **_clean_occurrence(dict(fields)))
    RegistrationForm.objects.create(
        company=course.company,
        occurrence=occurrence,
        token=secrets.token_urlsafe(16),
        # A tailored course's participants come through their employer's agreement.
        is_open=not course.is_tailored,
    )
    return occurrence


@transaction.atomic
def occurrence_update(*, occurrence: Occurrence, **fields: Any) -> Occurrence:
    """Changing dates or price reprices the open items; invoiced items keep what they billed."""
    _unknown(fields, OCCURRENCE_FIELDS)
    data = _clean_occurrence({**{name: getattr(occurrence, name) for name in OCCURRENCE_FIELDS}, **fields})
    for name in fields:
        setattr(occurrence, name, data[name])
    occurrence.save()
    _resync_occurrence(occurrence)
    transaction.on_commit(registration_form_forget)
    return occurrence


def _resync_occurrence(occurrence: Occurrence) -> None:
    registrations = Registration.objects.filter(occurrence=occurrence, status=RegistrationStatus.PROCESSED)
    for registration in registrations.select_related("occurrence__course", "price_category", "company"):
        basis_item_sync(source=COURSE_REGISTRATIONS, row=registration)
    for agreement in OccurrenceCustomer.objects.filter(occurrence=occurrence).select_related(
        "occurrence__course", "company"
    ):
        basis_item_sync(source=COURSE_CUSTOMERS, row=agreement)


@transaction.atomic
def price_category_add(*, occurrence: Occurrence, name: str, price: Any) -> PriceCategory:
    errors = ErrorCollector()
    name = (name or "").strip()
    with errors.check():
        check_texts({"name": name})
    if not name:
        errors.add("name", _("The price category needs a name."))
    elif occurrence.price_categories.filter(name=name).exists():
        errors.add("name", _("There is already a price category with this name."))
    with errors.check():
        price = clean_unit_price(price, field="price")
    errors.raise_if_any()
    transaction.on_commit(registration_form_forget)
    return PriceCategory.objects.create(occurrence=occurrence, name=name, price=price)


@transaction.atomic
def price_category_remove(*, category: PriceCategory) -> None:
    if Registration.objects.filter(price_category=category).exists():
        raise StateConflict(_("Registrations use this price category; it cannot be removed."))
    category.delete()
    transaction.on_commit(registration_form_forget)


FORM_FIELDS = {"is_open", "needs_manager_approval", *BILLING_FIELDS}


@transaction.atomic
def registration_form_update(*, form: RegistrationForm, **fields: Any) -> RegistrationForm:
    _unknown(fields, FORM_FIELDS)
    for name, value in fields.items():
        if name in BILLING_FIELDS and value not in FieldUse.values:
            raise DomainError(_("Each billing field is not asked, optional or required."), field=name)
        setattr(form, name, value)
    form.save()
    transaction.on_commit(registration_form_forget)
    return form


# --- tailored courses: the customers tab ---------------------------------------------------------------


@retrying_atomic
def occurrence_customer_set(
    *,
    occurrence: Occurrence,
    customer: Customer,
    price: Any,
    project_number: str = "",
    contacts: list[Customer] | None = None,
    actor: Any = None,
) -> OccurrenceCustomer:
    """Add a customer to a tailored occurrence, or change its agreed price and contact persons."""
    check_texts({"project_number": project_number})
    company = occurrence.company
    _same_company(company, customer=customer)
    errors = ErrorCollector()
    if not occurrence.course.is_tailored:
        raise DomainError(_("Only tailored courses are priced per customer."))
    if customer.kind != CustomerKind.ORGANISATION:
        errors.add("customer", _("A tailored course's customer is an organisation."))
    with errors.check():
        price = clean_unit_price(price, field="price")
    for contact in contacts or []:
        if contact.company_id != company.pk or contact.kind != CustomerKind.PERSON:
            errors.add("contacts", _("Contact persons are persons of this company."))
            break
    errors.raise_if_any()
    project_number = (project_number or "").strip()[:100]
    agreement = OccurrenceCustomer.objects.select_for_update().filter(occurrence=occurrence, customer=customer).first()
    if agreement is None:
        agreement = OccurrenceCustomer.objects.create(
            company=company, occurrence=occurrence, customer=customer, price=price, project_number=project_number
        )
    else:
        item = _locked_item("course_customer", agreement)
        changed = agreement.price != price or agreement.project_number != project_number
        if item is not None and item.status == BasisItemStatus.INVOICED and changed:
            raise StateConflict(_(COURSE_CUSTOMERS.invoiced_message))
        agreement.price, agreement.project_number = price, project_number
        agreement.save(update_fields=["price", "project_number"])
    if contacts is not None:
        agreement.contacts.set(contacts)
    basis_item_sync(source=COURSE_CUSTOMERS, row=agreement, actor=actor)
    return agreement


@retrying_atomic
def occurrence_customer_remove(*, agreement: OccurrenceCustomer) -> None:
    item = _locked_item("course_customer", agreement)
    if item is not None and item.status == BasisItemStatus.INVOICED:
        raise StateConflict(_("This customer is already invoiced; credit the invoice from the invoice's page instead."))
    if item is not None:
        item.delete()
    agreement.delete()


# --- the public form -----------------------------------------------------------------------------------

SUBMITTED_FIELDS = {
    "name", "email", "phone", "personnummer", "organisation_name", "org_number", "vat_number", "peppol_id",
    "project_number", "invoice_address_line1", "invoice_postal_code", "invoice_city", "price_category",
    "manager_email", "manager_name", "message",
}  # fmt: skip
ADDRESS_FIELDS = ("invoice_address_line1", "invoice_postal_code", "invoice_city")


def _clean_submission(form: RegistrationForm, data: dict[str, Any]) -> dict[str, Any]:
    """Every field checked, every error at once; identifiers by core/identifiers.py."""
    company = form.company
    errors = ErrorCollector()
    data = {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}
    with errors.check():
        check_texts(data, multiline={"message"})
    if not data.get("name"):
        errors.add("name", _("Give your name."))
    for field in ("email", "manager_email"):
        if data.get(field):
            try:
                validate_email(data[field])
            except Exception:
                errors.add(field, _("“%(value)s” is not an e-mail address.") % {"value": data[field]})
    if not data.get("email"):
        errors.add("email", _("Give your e-mail address."))
    if form.needs_manager_approval and not data.get("manager_email"):
        errors.add("manager_email", _("Your manager approves the registration: give your manager's e-mail address."))
    if not form.needs_manager_approval:
        data["manager_email"] = data["manager_name"] = ""
    elif data.get("email") and data.get("manager_email") and same_address(data["email"], data["manager_email"]):
        errors.add(
            "manager_email",
            _("This is your own e-mail address. Your manager approves the registration: give your manager's address."),
        )
    with errors.check():
        data["personnummer"] = clean_personnummer(data.get("personnummer", ""))
    for field in BILLING_FIELDS:
        use = form.use(field)
        names = ADDRESS_FIELDS if field == "invoice_address" else (field,)
        if use == FieldUse.HIDDEN:
            for name in names:
                data[name] = ""
            continue
        if use == FieldUse.REQUIRED:
            for name in names:
                if not data.get(name):
                    errors.add(name, _("This field is required."))
    if data.get("org_number"):
        with errors.check():
            data["org_number"] = clean_organisation_number(data["org_number"], country=company.country)
    if data.get("vat_number"):
        with errors.check():
            data["vat_number"] = clean_vat_number(data["vat_number"], country=company.country)
    if data.get("peppol_id"):
        with errors.check():
            data["peppol_id"] = clean_peppol_id(data["peppol_id"])
    has_billing = any(data.get(name) for name in ("org_number", "vat_number", "peppol_id"))
    if has_billing and not data.get("organisation_name"):
        errors.add("organisation_name", _("Give the name of the organisation these numbers belong to."))
    if len(data.get("project_number") or "") > 100:
        errors.add("project_number", _("At most 100 characters."))
    categories = list(form.occurrence.price_categories.all())
    chosen = data.get("price_category")
    if categories:
        match = next((c for c in categories if str(c.pk) == str(getattr(chosen, "pk", chosen))), None)
        if match is None:
            errors.add("price_category", _("Choose a price."))
        data["price_category"] = match
    else:
        data["price_category"] = None
    errors.raise_if_any()
    return data


@transaction.atomic
def registration_submit(*, form: RegistrationForm, language: str = Language.SWEDISH, **fields: Any) -> Registration:
    """A participant's registration from the public form; with manager approval, it waits for the manager."""
    _unknown(fields, SUBMITTED_FIELDS)
    if not form.is_open:
        raise StateConflict(_("Registration for this course is closed."))
    data = _clean_submission(form, {name: fields.get(name, "") for name in SUBMITTED_FIELDS})
    status = RegistrationStatus.AWAITING_APPROVAL if form.needs_manager_approval else RegistrationStatus.RECEIVED
    registration = Registration.objects.create(
        company_id=form.company_id,
        occurrence_id=form.occurrence_id,
        status=status,
        language=language if language in Language.values else Language.SWEDISH,
        **data,
    )
    if status == RegistrationStatus.AWAITING_APPROVAL:
        _approval_mail_queue(registration)
    return registration


def normalise_address(email: str) -> str:
    """An e-mail address as compared: Unicode-normalised (NFKC), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


def same_address(first: str, second: str) -> bool:
    return normalise_address(first) == normalise_address(second)


def _event(registration: Registration, kind: str, *, actor: Any = None, **params: Any) -> None:
    RegistrationEvent.objects.create(
        registration=registration, kind=kind, at=timezone.now(), actor_id=getattr(actor, "pk", actor), params=params
    )


APPROVAL_MAIL_SCOPE = "courses.approval_mail"


def _approval_mail_queue(registration: Registration, *, actor: Any = None) -> bool:
    """Count an approval e-mail against its manager address (COURSE_APPROVAL_MAIL_LIMIT) and
    queue it, or, over the limit, hold it: the registration stays recorded and staff see the
    held mail. The hit is in the caller's transaction: a refused registration counts nothing."""
    limit = Limit.parse(settings.COURSE_APPROVAL_MAIL_LIMIT)
    if limit is not None and not hit(APPROVAL_MAIL_SCOPE, normalise_address(registration.manager_email), limit).allowed:
        if not registration.approval_mail_held:
            registration.approval_mail_held = True
            registration.save(update_fields=["approval_mail_held"])
        _event(
            registration,
            RegistrationEventKind.APPROVAL_MAIL_HELD,
            actor=actor,
            manager=registration.manager_email,
            limit=limit.count,
            hours=f"{limit.seconds / 3600:g}",
        )
        return False
    if registration.approval_mail_held:
        registration.approval_mail_held = False
        registration.save(update_fields=["approval_mail_held"])
    from fakturera.courses.tasks import send_approval_mail

    enqueue_on_commit(send_approval_mail, registration.pk, company_id=registration.company_id)
    return True


@transaction.atomic
def approval_mail_resend(*, registration: Registration, actor: Any) -> bool:
    """Staff send the manager's approval e-mail again (a held one, or one the manager lost).
    Limited like the first: True when it is queued, False when the address is over its
    limit and the mail is held again."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.AWAITING_APPROVAL:
        raise StateConflict(_("This registration has already been decided."), code="decided")
    _event(registration, RegistrationEventKind.APPROVAL_MAIL_RESEND, actor=actor, manager=registration.manager_email)
    return _approval_mail_queue(registration, actor=actor)


@transaction.atomic
def registration_approve_on_behalf(*, registration: Registration, actor: Any) -> Registration:
    """Staff approve for the manager (who said yes by phone, or whose mail is held); the
    history names the staff user and the manager."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.AWAITING_APPROVAL:
        raise StateConflict(_("This registration has already been decided."), code="decided")
    move_registration(registration, to=RegistrationStatus.RECEIVED, decided_at=timezone.now(), approval_mail_held=False)
    _event(
        registration,
        RegistrationEventKind.APPROVED_ON_BEHALF,
        actor=actor,
        manager=registration.manager_email,
        manager_name=registration.manager_name,
    )
    return registration


def approval_token(registration: Registration) -> str:
    return signing.TimestampSigner(salt=APPROVAL_SALT).sign(str(registration.pk))


def approval_url(registration: Registration) -> str:
    return absolute_url(reverse("course_approval", args=[approval_token(registration)]))


def registration_from_approval_token(token: str) -> Registration:
    """The registration a manager's link is for; DomainError when it is forged or too old."""
    max_age = dt.timedelta(days=settings.COURSE_APPROVAL_MAX_AGE_DAYS)
    try:
        pk = signing.TimestampSigner(salt=APPROVAL_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise DomainError(
            _("This approval link has expired; ask the participant to register again."), code="expired"
        ) from None
    except signing.BadSignature:
        raise DomainError(_("This approval link is not valid."), code="bad_signature") from None
    registration = Registration.objects.select_related("occurrence__course", "company").filter(pk=pk).first()
    if registration is None:
        raise DomainError(_("This approval link is not valid."), code="bad_signature")
    return registration


# A name in the manager's e-mail: letters, marks, spaces, hyphens, apostrophes and full
# stops only, one line, and a full stop always followed by a space, so that no name reads
# as a web address or an e-mail address to a mail program.
_NAME_KEPT = frozenset(" -'’.")
MAIL_NAME_LENGTH = 100


def mail_name(text: str) -> str:
    """A name typed on the public form as it may appear in an e-mail (see _NAME_KEPT)."""
    text = unicodedata.normalize("NFKC", text or "")
    kept = "".join(ch if ch in _NAME_KEPT or unicodedata.category(ch)[0] in "LM" else " " for ch in text)
    kept = re.sub(r"\.(?=\S)", ". ", kept)
    return " ".join(kept.split())[:MAIL_NAME_LENGTH].strip()


def approval_mail_send(*, registration_id: int) -> None:
    """The manager's e-mail with the approval link; nothing when the registration no longer
    waits. It holds the course's facts (the company's own data), the participant's and the
    manager's names (mail_name) and the link: nothing else typed on the public form."""
    registration = (
        Registration.objects.select_related("occurrence__course", "company", "price_category")
        .filter(pk=registration_id, status=RegistrationStatus.AWAITING_APPROVAL)
        .first()
    )
    if registration is None:
        return
    occurrence = registration.occurrence
    company = registration.company
    with translation.override(registration.language):
        participant = mail_name(registration.name) or _("(name not shown)")
        manager = mail_name(registration.manager_name)
        subject = _("Approve a course registration: %(name)s") % {"name": participant}
        greeting = _("Hello %(name)s,") % {"name": manager} if manager else _("Hello,")
        body = _(
            "%(greeting)s\n\n%(name)s has registered for a course and names you as the manager who approves "
            "the registration.\n\nCourse: %(course)s\nDates: %(dates)s\nPlace: %(place)s\n"
            "Price: %(price)s %(currency)s excluding VAT\n\nApprove or decline here:\n%(url)s\n\n"
            "The link is valid for %(days)s days.\n\n%(company)s"
        ) % {
            "greeting": greeting,
            "name": participant,
            "course": occurrence.course.name,
            "dates": occurrence.dates,
            "place": occurrence.place or "-",
            "price": f"{registration.unit_price.normalize():f}",
            "currency": company.default_currency,
            "url": approval_url(registration),
            "days": settings.COURSE_APPROVAL_MAX_AGE_DAYS,
            "company": company.name,
        }
    # By the company's own SMTP server where it set one, else the installation's (core.mail).
    outbox = mail_outbox_for(company)
    sender = outbox.sender or settings.DEFAULT_FROM_EMAIL
    mail.send(mail.Message(sender=sender, to=[registration.manager_email], subject=subject, body=body), outbox=outbox)
    _event(registration, RegistrationEventKind.APPROVAL_MAIL_SENT, manager=registration.manager_email)


@retrying_atomic
def registration_decide(*, token: str, is_approved: bool) -> Registration:
    registration = registration_from_approval_token(token)
    registration = _locked_registration(registration)
    if registration.status != RegistrationStatus.AWAITING_APPROVAL:
        raise StateConflict(_("This registration has already been decided."), code="decided")
    to = RegistrationStatus.RECEIVED if is_approved else RegistrationStatus.DECLINED
    move_registration(registration, to=to, decided_at=timezone.now(), approval_mail_held=False)
    kind = RegistrationEventKind.APPROVED if is_approved else RegistrationEventKind.DECLINED
    _event(registration, kind, manager=registration.manager_email)
    return registration


# --- processing by staff -------------------------------------------------------------------------------

NEW: Literal["new"] = "new"
SAME: Literal["represented"] = "represented"
PAYING_CHANGE_FIELDS = {
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "org_number",
    "vat_number",
    "peppol_id",
}


@contextlib.contextmanager
def _prefixed(prefix: str) -> Iterator[None]:
    """Errors of a parties service, renamed to the screen's field (vat_number -> paying_vat_number)."""
    try:
        yield
    except ValidationFailed as exc:
        raise ValidationFailed({f"{prefix}{field}": messages for field, messages in exc.errors.items()}) from None
    except DomainError as exc:
        raise ValidationFailed({f"{prefix}{exc.field}" if exc.field else "__all__": [exc.message]}) from None


def _organisation_from_registration(registration: Registration) -> dict[str, Any]:
    return {
        "name": registration.organisation_name,
        "org_number": registration.org_number,
        "vat_number": registration.vat_number,
        "peppol_id": registration.peppol_id,
        "address_line1": registration.invoice_address_line1,
        "postal_code": registration.invoice_postal_code,
        "city": registration.invoice_city,
    }


@retrying_atomic
def registration_process(
    *,
    registration: Registration,
    actor: Any,
    participant: Customer | Literal["new"],
    represented_organisation: Customer | Literal["new"] | None,
    paying_organisation: Customer | Literal["new", "represented"],
    paying_changes: dict[str, Any] | None = None,
) -> Registration:
    """Link the registration to a person, its represented and paying organisations, and bill it.

    `"new"` creates the person or organisation from what the participant typed; the
    paying organisation's corrections (address, org number, VAT number, Peppol ID)
    are written through parties' checks. One transaction: any refusal writes nothing.
    """
    registration = _locked_registration(registration)
    company = registration.company
    for field, value in (
        ("participant", participant),
        ("represented_organisation", represented_organisation),
        ("paying_organisation", paying_organisation),
    ):
        if isinstance(value, Customer):
            _same_company(company, **{field: value})
    if registration.status not in (RegistrationStatus.RECEIVED, RegistrationStatus.PROCESSED):
        raise StateConflict(
            _("This registration is %(status)s; only received registrations are processed.")
            % {"status": str(RegistrationStatus(registration.status).label).lower()}
        )
    item = _locked_item("course_registration", registration)
    paying_changes = {k: v for k, v in (paying_changes or {}).items() if k in PAYING_CHANGE_FIELDS}

    if participant == NEW:
        with _prefixed("participant_"):
            participant = customer_create(
                company=company,
                kind=CustomerKind.PERSON,
                name=registration.name,
                email=registration.email,
                phone=registration.phone,
                personnummer=registration.personnummer,
                language=registration.language,
            )
    elif participant.kind != CustomerKind.PERSON:
        raise ValidationFailed({"participant": [_("The participant is a person.")]})

    new_org = _organisation_from_registration(registration)
    if represented_organisation == NEW:
        # When it also pays, the corrections typed in the paying fields are checked here: show errors there.
        with _prefixed("paying_" if paying_organisation == SAME else "represented_"):
            represented_organisation = customer_create(
                company=company,
                kind=CustomerKind.ORGANISATION,
                **(new_org | (paying_changes if paying_organisation == SAME else {})),
            )
    if isinstance(represented_organisation, Customer):
        if represented_organisation.kind != CustomerKind.ORGANISATION:
            raise ValidationFailed({"represented_organisation": [_("Choose an organisation.")]})
        organisation_member_add(organisation=represented_organisation, person=participant)

    if paying_organisation == SAME:
        if represented_organisation is None:
            raise ValidationFailed({"paying_organisation": [_("There is no represented organisation to bill.")]})
        paying_organisation = represented_organisation
    if paying_organisation == NEW:
        with _prefixed("paying_"):
            paying_organisation = customer_create(
                company=company, kind=CustomerKind.ORGANISATION, **(new_org | paying_changes)
            )
    elif paying_changes:
        if paying_organisation.kind != CustomerKind.ORGANISATION:
            raise ValidationFailed({"paying_organisation": [_("The paying organisation is an organisation.")]})
        changed = {k: v for k, v in paying_changes.items() if getattr(paying_organisation, k) != v}
        if changed:
            with _prefixed("paying_"):
                paying_organisation = customer_update(customer=paying_organisation, **changed)
    if paying_organisation.kind != CustomerKind.ORGANISATION:
        raise ValidationFailed({"paying_organisation": [_("The paying organisation is an organisation.")]})

    if item is not None and item.status == BasisItemStatus.INVOICED and item.customer_id != paying_organisation.pk:
        raise StateConflict(_(COURSE_REGISTRATIONS.invoiced_message))
    move_registration(
        registration,
        to=RegistrationStatus.PROCESSED,
        participant=participant,
        represented_organisation=represented_organisation,
        paying_organisation=paying_organisation,
        processed_by=actor,
        processed_at=timezone.now(),
    )
    basis_item_sync(source=COURSE_REGISTRATIONS, row=registration, actor=actor)
    return registration


@retrying_atomic
def registration_cancel(*, registration: Registration, actor: Any = None) -> Registration:
    """Cancel: an item still in the basis leaves it; an invoiced one stays, to be credited."""
    registration = _locked_registration(registration)
    move_registration(registration, to=RegistrationStatus.CANCELLED)
    basis_item_sync(source=COURSE_REGISTRATIONS, row=registration, actor=actor)
    return registration


def registration_invoice_line(registration: Registration) -> InvoiceLine | None:
    """The invoice line that billed this registration, if it was invoiced."""
    return (
        InvoiceLine.objects.select_related("invoice")
        .filter(basis_item__course_registration=registration, basis_item__status=BasisItemStatus.INVOICED)
        .first()
    )


@retrying_atomic
def registration_credit(*, registration: Registration, actor: Any, reason: str = "") -> Invoice:
    """The credit note a cancelled, invoiced registration offers: its line, in full."""
    registration = _locked_registration(registration)
    if registration.status != RegistrationStatus.CANCELLED:
        raise StateConflict(_("Cancel the registration before crediting it."))
    line = registration_invoice_line(registration)
    if line is None:
        raise StateConflict(_("This registration was never invoiced; there is nothing to credit."))
    already = InvoiceLine.objects.filter(credited_line=line).exists()
    if already:
        raise StateConflict(_("This registration has already been credited."))
    return credit_note_create(
        invoice=line.invoice,
        actor=actor,
        quantities={line.pk: line.quantity},
        reason=reason or _("Course registration cancelled: %(name)s") % {"name": registration.name},
    )


# --- the basis sent to an accounting system ------------------------------------------------------------


def course_basis_export(
    *, company: Company, rows: list[dict[str, Any]], scope: dict[str, Any], actor: Any = None
) -> int:
    """Send the basis report's rows to the accounting system: publishes
    course_basis.exported (courses/events.py), which webhooks passes on to every
    endpoint of the company subscribed to it.

    Returns how many receivers took it (one per webhook endpoint); zero means no
    integration listens, and the caller says so (the report is then downloaded instead).
    """
    if not rows:
        raise DomainError(_("The basis is empty for this choice; there is nothing to send."))
    receipts: list[dict] = []
    publish(COURSE_BASIS_EXPORTED, company_id=company.pk, actor=actor, scope=scope, rows=rows, receipts=receipts)
    return len(receipts)
