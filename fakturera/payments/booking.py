"""Booking: new payments and allocations written in bulk, with the receivables they change.

Every way money reaches an invoice goes through here: a bank file of fifty thousand lines, one
payment registered by hand, the API, an Autogiro report, a credit balance applied, a refund, an
undo. The caller has decided what pays what (matching.py, a person); this module locks the
receivables concerned (one statement, ascending invoice id, FOR NO KEY UPDATE: DESIGN.md,
"Locks"), works out in memory what each payment does to each invoice (rules.settle), and then
writes everything with a fixed number of bulk statements whatever the size: the payments, their
bank keys, the allocations, the receivables' new figures, the invoices' history; then publishes
the events in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from fakturera.core.bulk import any_of, bulk_insert, bulk_insert_returning_ids, bulk_update
from fakturera.core.events import publish
from fakturera.core.period_locks import check_open
from fakturera.invoicing.history import Entry, history_add_many
from fakturera.payments import history
from fakturera.payments.events import (
    ALLOCATION_BOOKED,
    INVOICE_OVERPAID,
    INVOICE_PAID,
    PAYMENT_RECEIVED,
    PAYMENT_UNMATCHED,
)
from fakturera.payments.models import Allocation, Payment, PaymentKey, Receivable
from fakturera.payments.rules import ZERO, receivable_state, settle
from fakturera.payments.states import AllocationKind, MatchMethod, PaymentStatus, ReceivableState

# Allocation kinds that spend the payment's own money (a cash discount is the seller's).
PAYMENT_MONEY = (AllocationKind.PAYMENT, AllocationKind.CREDIT_BALANCE, AllocationKind.REFUND)

RECEIVABLE_FIELDS = (
    "invoice_id",
    "customer_id",
    "number",
    "currency",
    "due_on",
    "total_amount",
    "credited_amount",
    "settled_amount",
    "state",
    "paid_on",
    "days_late",
    "cash_discount_amount",
    "cash_discount_until",
)


@dataclass
class Open:
    """A locked receivable's figures while a booking changes them."""

    invoice_id: int
    customer_id: int
    number: str
    currency: str
    due_on: dt.date
    total: Decimal
    credited: Decimal
    settled: Decimal
    state: str
    paid_on: dt.date | None
    days_late: int | None
    discount_amount: Decimal
    discount_until: dt.date | None
    changed: bool = False

    @property
    def owed(self) -> Decimal:
        return self.total - self.credited

    @property
    def open(self) -> Decimal:
        return self.owed - self.settled


