"""Reads of payments and receivables, always for one company or for given invoices: for the
pages, the API, the portal, webhooks and core.payment_facts.

Lists read in bulk (one query for any number of invoices), never a query per row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from fakturera.core.bulk import any_of
from fakturera.core.payment_facts import PaymentFacts
from fakturera.parties.models import Company
from fakturera.payments.models import Allocation, Payment, PaymentImport, Receivable
from fakturera.payments.rules import ZERO
from fakturera.payments.states import OPEN_STATES, AllocationKind, PaymentStatus


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


# --- an invoice's payment state (API, portal, webhooks) -------------------------------------------

RECEIVABLE_FIELDS = (
    "invoice_id",
    "number",
    "state",
    "currency",
    "total_amount",
    "credited_amount",
    "settled_amount",
    "open_amount",
    "due_on",
    "paid_on",
    "days_late",
)


@dataclass(frozen=True)
class PaymentState:
    """What an issued invoice has been paid, as one row of its receivable."""

    invoice_id: int
    number: str
    state: str
    currency: str
    total_amount: Decimal
    credited_amount: Decimal
    paid_amount: Decimal
    open_amount: Decimal
    due_on: dt.date
    paid_on: dt.date | None
    days_late: int | None

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.state in OPEN_STATES and self.due_on < (today or timezone.localdate())

    def shown_state(self, today: dt.date | None = None) -> str:
        """paid, overpaid, partly_paid, overdue or unpaid: what a payer is told."""
        if self.state in OPEN_STATES and self.is_overdue(today):
            return "overdue"
        return self.state

    def as_dict(self) -> dict[str, Any]:
        """The invoice's `payment` in the API and the webhooks' bodies."""
        return {
            "state": self.state,
            "paid_amount": self.paid_amount,
            "open_amount": self.open_amount,
            "credited_amount": self.credited_amount,
            "paid_on": self.paid_on,
            "days_late": self.days_late,
        }


def _state_of(row: tuple[Any, ...]) -> PaymentState:
    invoice_id, number, state, currency, total, credited, settled, open_amount, due_on, paid_on, late = row
    return PaymentState(
        invoice_id=invoice_id,
        number=number,
        state=state,
        currency=currency,
        total_amount=total,
        credited_amount=credited,
        paid_amount=settled,
        open_amount=open_amount,
        due_on=due_on,
        paid_on=paid_on,
        days_late=late,
    )


def payment_states(*, company: Company | int, invoice_ids: Iterable[int]) -> dict[int, PaymentState]:
    """The payment state of each issued invoice among `invoice_ids`, in one query (drafts and
    credit notes have none and are left out)."""
    ids = sorted({int(pk) for pk in invoice_ids})
    if not ids:
        return {}
    company_id = company if isinstance(company, int) else company.pk
    rows = Receivable.objects.filter(Q(company_id=company_id) & any_of(Receivable, ids)).values_list(*RECEIVABLE_FIELDS)
    return {row[0]: _state_of(row) for row in rows}


def payment_state(*, company: Company | int, invoice_id: int) -> PaymentState | None:
    return payment_states(company=company, invoice_ids=[invoice_id]).get(invoice_id)


# --- payments (API) ------------------------------------------------------------------------------


def payment_list(
    *,
    company: Company,
    status: str = "",
    booked_from: dt.date | None = None,
    booked_to: dt.date | None = None,
    invoice_id: int | None = None,
) -> QuerySet[Payment]:
    """The company's payments, newest first, filtered by status, payment date and the invoice
    they were put on."""
    qs = Payment.objects.filter(company=company)
    if status in PaymentStatus.values:
        qs = qs.filter(status=status)
    if booked_from is not None:
        qs = qs.filter(booked_on__gte=booked_from)
    if booked_to is not None:
        qs = qs.filter(booked_on__lte=booked_to)
    if invoice_id is not None:
        qs = qs.filter(pk__in=_payments_on_invoice(company, invoice_id))
    return qs.order_by("-booked_on", "-pk")


def _payments_on_invoice(company: Company, invoice_id: int) -> QuerySet[Any]:
    return Allocation.objects.filter(company=company, invoice_id=invoice_id, payment__isnull=False).values("payment_id")


def payment_allocations(*, payment_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each payment's allocations not undone (invoice, kind, amount), in one query."""
    ids = sorted(set(payment_ids))
    found: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    if not ids:
        return found
    rows = (
        Allocation.objects.filter(any_of(Allocation, ids, "payment_id"), reversal_of__isnull=True)
        .filter(reversed_by__isnull=True)
        .order_by("pk")
        .values_list("payment_id", "invoice_id", "kind", "amount", "on")
    )
    for payment_id, invoice_id, kind, amount, on in rows:
        found[payment_id].append({"invoice_id": invoice_id, "kind": kind, "amount": amount, "on": on})
    return found


# --- bank-file imports (staff pages, API) ---------------------------------------------------------


def payment_imports_of(*, company: Company) -> QuerySet[PaymentImport]:
    """The company's bank-file imports, newest first, with who imported them."""
    return PaymentImport.objects.filter(company=company).select_related("created_by")


def payment_import_lines(*, record: PaymentImport) -> QuerySet[Payment]:
    """The payments an import booked, in the order of the file."""
    return Payment.objects.filter(company_id=record.company_id, payment_import=record).order_by("pk")


ID_BATCH = 5000
SKIPPED_REASONS = ("already_booked", "debit", "reversal", "not_booked", "no_amount", "zero_amount")


def payment_import_skipped(*, record: PaymentImport) -> list[dict[str, Any]]:
    """The lines of an import that booked no payment, each with its reason's code and, for one
    already booked, the payment it was booked as (when that payment is the company's)."""
    lines = [dict(line) for line in record.skipped or []]
    known = {line["payment_id"] for line in lines if isinstance(line.get("payment_id"), int)}
    mine: set[int] = set()
    ordered = sorted(known)
    # In batches: a file read twice names as many earlier payments as it has lines.
    for start in range(0, len(ordered), ID_BATCH):
        batch = ordered[start : start + ID_BATCH]
        mine.update(
            Payment.objects.filter(Q(company_id=record.company_id) & any_of(Payment, batch)).values_list(
                "pk", flat=True
            )
        )
    for line in lines:
        if line.get("payment_id") not in mine:
            line["payment_id"] = None
        if line.get("amount") not in (None, ""):
            try:
                line["amount"] = Decimal(str(line["amount"]))
            except ArithmeticError:
                line["amount"] = None
    return lines


def totals_of(totals: dict[str, str]) -> dict[str, Decimal]:
    """An import's totals per currency as numbers."""
    found: dict[str, Decimal] = {}
    for currency, amount in (totals or {}).items():
        try:
            found[currency] = Decimal(str(amount))
        except ArithmeticError:
            found[currency] = ZERO
    return found
