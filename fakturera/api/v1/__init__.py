"""REST API v1: /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

The HTTP interface only: each resource module reads the request, calls one
service or selector of its app, and shapes the answer. Every lookup is scoped to
the key's company, so another company's id is a 404.
"""

from csp.constants import SELF
from csp.decorators import csp_update
from ninja import NinjaAPI, Swagger

from fakturera.api.v1 import (
    basis,
    bookkeeping,
    collections,
    customers,
    debt_collection,
    errors,
    exchange_rates,
    invoices,
    payments,
    products,
    query,
    tasks,
)
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
    # The docs work offline and under the Content-Security-Policy: Swagger UI's files are
    # django-ninja's static files (the "ninja" app, settings.py), its validator badge (an image
    # from validator.swagger.io) is off, and this page alone may show the data: icons of
    # Swagger UI's stylesheet. Tests: api/tests/test_api_docs_browser.py.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_decorator=csp_update({"img-src": [SELF, "data:"]}),
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
api.add_router("/payments", payments.router)
api.add_router("/payment-files", payments.files)
api.add_router("/payment-imports", payments.imports)
api.add_router("/exchange-rates", exchange_rates.router)
api.add_router("/reminder-policies", collections.policies)
api.add_router("/invoices", collections.invoice_reminders)
api.add_router("/reminder-pauses", collections.pauses)
api.add_router("/reminders", collections.reminders)
api.add_router("/reminder-runs", collections.runs)
api.add_router("/statutory-rates", collections.rates)
api.add_router("/interest-invoices", collections.interest_invoices)
api.add_router("/collection-claims", debt_collection.router)
api.add_router("/tasks", tasks.router)
api.add_router("/vouchers", bookkeeping.vouchers)
api.add_router("/sie", bookkeeping.sie)
api.add_router("/journal", bookkeeping.journal)
