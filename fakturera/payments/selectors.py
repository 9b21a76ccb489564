"""Reads of payments and receivables, always for one company or for given invoices."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from fakturera.core.bulk import any_of
from fakturera.core.payment_facts import PaymentFacts
from fakturera.payments.models import Allocation, Receivable
from fakturera.payments.states import AllocationKind


def payment_facts_of(invoice_ids: list[int]) -> dict[int, PaymentFacts]:
    """core.payment_facts' provider: state, what is open and what the credit balance paid, of
    each receivable among `invoice_ids` (two queries whatever their number)."""
    prepaid: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for invoice_id, amount in (
        Allocation.objects.filter(
            Q(kind=AllocationKind.CREDIT_BALANCE, amount__gt=0) & any_of(Allocation, invoice_ids, "invoice_id")
        )
        .values("invoice_id")
        .annotate(amount=Sum("amount"))
        .values_list("invoice_id", "amount")
    ):
        prepaid[invoice_id] = amount
    return {
        pk: PaymentFacts(state=state, open_amount=open_amount, prepaid_amount=prepaid[pk])
        for pk, state, open_amount in Receivable.objects.filter(any_of(Receivable, invoice_ids)).values_list(
            "pk", "state", "open_amount"
        )
    }
