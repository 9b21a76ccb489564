"""REST API v1: /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

The HTTP interface only: each resource module reads the request, calls one
service or selector of its app, and shapes the answer. Every lookup is scoped to
the key's company, so another company's id is a 404.
"""

from ninja import NinjaAPI

from fakturera.api.v1 import basis, customers, errors, invoices, products, query
from fakturera.api.v1.auth import ApiKeyAuth
from fakturera.api.v1.common import JsonParser

api = NinjaAPI(
    title="Fakturera API",
    version="1",
    description=(
        "Invoicing for Nordic organisations. Authenticate with `Authorization: Bearer fk_<prefix>_<secret>` "
        "(an administrator creates keys under Settings → API). Writes accept an `Idempotency-Key` header. "
        "Money, prices, quantities and rates are decimal strings."
    ),
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    parser=JsonParser(),
)
errors.install(api)
api.add_decorator(query.note_unknown, mode="view")
api.add_decorator(query.refuse_unknown, mode="operation")
api.add_router("/persons", customers.persons)
api.add_router("/organisations", customers.organisations)
api.add_router("/customers", basis.router)
api.add_router("/products", products.router)
api.add_router("/invoices", invoices.router)
