"""Writes to companies, staff roles and customers. Each checks every identifier
first and writes nothing when one is wrong."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError, ErrorCollector
from fakturera.core.events import publish
from fakturera.core.identifiers import (
    clean_bankgiro,
    clean_bic,
    clean_gln,
    clean_iban,
    clean_organisation_number,
    clean_peppol_id,
    clean_personnummer,
    clean_vat_number,
)
from fakturera.core.money import CURRENCIES
from fakturera.core.text import check_texts
from fakturera.parties.events import COMPANY_CREATED
from fakturera.parties.keys import api_keys_disable_of
from fakturera.parties.models import (
    AdvanceUnit,
    Channel,
    Company,
    CompanyUser,
    Customer,
    CustomerKind,
    OrganisationMember,
    Role,
)
from fakturera.parties.terms import (
    cash_discount_problem,
    clean_discount_days,
    clean_discount_percent,
    effective_discount,
)

COMPANY_FIELDS = {
    "name", "country", "org_number", "vat_number", "is_f_tax_approved", "bankgiro", "iban", "bic",
    "peppol_id", "email", "phone", "website", "address_line1", "address_line2", "postal_code", "city",
    "brand_colour", "basis_source", "payment_terms_days", "default_currency", "is_rounding_to_whole_units",
    "issue_days_ahead", "cash_discount_percent", "cash_discount_days",
    "has_ocr_length_digit", "is_invoicing_organisation_of_person", "logo", "pdf_template", "is_embedding_pdf_in_ubl",
    "has_period_text", "period_text_template", "period_advance_factor", "period_advance_unit",
    "requires_two_factor",
}  # fmt: skip

CUSTOMER_FIELDS = {
    "name", "email", "phone", "language", "relationship_manager", "preferred_channel", "personnummer",
    "invoice_email",
    "org_number", "vat_number", "peppol_id", "gln", "invoice_reference", "notes", "payment_terms_days",
    "cash_discount_percent", "cash_discount_days", "address_line1", "address_line2", "postal_code", "city", "country",
}  # fmt: skip


def _unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, code="unknown_field")


def _clean_company(data: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorCollector()
    with errors.check():
        check_texts(data)
    country = data.get("country", "SE")
    if not (data.get("name") or "").strip():
        errors.add("name", _("The company needs a name."))
    if "org_number" in data:
        with errors.check():
            data["org_number"] = clean_organisation_number(data["org_number"], country=country)
            if not data["org_number"]:
                errors.add("org_number", _("The company needs an organisation number."))
    for field, cleaner in (("bankgiro", clean_bankgiro), ("iban", clean_iban), ("bic", clean_bic)):
        if field in data:
            with errors.check():
                data[field] = cleaner(data[field])
    if "vat_number" in data:
        with errors.check():
            data["vat_number"] = clean_vat_number(data["vat_number"], country=country)
    if "peppol_id" in data:
        with errors.check():
            data["peppol_id"] = clean_peppol_id(data["peppol_id"])
    if data.get("default_currency", "SEK") not in CURRENCIES:
        errors.add("default_currency", _("Unknown currency."))
    terms = data.get("payment_terms_days", 30)
    if terms is None or not 0 <= int(terms) <= 365:
        errors.add("payment_terms_days", _("Payment terms are 0 to 365 days."))
    if "payment_terms_days" not in errors.errors:
        _clean_discount(data, errors, terms_days=int(terms), company=None)
    ahead = data.get("issue_days_ahead", 30)
    if ahead is None or not 0 <= int(ahead) <= 365:
        errors.add("issue_days_ahead", _("An invoice may be dated 0 to 365 days ahead."))
    if "period_text_template" in data:
        data["period_text_template"] = (data["period_text_template"] or "").strip()
        if data.get("has_period_text") and not data["period_text_template"]:
            errors.add("period_text_template", _("Write the period text, such as “Period [START] to [END]”."))
    advance = data.get("period_advance_factor", 0)
    if advance is None or not 0 <= int(advance) <= 365:
        errors.add("period_advance_factor", _("The advance is 0 to 365."))
    if data.get("period_advance_unit", AdvanceUnit.WEEKS) not in AdvanceUnit.values:
        errors.add("period_advance_unit", _("The advance is in days, weeks or months."))
    errors.raise_if_any()
    return data


@transaction.atomic
def company_create(*, actor: AbstractBaseUser | None, **fields: Any) -> Company:
    """A new company; the actor becomes its admin. `company.created` is published in the same
    transaction (invoicing gives the company its number series)."""
    _unknown(fields, COMPANY_FIELDS)
    data = _clean_company(dict(fields))
    if Company.objects.filter(country=data.get("country", "SE"), org_number=data["org_number"]).exists():
        raise DomainError(_("A company with this organisation number already exists."), field="org_number")
    company = Company.objects.create(**data)
    publish(COMPANY_CREATED, company_id=company.pk, actor=actor, company=company)
    if actor is not None:
        CompanyUser.objects.create(company=company, user=actor, role=Role.ADMIN)
    return company


@transaction.atomic
def company_update(*, company: Company, **fields: Any) -> Company:
    _unknown(fields, COMPANY_FIELDS)
    current = {name: getattr(company, name) for name in COMPANY_FIELDS if name != "logo"}
    data = _clean_company({**current, **fields})
    taken = Company.objects.filter(country=data["country"], org_number=data["org_number"]).exclude(pk=company.pk)
    if taken.exists():
        raise DomainError(_("Another company already has this organisation number."), field="org_number")
    for name in fields:
        setattr(company, name, data[name])
    company.save()
    return company


def _is_last_admin(membership: CompanyUser) -> bool:
    others = CompanyUser.objects.filter(company_id=membership.company_id, role=Role.ADMIN).exclude(pk=membership.pk)
    return membership.role == Role.ADMIN and not others.exists()


def company_user_add(*, company: Company, user: AbstractBaseUser, role: str) -> CompanyUser:
    """A user's role in a company they do not work for yet. Only for an accepted invitation
    (invitations.py) and the demo data: an administrator never attaches a login directly."""
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    membership, _created = CompanyUser.objects.get_or_create(company=company, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def company_user_set(*, company: Company, user: AbstractBaseUser, role: str) -> CompanyUser:
    """Change a member's role; a company always keeps an administrator. An administrator who
    stops being one has their API keys disabled for review (keys.api_keys_disable_of)."""
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    membership = CompanyUser.objects.select_for_update().filter(company=company, user=user).first()
    if membership is None:
        raise DomainError(_("This user does not work for the company; invite them by e-mail."))
    if role != Role.ADMIN and _is_last_admin(membership):
        raise DomainError(_("The company needs at least one administrator; make someone else one first."), field="role")
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        api_keys_disable_of(company=company, user=user)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def company_user_remove(*, company: Company, user: AbstractBaseUser) -> None:
    """Take a user's access to the company away (their login and other companies stay); the
    API keys they answer for are disabled for review (keys.api_keys_disable_of)."""
    membership = CompanyUser.objects.select_for_update().filter(company=company, user=user).first()
    if membership is None:
        return
    if _is_last_admin(membership):
        raise DomainError(_("The company needs at least one administrator; make someone else one first."))
    api_keys_disable_of(company=company, user=user)
    membership.delete()


def _clean_customer(company: Company, kind: str, data: dict[str, Any], instance: Customer | None) -> dict[str, Any]:
    errors = ErrorCollector()
    if kind not in CustomerKind.values:
        raise DomainError(_("A customer is a person or an organisation."), field="kind")
    with errors.check():
        check_texts(data, multiline={"notes"})
    if not (data.get("name") or "").strip():
        errors.add("name", _("The customer needs a name."))
    else:
        data["name"] = data["name"].strip()
    country = data.get("country") or company.country
    if kind == CustomerKind.PERSON:
        for field in ("org_number", "vat_number", "peppol_id", "gln"):
            if data.get(field):
                errors.add(field, _("Only organisations have this field."))
            data[field] = ""
        if data.get("invoice_reference"):
            errors.add("invoice_reference", _("Only organisations have an invoice reference person."))
        data["invoice_email"] = (data.get("invoice_email") or "").strip()
        if data["invoice_email"]:
            try:
                validate_email(data["invoice_email"])
            except ValidationError:
                errors.add("invoice_email", _("Enter a valid e-mail address."))
        with errors.check():
            data["personnummer"] = clean_personnummer(data.get("personnummer", ""))
    else:
        if data.get("personnummer"):
            errors.add("personnummer", _("Organisations have an organisation number, not a personnummer."))
        data["personnummer"] = ""
        if data.get("invoice_email"):
            errors.add("invoice_email", _("An organisation's invoices go to its e-mail; this field is for persons."))
        data["invoice_email"] = ""
        with errors.check():
            data["org_number"] = clean_organisation_number(data.get("org_number", ""), country=country)
        with errors.check():
            data["vat_number"] = clean_vat_number(data.get("vat_number", ""), country=country)
        with errors.check():
            data["peppol_id"] = clean_peppol_id(data.get("peppol_id", ""))
        with errors.check():
            data["gln"] = clean_gln(data.get("gln", ""))
        reference = data.get("invoice_reference")
        if reference is not None and (reference.company_id != company.pk or reference.kind != CustomerKind.PERSON):
            errors.add("invoice_reference", _("The invoice reference must be a person of this company."))
    if data.get("preferred_channel") == Channel.PEPPOL and not data.get("peppol_id"):
        # Routing sends on Peppol only to a Peppol ID (distribution/channels/peppol.py); an
        # address made of other identifiers may belong to no one on the network (issue 13).
        errors.add(
            "preferred_channel",
            _("Peppol e-invoices need the customer's Peppol ID; enter it, or choose another channel."),
        )
    manager = data.get("relationship_manager")
    if manager is not None and not CompanyUser.objects.filter(company=company, user=manager).exists():
        errors.add("relationship_manager", _("The relationship manager must work for this company."))
    terms = data.get("payment_terms_days")
    if terms is not None and not 0 <= int(terms) <= 365:
        errors.add("payment_terms_days", _("Payment terms are 0 to 365 days."))
    elif data.get("cash_discount_percent") is not None or data.get("cash_discount_days") is not None:
        _clean_discount(data, errors, terms_days=company.payment_terms_days if terms is None else int(terms),
                        company=company)  # fmt: skip
    else:
        data["cash_discount_percent"] = data["cash_discount_days"] = None
    errors.raise_if_any()
    return data


def _clean_discount(data: dict[str, Any], errors: ErrorCollector, *, terms_days: int, company: Company | None) -> None:
    """The cash discount of the company (`company` None: both values required) or of a customer
    (either may be empty: the company's), checked with the terms it goes with (parties.terms)."""
    cleaned: dict[str, Any] = {}
    for name, cleaner, default in (
        ("cash_discount_percent", clean_discount_percent, Decimal("0.00")),
        ("cash_discount_days", clean_discount_days, 0),
    ):
        value = data.get(name)
        if value is None or value == "":
            cleaned[name] = default if company is None else None
            continue
        with errors.check():
            cleaned[name] = cleaner(value)
    data.update(cleaned)
    if len(cleaned) < 2:
        return
    percent, days = cleaned["cash_discount_percent"], cleaned["cash_discount_days"]
    if company is not None:
        percent, days = effective_discount(
            own_percent=percent,
            own_days=days,
            company_percent=company.cash_discount_percent,
            company_days=company.cash_discount_days,
        )
    problem = cash_discount_problem(percent=percent, days=days, terms_days=terms_days)
    if problem is not None:
        errors.add(*problem)


def _next_customer_number(company: Company) -> int:
    return (Customer.objects.filter(company=company).aggregate(n=Max("number"))["n"] or 1000) + 1


@transaction.atomic
def customer_create(*, company: Company, kind: str, **fields: Any) -> Customer:
    _unknown(fields, CUSTOMER_FIELDS)
    data = _clean_customer(company, kind, dict(fields), None)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return Customer.objects.create(
                    company=company, kind=kind, number=_next_customer_number(company), **data
                )
        except IntegrityError:
            continue  # another customer took the number at the same moment
    raise DomainError(_("Could not assign a customer number; try again."))


@transaction.atomic
def customer_update(*, customer: Customer, **fields: Any) -> Customer:
    _unknown(fields, CUSTOMER_FIELDS)
    current = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
    data = _clean_customer(customer.company, customer.kind, {**current, **fields}, customer)
    for name in fields:
        setattr(customer, name, data[name])
    customer.save()
    return customer


def organisation_member_add(*, organisation: Customer, person: Customer, title: str = "") -> OrganisationMember:
    if organisation.kind != CustomerKind.ORGANISATION or person.kind != CustomerKind.PERSON:
        raise DomainError(_("A person can be a member of an organisation, nothing else."))
    check_texts({"title": title})
    if organisation.company_id != person.company_id:
        raise DomainError(_("The person and the organisation belong to different companies."))
    member, _created = OrganisationMember.objects.update_or_create(
        organisation=organisation, person=person, defaults={"title": title}
    )
    return member


def organisation_member_remove(*, organisation: Customer, person: Customer) -> None:
    OrganisationMember.objects.filter(organisation=organisation, person=person).delete()
    if organisation.invoice_reference_id == person.pk:
        Customer.objects.filter(pk=organisation.pk).update(invoice_reference=None)
