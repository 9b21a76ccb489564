"""Many issued invoices with their PDFs already stored, fast: for the kill test and the
send_email benchmark. One invoice is made and rendered the normal way; the others are
bulk copies of it for other customers (same PDF bytes, their own numbers)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fakturera.core.bulk import bulk_insert
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_get
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.invoicing.services import invoice_create_draft, invoice_issue
from fakturera.parties.models import Company, Customer, CustomerKind


def issued_invoices_with_pdfs(*, company: Company, actor: Any, n: int, domain: str = "post.example") -> list[int]:
    """`n` issued invoices (ids in number order), each with its PDF in the company's layout stored."""
    first_customer = Customer.objects.create(
        company=company, kind=CustomerKind.PERSON, number=900_000, name="Kund 0", email=f"kund0@{domain}"
    )
    first = invoice_create_draft(
        company=company,
        customer=first_customer,
        actor=actor,
        lines=[
            {"description": "Behandling", "quantity": "1", "unit_price": "950", "vat_category": "E", "vat_rate": "0"}
        ],
    )
    first = invoice_issue(invoice=first, actor=actor, issued_on=timezone.localdate())
    pdf = bytes(document_get(invoice=first, fmt=DocumentFormat.PDF).content)
    if n == 1:
        return [first.pk]
    bulk_insert(
        Customer,
        ("company_id", "kind", "number", "name", "email"),
        ((company.pk, CustomerKind.PERSON, 900_000 + i, f"Kund {i}", f"kund{i}@{domain}") for i in range(1, n)),
    )
    customers = list(
        Customer.objects.filter(company=company, number__gt=900_000).order_by("number").values_list("pk", flat=True)
    )
    now = timezone.now()
    numbers = range(first.number + 1, first.number + n)
    bulk_insert(
        Invoice,
        (
            "company_id", "customer_id", "kind", "status", "series_id", "number", "currency", "language",
            "issued_on", "due_on", "payment_reference", "net_amount", "total_amount", "seller", "buyer",
            "issued_at", "created_by_id",
        ),
        (
            (
                company.pk, customer_id, "invoice", "issued", first.series_id, number, "SEK", "sv",
                first.issued_on, first.issued_on + dt.timedelta(days=30), str(number), Decimal("950.00"),
                Decimal("950.00"), first.seller, first.buyer, now, getattr(actor, "pk", None),
            )
            for customer_id, number in zip(customers, numbers, strict=True)
        ),
    )  # fmt: skip
    NumberSeries.objects.filter(pk=first.series_id).update(next_number=first.number + n)
    ids = [
        first.pk,
        *Invoice.objects.filter(series_id=first.series_id, number__gt=first.number)
        .order_by("number")
        .values_list("pk", flat=True),
    ]
    digest = hashlib.sha256(pdf).hexdigest()
    rows = Invoice.objects.filter(pk__in=ids[1:]).values_list("pk", "customer_id")
    bulk_insert(
        InvoiceDocument,
        ("company_id", "invoice_id", "customer_id", "format", "template", "content", "sha256", "size"),
        ((company.pk, pk, customer_id, "pdf", company.pdf_template, pdf, digest, len(pdf)) for pk, customer_id in rows),
    )
    return ids
