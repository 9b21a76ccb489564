"""Persons and organisations: the company's customers, checked by parties.services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from fakturera.api.v1.common import ERRORS, IDEMPOTENT, WRITE_ERRORS, company_of, get_or_404, page, write
from fakturera.api.v1.errors import NotFoundField
from fakturera.api.v1.schemas import (
    CustomerQuery,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
)
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.services import customer_create, customer_update

persons = Router(tags=["persons"])
organisations = Router(tags=["organisations"])


def _customers(company: Company, kind: str) -> Any:
    return Customer.objects.filter(company=company, kind=kind)


def _list(request: HttpRequest, kind: str, query: CustomerQuery, schema: Any) -> dict[str, Any]:
    qs = _customers(company_of(request), kind).order_by("name", "pk")
    if query.q.strip():
        qs = qs.filter(name__icontains=query.q.strip())
    return page(qs, limit=query.limit, offset=query.offset, item=schema.model_validate)


def _reference(company: Company, fields: dict[str, Any]) -> dict[str, Any]:
    """invoice_reference_id -> the person, when it is one of the company's persons."""
    if "invoice_reference_id" not in fields:
        return fields
    reference_id = fields.pop("invoice_reference_id")
    if reference_id is None:
        fields["invoice_reference"] = None
        return fields
    person = _customers(company, CustomerKind.PERSON).filter(pk=reference_id).first()
    if person is None:
        raise NotFoundField(_("There is no person with this id."), field="invoice_reference_id")
    fields["invoice_reference"] = person
    return fields


# --- persons -------------------------------------------------------------------------------------


@persons.get("", response={200: PersonPage, **ERRORS}, summary="List persons")
def person_list(request: HttpRequest, query: Query[CustomerQuery]) -> Any:
    return _list(request, CustomerKind.PERSON, query, PersonOut)


@persons.post("", response={201: PersonOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Create a person")
def person_create(request: HttpRequest, payload: PersonIn) -> HttpResponse:
    company = company_of(request)
    fields = payload.model_dump()
    return write(
        request,
        status=201,
        action=lambda: PersonOut.model_validate(customer_create(company=company, kind=CustomerKind.PERSON, **fields)),
    )


@persons.get("/{person_id}", response={200: PersonOut, **ERRORS}, summary="Get a person")
def person_get(request: HttpRequest, person_id: int) -> Any:
    return get_or_404(_customers(company_of(request), CustomerKind.PERSON), company_of(request), person_id)


@persons.patch(
    "/{person_id}", response={200: PersonOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Change a person"
)
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch) -> HttpResponse:
    company = company_of(request)
    person = get_or_404(_customers(company, CustomerKind.PERSON), company, person_id)
    fields = payload.model_dump(exclude_unset=True)
    return write(
        request, status=200, action=lambda: PersonOut.model_validate(customer_update(customer=person, **fields))
    )


# --- organisations -------------------------------------------------------------------------------


@organisations.get("", response={200: OrganisationPage, **ERRORS}, summary="List organisations")
def organisation_list(request: HttpRequest, query: Query[CustomerQuery]) -> Any:
    return _list(request, CustomerKind.ORGANISATION, query, OrganisationOut)


@organisations.post(
    "", response={201: OrganisationOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Create an organisation"
)
def organisation_create(request: HttpRequest, payload: OrganisationIn) -> HttpResponse:
    company = company_of(request)

    def action() -> OrganisationOut:
        fields = _reference(company, payload.model_dump())
        return OrganisationOut.model_validate(
            customer_create(company=company, kind=CustomerKind.ORGANISATION, **fields)
        )

    return write(request, status=201, action=action)


@organisations.get("/{organisation_id}", response={200: OrganisationOut, **ERRORS}, summary="Get an organisation")
def organisation_get(request: HttpRequest, organisation_id: int) -> Any:
    company = company_of(request)
    return get_or_404(_customers(company, CustomerKind.ORGANISATION), company, organisation_id)


@organisations.patch(
    "/{organisation_id}",
    response={200: OrganisationOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Change an organisation",
)
def organisation_update(request: HttpRequest, organisation_id: int, payload: OrganisationPatch) -> HttpResponse:
    company = company_of(request)
    organisation = get_or_404(_customers(company, CustomerKind.ORGANISATION), company, organisation_id)

    def action() -> OrganisationOut:
        fields = _reference(company, payload.model_dump(exclude_unset=True))
        return OrganisationOut.model_validate(customer_update(customer=organisation, **fields))

    return write(request, status=200, action=action)