def lock_receivables(invoice_ids: Iterable[int]) -> dict[int, Open]:
    """The receivables of `invoice_ids`, locked in ascending id order, as `Open`s."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return {}
    rows = (
        Receivable.objects.filter(any_of(Receivable, ids))
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list(*RECEIVABLE_FIELDS)
    )
    return {row[0]: Open(*row) for row in rows}


@dataclass(frozen=True)
class Target:
    """An invoice a payment is meant for; `amount` when the payer said how much of it is for this
    one (BgMax TK22, camt RfrdDocInf/RmtdAmt), else as much as is open, the last one the rest."""

    invoice_id: int
    amount: Decimal | None = None


@dataclass
class NewPayment:
    amount: Decimal
    currency: str
    booked_on: dt.date
    method: str
    source: str
    value_on: dt.date | None = None
    payer_name: str = ""
    payer_account: str = ""
    payer_org_number: str = ""
    reference: str = ""
    message: str = ""
    position: str = ""
    bank_reference: str = ""
    match: str = MatchMethod.NONE
    match_details: dict[str, Any] = field(default_factory=dict)
    customer_id: int | None = None
    targets: Sequence[Target] = ()
    keys: Sequence[str] = ()


@dataclass
class Booked:
    payment_ids: list[int] = field(default_factory=list)
    unmatched_ids: list[int] = field(default_factory=list)
    paid_invoice_ids: list[int] = field(default_factory=list)
    overpaid_invoice_ids: list[int] = field(default_factory=list)
    allocation_count: int = 0
    credit_customer_ids: set[int] = field(default_factory=set)


@dataclass
class _Posting:
    payment_index: int | None  # a new payment of this booking, by index
    payment_id: int | None  # an existing payment
    invoice_id: int | None
    customer_id: int
    kind: str
    amount: Decimal
    currency: str
    on: dt.date
    params: dict[str, Any] = field(default_factory=dict)
    reversal_of: int | None = None  # the allocation this one undoes


class Ledger:
    """Allocations to write and the receivables they change, gathered in memory; `write` sends
    them in bulk. Receivables must be locked (`lock_receivables`) before they are changed."""

    def __init__(self, *, company_id: int, actor_id: int | None, receivables: dict[int, Open]) -> None:
        self.company_id = company_id
        self.actor_id = actor_id
        self.receivables = receivables
        self.postings: list[_Posting] = []
        self.history: list[tuple[int, str, dict[str, Any]]] = []
        self.paid: list[int] = []
        self.overpaid: list[int] = []
        self.at = timezone.now()
        # Dates already held to the closed months (book_payments checks its payments' first).
        self.dates_checked: set[dt.date] = set()

    def post(
        self,
        *,
        invoice_id: int | None,
        customer_id: int,
        kind: str,
        amount: Decimal,
        currency: str,
        on: dt.date,
        payment_index: int | None = None,
        payment_id: int | None = None,
        params: dict[str, Any] | None = None,
        history_params: dict[str, Any] | None = None,
        reversal_of: int | None = None,
    ) -> None:
        self.postings.append(
            _Posting(
                payment_index,
                payment_id,
                invoice_id,
                customer_id,
                kind,
                amount,
                currency,
                on,
                params or {},
                reversal_of,
            )
        )
        if invoice_id is None:
            return
        receivable = self.receivables[invoice_id]
        before = receivable.state
        receivable.settled += amount
        self._settle(receivable, on=on, days_late=(history_params or {}).get("days_late"))
        event = dict(history_params or {})
        event.update(kind=kind, amount=str(abs(amount)), currency=currency)
        kind_code = history.ALLOCATION_REVERSED if reversal_of is not None else history.PAYMENT_ALLOCATED
        self.history.append((invoice_id, kind_code, event))
        self._moved(receivable, before)

    def credit(self, invoice_id: int, amount: Decimal) -> None:
        """A credit note lowered what the invoice owes."""
        receivable = self.receivables[invoice_id]
        before = receivable.state
        receivable.credited += amount
        self._settle(receivable, on=None, days_late=None)
        if receivable.settled > ZERO:
            # Credited in full with nothing paid is not "paid": nothing is owed, nothing came.
            self._moved(receivable, before)

    def _settle(self, receivable: Open, *, on: dt.date | None, days_late: int | None) -> None:
        receivable.changed = True
        receivable.state = receivable_state(owed=receivable.owed, settled=receivable.settled)
        if receivable.state in (ReceivableState.PAID, ReceivableState.OVERPAID):
            if on is not None and (receivable.paid_on is None or on > receivable.paid_on):
                receivable.paid_on = on
                receivable.days_late = days_late
        else:
            receivable.paid_on = None
            receivable.days_late = None

    def _moved(self, receivable: Open, before: str) -> None:
        """Note an invoice that became paid or over-paid. When the money that did it was just
        posted, its history row says so ("paid": one row a payment, not two, for the fifty
        thousand of a bank file); a credit note paying it is a row of its own."""
        after = receivable.state
        if after == before:
            return
        invoice_id = receivable.invoice_id
        last = self.history[-1] if self.history else None
        said = last[2] if last is not None and last[0] == invoice_id and last[1] == history.PAYMENT_ALLOCATED else None
        if after == ReceivableState.PAID and before != ReceivableState.OVERPAID:
            self.paid.append(invoice_id)
            if said is not None:
                said["paid"] = True
            else:
                self.history.append((invoice_id, history.INVOICE_PAID, {}))
        elif after == ReceivableState.OVERPAID:
            if before not in (ReceivableState.PAID, ReceivableState.OVERPAID):
                self.paid.append(invoice_id)
            self.overpaid.append(invoice_id)
            excess = {"excess": str(-receivable.open), "currency": receivable.currency}
            if said is not None:
                said["paid"] = True
                said["excess"] = excess["excess"]
            else:
                self.history.append((invoice_id, history.INVOICE_OVERPAID, excess))

    def write(self, payment_ids: Sequence[int] = (), *, reversed_payment_ids: Sequence[int] = ()) -> int:
        """Insert the allocations (new payments' ones by `payment_ids`, in their order; reversals
        among them), the receivables' figures and the history, and announce them
        (`allocation.booked`, with the new payments and those undone: bookkeeping books them in
        this transaction). Returns the allocations written.

        Refused before anything is written when a posting would enter the books in a month the
        company has closed (core.period_locks; the date is `entry_on`'s)."""
        today = timezone.localdate(self.at)
        dates = {
            entry_on(kind=p.kind, on=p.on, is_new_payment=p.payment_index is not None, today=today)
            for p in self.postings
        } | ({today} if reversed_payment_ids else set())
        check_open(self.company_id, dates - self.dates_checked, field="on")
        rows = [
            (
                self.company_id,
                payment_ids[p.payment_index] if p.payment_index is not None else p.payment_id,
                p.invoice_id,
                p.customer_id,
                p.kind,
                p.amount,
                p.currency,
                p.on,
                p.params,
                p.reversal_of,
                self.at,
                self.actor_id,
            )
            for p in self.postings
        ]
        allocation_ids = bulk_insert_returning_ids(
            Allocation,
            (
                "company_id",
                "payment_id",
                "invoice_id",
                "customer_id",
                "kind",
                "amount",
                "currency",
                "on",
                "params",
                "reversal_of_id",
                "created_at",
                "created_by_id",
            ),
            rows,
        )
        changed = [r for r in self.receivables.values() if r.changed]
        bulk_update(
            Receivable,
            ("credited_amount", "settled_amount", "open_amount", "state", "paid_on", "days_late"),
            ((r.invoice_id, r.credited, r.settled, r.open, r.state, r.paid_on, r.days_late) for r in changed),
        )
        history_add_many(
            Entry(invoice_id=invoice_id, kind=kind, at=self.at, actor_id=self.actor_id, params=params)
            for invoice_id, kind, params in self.history
        )
        if allocation_ids or payment_ids or reversed_payment_ids:
            publish(
                ALLOCATION_BOOKED,
                company_id=self.company_id,
                actor=self.actor_id,
                allocation_ids=allocation_ids,
                payment_ids=list(payment_ids),
                reversed_payment_ids=list(reversed_payment_ids),
            )
        return len(rows)

    def publish(self) -> None:
        if self.paid:
            publish(INVOICE_PAID, company_id=self.company_id, actor_id=self.actor_id, invoice_ids=self.paid)
        if self.overpaid:
            publish(INVOICE_OVERPAID, company_id=self.company_id, actor_id=self.actor_id, invoice_ids=self.overpaid)


def book_payments(
    *, company_id: int, payments: Sequence[NewPayment], actor_id: int | None, import_id: int | None = None
) -> Booked:
    """Book new payments with what they pay (their `targets`), in the caller's transaction.

    Each payment goes whole onto its invoices: more than is open over-pays the last one (its
    excess is the customer's credit balance, rules.settle); a payment for an invoice already paid
    is a double payment, flagged. Targets of another currency are left out (matching never makes
    them). A payment with nothing to pay stays unallocated: the customer's credit when the payer
    is known, the unmatched queue when not."""
    booked = Booked()
    if not payments:
        return booked
    # A payment dated in a month the company has closed is refused, before anything is written.
    check_open(company_id, {p.booked_on for p in payments}, field="booked_on")
    receivables = lock_receivables(t.invoice_id for p in payments for t in p.targets)
    ledger = Ledger(company_id=company_id, actor_id=actor_id, receivables=receivables)
    ledger.dates_checked = {p.booked_on for p in payments}
    figures: list[tuple[Decimal, int | None, bool, int | None, str]] = []
    for index, payment in enumerate(payments):
        remaining = payment.amount
        customer_id = payment.customer_id
        late: int | None = None
        is_double = False
        targets = [
            t
            for t in payment.targets
            if t.invoice_id in receivables and receivables[t.invoice_id].currency == payment.currency
        ]
        for position, target in enumerate(targets):
            if remaining <= ZERO:
                break
            receivable = receivables[target.invoice_id]
            is_last = position == len(targets) - 1
            if target.amount is not None:
                portion = min(target.amount, remaining) if not is_last else remaining
            else:
                portion = remaining if is_last else min(max(receivable.open, ZERO), remaining)
            if portion <= ZERO:
                continue
            result = settle(
                open_amount=receivable.open,
                owed=receivable.owed,
                amount=portion,
                paid_on=payment.booked_on,
                due_on=receivable.due_on,
                discount_amount=receivable.discount_amount,
                discount_until=receivable.discount_until,
            )
            customer_id = customer_id or receivable.customer_id
            details = {
                "booked_on": payment.booked_on.isoformat(),
                "method": payment.method,
                "match": payment.match,
                "reference": payment.reference,
                "payment_index": index,
            }
            if result.days_late:
                details["days_late"] = result.days_late
            if result.is_double:
                details["is_double"] = True
            ledger.post(
                invoice_id=target.invoice_id,
                customer_id=receivable.customer_id,
                kind=AllocationKind.PAYMENT,
                amount=portion,
                currency=payment.currency,
                on=payment.booked_on,
                payment_index=index,
                history_params=details,
            )
            if result.discount > ZERO:
                ledger.post(
                    invoice_id=target.invoice_id,
                    customer_id=receivable.customer_id,
                    kind=AllocationKind.CASH_DISCOUNT,
                    amount=result.discount,
                    currency=payment.currency,
                    on=payment.booked_on,
                    payment_index=index,
                    params=discount_params(target.invoice_id),
                )
            remaining -= portion
            late = max(late or 0, result.days_late or 0) or None
            is_double = is_double or result.is_double
        allocated = payment.amount - remaining
        status = payment_status(amount=payment.amount, allocated=allocated, customer_id=customer_id)
        figures.append((allocated, customer_id, is_double, late, status))
        if status == PaymentStatus.CREDIT:
            booked.credit_customer_ids.add(customer_id)  # type: ignore[arg-type]

    columns = (
        "company_id",
        "customer_id",
        "amount",
        "currency",
        "booked_on",
        "value_on",
        "method",
        "payer_name",
        "payer_account",
        "payer_org_number",
        "reference",
        "message",
        "source",
        "payment_import_id",
        "position",
        "bank_reference",
        "match",
        "match_details",
        "status",
        "allocated_amount",
        "days_late",
        "is_double",
        "created_by_id",
    )
    ids = bulk_insert_returning_ids(
        Payment,
        columns,
        [
            (
                company_id,
                customer_id,
                p.amount,
                p.currency,
                p.booked_on,
                p.value_on,
                p.method,
                p.payer_name[:200],
                p.payer_account[:70],
                p.payer_org_number[:35],
                p.reference[:140],
                p.message,
                p.source,
                import_id,
                p.position[:200],
                p.bank_reference[:140],
                p.match,
                p.match_details,
                status,
                allocated,
                late,
                is_double,
                actor_id,
            )
            for p, (allocated, customer_id, is_double, late, status) in zip(payments, figures, strict=True)
        ],
    )
    bulk_insert(
        PaymentKey,
        ("company_id", "key", "payment_id"),
        ((company_id, key[:200], pk) for p, pk in zip(payments, ids, strict=True) for key in dict.fromkeys(p.keys)),
    )
    for _invoice_id, _kind, params in ledger.history:
        index = params.pop("payment_index", None)
        if index is not None:
            params["payment_id"] = ids[index]
    booked.allocation_count = ledger.write(ids)
    booked.payment_ids = ids
    booked.unmatched_ids = [pk for pk, f in zip(ids, figures, strict=True) if f[4] == PaymentStatus.UNMATCHED]
    booked.paid_invoice_ids = ledger.paid
    booked.overpaid_invoice_ids = ledger.overpaid
    booked.credit_customer_ids |= {receivables[i].customer_id for i in ledger.overpaid}
    publish(PAYMENT_RECEIVED, company_id=company_id, actor_id=actor_id, payment_ids=ids)
    if booked.unmatched_ids:
        publish(PAYMENT_UNMATCHED, company_id=company_id, actor_id=actor_id, payment_ids=booked.unmatched_ids)
    ledger.publish()
    return booked


def entry_on(*, kind: str, on: dt.date, is_new_payment: bool, today: dt.date) -> dt.date:
    """The date a posting enters the books: money that moved at the bank (a payment received, a
    refund) on the day it moved; moving what is already booked (allocating a payment received
    before, undoing an allocation, moving a credit balance) on the day it is done. Bookkeeping
    dates its vouchers by the same rule (bookkeeping.rules.payment_vouchers)."""
    return on if is_new_payment or kind == AllocationKind.REFUND else today


def payment_status(*, amount: Decimal, allocated: Decimal, customer_id: int | None) -> str:
    if allocated >= amount:
        return PaymentStatus.ALLOCATED
    return PaymentStatus.CREDIT if customer_id else PaymentStatus.UNMATCHED


def discount_params(invoice_id: int) -> dict[str, Any]:
    """The cash discount's VAT share per VAT group of the invoice (what bookkeeping posts)."""
    from fakturera.payments.discounts import discount_vat_shares

    return {"vat": discount_vat_shares(invoice_id)}


def existing_keys(company_id: int, keys: Sequence[str]) -> dict[str, int]:
    """The keys of `keys` already booked for the company, with their payment."""
    if not keys:
        return {}
    return dict(
        PaymentKey.objects.filter(Q(company_id=company_id) & any_of(PaymentKey, list(keys), "key")).values_list(
            "key", "payment_id"
        )
    )
