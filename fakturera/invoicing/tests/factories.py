"""Invoices and credit notes for tests, made through the public services of
fakturera.invoicing.services as staff, the API or a basis run make them: drafts with
`invoice_create_draft`, issued with `invoice_issue` (or `invoice_create_issued` at once),
registered from the basis with `invoices_register_from_basis`, credited with
`credit_note_create`. Nothing here writes an invoice row by hand, except the bulk copies
of `issued_invoices_with_pdfs`, which exist for speed and say so.

Plain functions for the usual case (a company and a user in hand):

    issued_invoice(company, user, "800")                 # one line of 800 at 25 %
    issued_invoice(company, user, "450", quantity="2", description="Konsultation")
    issued_invoice(company, user, lines=[...], customer=org, buyer_reference="P-42")
    draft_invoice(company, user, "100")
    credit_note(invoice, user, quantities={line.pk: Decimal("1")})
    basis_registered(company, user, "100.00", name="Anna Berg")
    exchange_rates(company)                              # EUR, NOK, DKK rates for ISSUED_ON

and factory_boy factories (`DraftInvoiceFactory`, `IssuedInvoiceFactory`) for tests that
care little about whose invoice it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from fakturera.billables.tests.factories import add_lines
from fakturera.core.bulk import bulk_insert
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_bytes, document_get
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.invoicing.services import (
    RateIn,
    credit_note_create,
    exchange_rates_save,
    invoice_create_draft,
    invoice_create_issued,
    invoice_issue,
    invoices_register_from_basis,
)
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory

ISSUED_ON = dt.date(2026, 11, 20)


def line(
    description: str = "Behandling", price: str = "800", *, quantity: str = "1", vat_rate: str = "25", **extra: Any
) -> dict[str, Any]:
    """One invoice line as the services take it (VAT category S unless `vat_category` says otherwise)."""
    return {"description": description, "quantity": quantity, "unit_price": price, "vat_rate": vat_rate, **extra}


# SEK per one unit, of the kind the Riksbank publishes (made up, not a real day's rates).
RATES = {"EUR": "11.4321", "NOK": "0.9612", "DKK": "1.5327"}


def exchange_rates(company: Company, *, on: dt.date | None = ISSUED_ON, **rates: str) -> None:
    """The company's exchange rates for `on` (today when None): RATES, or the ones given
    (`EUR="11.20"`), which a Swedish seller's invoice in that currency with VAT needs to be issued."""
    day = on or timezone.localdate()
    exchange_rates_save(
        company=company,
        actor=None,
        rates=[RateIn(currency, day, rate) for currency, rate in (rates or RATES).items()],
    )


# Two consultations at 25 %: 900.00 net, 1,125.00 in all.
CONSULTATION = line("Konsultation", "450", quantity="2")


def _lines(
    prices: tuple[str, ...], lines: list[dict[str, Any]] | None, description: str, quantity: str, vat_rate: str
) -> list[dict[str, Any]]:
    if lines is not None:
        return lines
    return [line(description, price, quantity=quantity, vat_rate=vat_rate) for price in prices or ("800",)]


class DraftInvoiceFactory(factory.Factory):
    """A draft through `invoice_create_draft`: by default one line of 800 at 25 % to a new
    person of a new company, made by an administrator of it. Header fields (currency,
    buyer_reference, payment_terms_days ...) pass through to the service."""

    class Meta:
        model = Invoice

    company = factory.SubFactory(CompanyFactory)
    customer = factory.SubFactory(PersonFactory, company=factory.SelfAttribute("..company"))
    actor = factory.LazyAttribute(lambda draft: StaffFactory(company=draft.company, role="admin").user)
    lines = factory.LazyFunction(lambda: [line()])

    @classmethod
    def _create(cls, model_class: type[Invoice], **fields: Any) -> Invoice:
        return invoice_create_draft(**fields)


class IssuedInvoiceFactory(DraftInvoiceFactory):
    """An issued invoice: a draft issued with `invoice_issue` on `issued_on`, or with
    `at_once=True` created issued in one call by `invoice_create_issued` (the API's
    `"issue": true`). `issued_on=None` issues it today."""

    issued_on = ISSUED_ON
    at_once = False

    @classmethod
    def _create(
        cls, model_class: type[Invoice], *, actor: Any, issued_on: dt.date | None, at_once: bool, **fields: Any
    ) -> Invoice:
        if at_once:
            return invoice_create_issued(actor=actor, issued_on=issued_on, **fields)
        draft = invoice_create_draft(actor=actor, **fields)
        return invoice_issue(invoice=draft, actor=actor, issued_on=issued_on)


