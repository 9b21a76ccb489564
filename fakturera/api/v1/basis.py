"""A customer's invoice basis: the open items, what they would total, and manual lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from fakturera.api.v1.common import ERRORS, IDEMPOTENT, WRITE_ERRORS, actor_of, company_of, get_or_404, write
from fakturera.api.v1.schemas import BasisItemIn, BasisItemOut, BasisOut
from fakturera.billables.services import basis_item_add
from fakturera.invoicing.selectors import basis_with_totals
from fakturera.parties.models import Customer

router = Router(tags=["basis"])
ZERO = Decimal("0.00")


@router.get("/{customer_id}/basis", response={200: BasisOut, **ERRORS}, summary="A customer's open basis items")
def basis_get(request: HttpRequest, customer_id: int) -> Any:
    company = company_of(request)
    customer = get_or_404(Customer.objects.all(), company, customer_id)
    groups = basis_with_totals(company=company, customer_ids=[customer.pk])
    if not groups:
        return {
            "customer_id": customer.pk,
            "currency": None,
            "net_amount": ZERO,
            "vat_amount": ZERO,
            "rounding_amount": ZERO,
            "total_amount": ZERO,
            "items": [],
        }
    (group,) = groups
    return {
        "customer_id": customer.pk,
        "currency": group.currency,
        **group.totals.as_fields(),
        "items": group.items,
    }


@router.post(
    "/{customer_id}/basis",
    response={201: BasisItemOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Add a manual line to a customer's basis",
)
def basis_item_create(request: HttpRequest, customer_id: int, payload: BasisItemIn) -> HttpResponse:
    company = company_of(request)
    customer = get_or_404(Customer.objects.all(), company, customer_id)
    fields = {name: value for name, value in payload.model_dump().items() if value is not None}
    return write(
        request,
        status=201,
        action=lambda: BasisItemOut.model_validate(
            basis_item_add(company=company, customer=customer, actor=actor_of(request), **fields)
        ),
    )
