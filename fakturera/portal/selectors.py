"""What a logged-in person sees: their own issued invoices and credit notes, nothing else."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company, Customer
from fakturera.payments.selectors import payment_states


def portal_invoices(*, company: Company, customer: Customer) -> QuerySet[Invoice]:
    # Drafts are not documents yet; everything issued (credited too) is the person's record.
    return (
        Invoice.objects.filter(company=company, customer=customer)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("credited_invoice")
        .order_by("-issued_on", "-number", "-pk")
    )


def portal_invoice(*, company: Company, customer: Customer, invoice_id: int) -> Invoice:
    """The person's invoice, or 404: another person's invoice is not found, not forbidden."""
    invoice = (
        portal_invoices(company=company, customer=customer)
        .prefetch_related(Prefetch("lines", InvoiceLine.objects.order_by("position")), "vat_breakdown")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def with_payment_states(*, company: Company, invoices: Iterable[Invoice]) -> list[Invoice]:
    """The invoices, each with `payment_state` (payments' PaymentState, None for a credit note),
    read in one query for all of them."""
    found = list(invoices)
    states = payment_states(company=company, invoice_ids=[invoice.pk for invoice in found])
    for invoice in found:
        invoice.payment_state = states.get(invoice.pk)  # type: ignore[attr-defined]
    return found
