"""Products: what the company sells, checked by catalog.services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from fakturera.api.v1.common import ERRORS, IDEMPOTENT, WRITE_ERRORS, company_of, get_or_404, page, write
from fakturera.api.v1.schemas import PageQuery, ProductIn, ProductOut, ProductPage, ProductPatch
from fakturera.catalog.models import Product
from fakturera.catalog.services import catalog_item_save

router = Router(tags=["products"])


@router.get("", response={200: ProductPage, **ERRORS}, summary="List products")
def product_list(request: HttpRequest, query: Query[PageQuery]) -> Any:
    qs = Product.objects.filter(company=company_of(request)).order_by("name", "pk")
    return page(qs, limit=query.limit, offset=query.offset, item=ProductOut.model_validate)


@router.post("", response={201: ProductOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Create a product")
def product_create(request: HttpRequest, payload: ProductIn) -> HttpResponse:
    company = company_of(request)
    fields = payload.model_dump()
    return write(
        request,
        status=201,
        action=lambda: ProductOut.model_validate(catalog_item_save(model=Product, company=company, **fields)),
    )


@router.get("/{product_id}", response={200: ProductOut, **ERRORS}, summary="Get a product")
def product_get(request: HttpRequest, product_id: int) -> Any:
    company = company_of(request)
    return get_or_404(Product.objects.all(), company, product_id)


@router.patch(
    "/{product_id}", response={200: ProductOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENT, summary="Change a product"
)
def product_update(request: HttpRequest, product_id: int, payload: ProductPatch) -> HttpResponse:
    company = company_of(request)
    product = get_or_404(Product.objects.all(), company, product_id)
    fields = payload.model_dump(exclude_unset=True)
    return write(
        request,
        status=200,
        action=lambda: ProductOut.model_validate(
            catalog_item_save(model=Product, company=company, instance=product, **fields)
        ),
    )
