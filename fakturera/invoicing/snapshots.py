"""The seller's and buyer's details as they were when an invoice was issued."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from fakturera.invoicing.models import NumberSeries
from fakturera.parties.models import Company, Customer
from fakturera.parties.recipients import invoice_recipient, invoice_recipients


def seller_snapshot(company: Company, series: NumberSeries) -> dict[str, Any]:
    return {
        "name": company.name,
        "org_number": company.org_number,
        "vat_number": company.vat_number,
        "is_f_tax_approved": company.is_f_tax_approved,
        "address_line1": company.address_line1,
        "address_line2": company.address_line2,
        "postal_code": company.postal_code,
        "city": company.city,
        "country": company.country,
        "bankgiro": company.bankgiro,
        "iban": company.iban,
        "bic": company.bic,
        "peppol_id": company.peppol_id,
        "email": company.email,
        "phone": company.phone,
        "website": company.website,
        "logo": company.logo.name if company.logo else "",
        "brand_colour": company.brand_colour,
        "series_prefix": series.prefix,
    }


# The customer's fields an issued invoice keeps, besides the invoice reference's name and
# the recipient: the address block of the paper, decided as the delivery decides it
# (parties.recipients), which differs from the buyer when a person's organisation is invoiced.
BUYER_FIELDS = (
    "kind", "number", "name", "org_number", "vat_number", "peppol_id", "gln", "email", "phone",
    "address_line1", "address_line2", "postal_code", "city", "country",
)  # fmt: skip


def buyer_snapshot(customer: Customer, *, company: Company | None = None) -> dict[str, Any]:
    reference = customer.invoice_reference
    return {
        **{name: getattr(customer, name) for name in BUYER_FIELDS},
        "reference_name": reference.name if reference else "",
        "recipient": invoice_recipient(customer, company=company).as_snapshot(),
    }


def buyer_snapshots(
    customers: QuerySet[Customer], *extra: str, company: Company
) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """Many customers' snapshots read in one query, without building Customer objects, and
    their recipients in two more: customer id -> (snapshot, the `extra` fields), for
    registering thousands at once."""
    rows = list(customers.values("pk", *BUYER_FIELDS, *extra, reference_name=F("invoice_reference__name")))
    recipients = invoice_recipients(company=company, customer_ids=[row["pk"] for row in rows])
    result = {}
    for row in rows:
        snapshot = {name: row[name] for name in BUYER_FIELDS}
        snapshot["reference_name"] = row["reference_name"] or ""
        snapshot["recipient"] = recipients[row["pk"]].as_snapshot()
        result[row["pk"]] = (snapshot, {name: row[name] for name in extra})
    return result