def draft_invoice(
    company: Company,
    user: Any,
    *prices: str,
    customer: Customer | None = None,
    lines: list[dict[str, Any]] | None = None,
    description: str = "Behandling",
    quantity: str = "1",
    vat_rate: str = "25",
    **header: Any,
) -> Invoice:
    """A draft of `company` made by `user`: one line per price (800 if none), or `lines` as
    given; to `customer`, or to a new person."""
    return DraftInvoiceFactory(
        company=company,
        actor=user,
        customer=customer or PersonFactory(company=company),
        lines=_lines(prices, lines, description, quantity, vat_rate),
        **header,
    )


def issued_invoice(
    company: Company,
    user: Any,
    *prices: str,
    customer: Customer | None = None,
    lines: list[dict[str, Any]] | None = None,
    description: str = "Behandling",
    quantity: str = "1",
    vat_rate: str = "25",
    issued_on: dt.date | None = ISSUED_ON,
    **header: Any,
) -> Invoice:
    """The draft of `draft_invoice`, issued on `issued_on` (today when None)."""
    return IssuedInvoiceFactory(
        company=company,
        actor=user,
        customer=customer or PersonFactory(company=company),
        lines=_lines(prices, lines, description, quantity, vat_rate),
        issued_on=issued_on,
        **header,
    )


def overdue_invoice(company: Company, user: Any, *prices: str, days_overdue: int = 10, **options: Any) -> Invoice:
    """An issued invoice whose due date passed `days_overdue` days ago: issued that much
    earlier than its payment terms, as an unpaid invoice of last month is."""
    draft = draft_invoice(company, user, *prices, **options)
    issued_on = timezone.localdate() - dt.timedelta(days=draft.payment_terms_days + days_overdue)
    return invoice_issue(invoice=draft, actor=user, issued_on=issued_on)


def credit_note(
    invoice: Invoice,
    user: Any,
    *,
    quantities: dict[int, Any] | None = None,
    reason: str = "",
    issued_on: dt.date | None = None,
) -> Invoice:
    """A credit note of `invoice`: in full, or `quantities` (line id -> quantity) of its lines."""
    return credit_note_create(invoice=invoice, actor=user, quantities=quantities, reason=reason, issued_on=issued_on)


def basis_registered(
    company: Company,
    user: Any,
    *prices: str,
    customer: Customer | None = None,
    name: str | None = None,
    vat: tuple[str, str] = ("S", "25"),
    issued_on: dt.date | None = ISSUED_ON,
    **item_fields: Any,
) -> Invoice:
    """Seed 001's Register: basis lines for `customer` (a new person, called `name` if
    given), one per price ("Session 1", "Session 2" ...), registered as one invoice."""
    customer = customer or PersonFactory(company=company, **({"name": name} if name else {}))
    add_lines(company, customer, *prices, vat=vat, **item_fields)
    (invoice,) = invoices_register_from_basis(
        company=company, actor=user, customer_ids=[customer.pk], issued_on=issued_on
    )
    return invoice


def issued_invoices_with_pdfs(*, company: Company, actor: Any, n: int, domain: str = "post.example") -> list[int]:
    """`n` issued invoices (ids in number order), each with its PDF in the company's layout
    stored, fast: for the kill test and the send_email benchmark. One invoice is issued and
    rendered through the services; the others are bulk copies of it for other customers
    (same PDF bytes, their own numbers), which the services could not make quickly enough."""
    first_customer = Customer.objects.create(
        company=company, kind=CustomerKind.PERSON, number=900_000, name="Kund 0", email=f"kund0@{domain}"
    )
    first = issued_invoice(
        company,
        actor,
        customer=first_customer,
        lines=[line("Behandling", "950", vat_category="E", vat_rate="0")],
        issued_on=timezone.localdate(),
    )
    pdf = document_bytes(document_get(invoice=first, fmt=DocumentFormat.PDF))
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
