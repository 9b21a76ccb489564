"""Writes of the payments app: payments by hand and by the API, undo, allocation by hand, the
credit balance (applied, refunded), the company's settings, and the receivables kept from
invoicing's events. Bank files are imported by importing.py; all of them book through booking.py.

Locks (DESIGN.md, "Locks"): the payment first (FOR NO KEY UPDATE), then the receivables by
ascending invoice id; never an invoice row or the number series.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.core.bulk import any_of, bulk_insert, bulk_update
from fakturera.core.db import retrying_atomic
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict
from fakturera.core.money import CURRENCY_CHOICES, format_money, round_money, to_decimal
from fakturera.core.ocr import compact_reference
from fakturera.invoicing.history import actor_id_of
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.rules import cash_discount
from fakturera.invoicing.states import InvoiceKind
from fakturera.parties.models import Company, Customer
from fakturera.payments.booking import (
    PAYMENT_MONEY,
    Ledger,
    NewPayment,
    Open,
    Target,
    book_payments,
    lock_receivables,
    payment_status,
)
from fakturera.payments.matching import Incoming, match_transactions
from fakturera.payments.models import Allocation, Payment, PaymentSettings, Receivable
from fakturera.payments.rules import ZERO, allocation_refusal, days_late

# A read the pages and the tests know here, beside the credit writes.
from fakturera.payments.selectors import credit_balances as credit_balances
from fakturera.payments.states import (
    OPEN_STATES,
    AllocationKind,
    MatchMethod,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
    ReceivableState,
)

CURRENCIES = {code for code, _label in CURRENCY_CHOICES}


class NotFound(DomainError):
    """Another company's payment or invoice, or none: the views and the API answer 404."""

    code = "not_found"


# --- settings -----------------------------------------------------------------------------------


def payment_settings_of(company: Company) -> PaymentSettings:
    """The company's settings, the defaults when it has saved none."""
    return PaymentSettings.objects.filter(company=company).first() or PaymentSettings(company=company)


@transaction.atomic
def payment_settings_save(*, company: Company, is_applying_credit_automatically: bool) -> PaymentSettings:
    found, _created = PaymentSettings.objects.update_or_create(
        company=company, defaults={"is_applying_credit_automatically": is_applying_credit_automatically}
    )
    return found


# --- receivables, from invoicing's events -----------------------------------------------------


def receivables_create(*, invoice_ids: Sequence[int]) -> set[int]:
    """One receivable per newly issued invoice (credit notes settle invoices and have none), in
    one query and one bulk insert whatever the batch (invoice.issued, in its transaction).
    Returns the invoices' customers."""
    if not invoice_ids:
        return set()
    rows = (
        Invoice.objects.filter(any_of(Invoice, list(invoice_ids)), kind=InvoiceKind.INVOICE)
        .order_by("pk")
        .values_list(
            "pk",
            "company_id",
            "customer_id",
            "number",
            "seller",
            "payment_reference",
            "currency",
            "issued_on",
            "due_on",
            "total_amount",
            "cash_discount_percent",
            "cash_discount_until",
        )
    )
    rows = list(rows)
    bulk_insert(
        Receivable,
        (
            "invoice_id",
            "company_id",
            "customer_id",
            "number",
            "payment_reference",
            "currency",
            "issued_on",
            "due_on",
            "total_amount",
            "credited_amount",
            "settled_amount",
            "open_amount",
            "state",
            "cash_discount_amount",
            "cash_discount_until",
        ),
        (
            (
                pk,
                company_id,
                customer_id,
                f"{(seller or {}).get('series_prefix', '')}{number}",
                reference,
                currency,
                issued_on,
                due_on or issued_on,
                total,
                ZERO,
                ZERO,
                total,
                ReceivableState.PAID if total <= ZERO else ReceivableState.UNPAID,
                *_cash_discount(total, currency, percent, until),
            )
            for (
                pk,
                company_id,
                customer_id,
                number,
                seller,
                reference,
                currency,
                issued_on,
                due_on,
                total,
                percent,
                until,
            ) in rows
        ),
    )
    return {row[2] for row in rows}


def customers_with_credit(*, company_id: int, customer_ids: Iterable[int]) -> set[int]:
    """Of the given customers, those with a credit balance (two queries whatever the number)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return set()
    with_payments = (
        Payment.objects.filter(
            Q(company_id=company_id, status=PaymentStatus.CREDIT) & any_of(Payment, ids, "customer_id")
        )
        .order_by()
        .values_list("customer_id", flat=True)
    )
    overpaid = (
        Receivable.objects.filter(
            Q(company_id=company_id, state=ReceivableState.OVERPAID) & any_of(Receivable, ids, "customer_id")
        )
        .order_by()
        .values_list("customer_id", flat=True)
    )
    return set(with_payments.union(overpaid))


def credit_apply_to_issued(*, company_id: int, customer_ids: Iterable[int], actor_id: int | None) -> int:
    """A new invoice of a customer with a credit balance is paid from it at once (when the
    company applies credit automatically), in the issuing transaction: its documents, rendered
    after the commit, then say what is left to pay, or that nothing is."""
    with_credit = customers_with_credit(company_id=company_id, customer_ids=customer_ids)
    if not with_credit:
        return 0
    company = Company.objects.get(pk=company_id)
    return credit_apply_automatically(company=company, customer_ids=with_credit, actor_id=actor_id)


def _cash_discount(
    total: Decimal, currency: str, percent: Decimal, until: dt.date | None
) -> tuple[Decimal, dt.date | None]:
    """The early-payment discount an invoice offers, as issued (invoicing's rule; the VAT split
    is read when a discount is booked)."""
    terms = cash_discount(total_amount=total, vat_rows=(), currency=currency, percent=percent, until=until)
    if terms is None or until is None:
        return ZERO, None
    return terms.discount_amount, until


def receivable_credit(
    *, company_id: int, invoice_id: int, credited_amount: Decimal, actor_id: int | None = None
) -> None:
    """A credit note lowered what an invoice owes (invoice.credited, in its transaction). An
    invoice paid before it is credited is then over-paid: the excess is the customer's credit."""
    receivables = lock_receivables([invoice_id])
    if invoice_id not in receivables:
        return
    ledger = Ledger(company_id=company_id, actor_id=actor_id, receivables=receivables)
    ledger.credit(invoice_id, credited_amount)
    ledger.write()
    ledger.publish()


# --- a payment by hand or by the API ------------------------------------------------------------


def _clean_amount(value: Any, currency: str, errors: ErrorCollector, field: str = "amount") -> Decimal | None:
    try:
        amount = to_decimal(value, field=field, what="")
    except DomainError:
        errors.add(field, _("Enter the amount as a number, such as 1250.00."))
        return None
    if amount <= ZERO:
        errors.add(field, _("A payment's amount must be more than zero."))
        return None
    if currency in CURRENCIES and round_money(amount, currency) != amount:
        errors.add(field, _("The amount has more decimals than the currency has."))
        return None
    if amount >= Decimal("1000000000000"):
        errors.add(field, _("The amount is too large."))
        return None
    return amount


def _receivable_of(company: Company, invoice_id: int) -> Receivable:
    found = Receivable.objects.filter(company=company, pk=invoice_id).first()
    if found is None:
        raise NotFound(_("No such invoice."), field="invoice")
    return found


@retrying_atomic
def payment_register(
    *,
    company: Company,
    actor: Any,
    amount: Any,
    currency: str,
    booked_on: dt.date,
    method: str = PaymentMethod.TRANSFER,
    invoice_id: int | None = None,
    customer_id: int | None = None,
    payer_name: str = "",
    reference: str = "",
    message: str = "",
    source: str = PaymentSource.MANUAL,
) -> Payment:
    """Register a payment: on an invoice (staff, the whole amount prefilled), or by its reference
    (the API), or for a customer (their credit balance), or for no one yet (the queue).

    Refused, nothing written: an amount not above zero, another currency than the invoice, a date
    ahead of today, an invoice or a reference not of this company."""
    errors = ErrorCollector()
    currency = (currency or "").upper()
    if currency not in CURRENCIES:
        errors.add("currency", _("Choose one of the currencies Fakturera invoices in."))
    cleaned = _clean_amount(amount, currency, errors)
    if method not in PaymentMethod.values:
        errors.add("method", _("Choose how the payment was made."))
    if booked_on is None:
        errors.add("booked_on", _("Enter the date the payment was made."))
    elif booked_on > timezone.localdate():
        errors.add("booked_on", _("A payment cannot be dated after today."))
    errors.raise_if_any()
    assert cleaned is not None

    match = MatchMethod.MANUAL
    details: dict[str, Any] = {}
    targets: list[Target] = []
    if invoice_id is not None:
        receivable = _receivable_of(company, invoice_id)
        if receivable.currency != currency:
            raise DomainError(
                _("The invoice is in %(invoice)s; a payment in %(payment)s cannot settle it.")
                % {"invoice": receivable.currency, "payment": currency},
                field="currency",
                code="currency",
            )
        targets = [Target(receivable.pk)]
        customer_id = receivable.customer_id
        details = {"invoices": [receivable.number]}
    elif reference:
        found = match_transactions(
            company_id=company.pk,
            with_length_digit=company.has_ocr_length_digit,
            incoming=[Incoming(amount=cleaned, currency=currency, reference=reference, payer_name=payer_name)],
        )[0]
        if found.method in (MatchMethod.NONE, MatchMethod.AMOUNT_PAYER):
            raise DomainError(
                _("No invoice of %(company)s has the reference %(reference)s in %(currency)s.")
                % {"company": company.name, "reference": compact_reference(reference), "currency": currency},
                field="reference",
                code="reference_unknown",
            )
        match, details, targets, customer_id = found.method, found.details, found.targets, found.customer_id
    elif customer_id is not None and not Customer.objects.filter(company=company, pk=customer_id).exists():
        raise NotFound(_("No such customer."), field="customer")
    payment = NewPayment(
        amount=cleaned,
        currency=currency,
        booked_on=booked_on,
        value_on=booked_on,
        method=method,
        source=source,
        payer_name=payer_name,
        reference=reference,
        message=message,
        match=match if targets else MatchMethod.NONE,
        match_details=details,
        customer_id=customer_id,
        targets=targets,
    )
    booked = book_payments(company_id=company.pk, payments=[payment], actor_id=actor_id_of(actor))
    if booked.credit_customer_ids:
        credit_apply_automatically(
            company=company, customer_ids=booked.credit_customer_ids, actor_id=actor_id_of(actor)
        )
    return Payment.objects.get(pk=booked.payment_ids[0])


def _lock_payment(company: Company, payment_id: int) -> Payment:
    found = Payment.objects.filter(company=company, pk=payment_id).select_for_update(no_key=True, of=("self",)).first()
    if found is None:
        raise NotFound(_("No such payment."), field="payment")
    return found


def _live_allocations(payment: Payment) -> list[Allocation]:
    """The payment's allocations not undone (and not themselves undoings)."""
    return list(
        Allocation.objects.filter(payment=payment, reversal_of__isnull=True, reversed_by__isnull=True).order_by("pk")
    )


def _undo(payment: Payment, *, actor_id: int | None, reason: str) -> tuple[Ledger, Decimal]:
    allocations = _live_allocations(payment)
    if any(a.kind == AllocationKind.REFUND for a in allocations):
        raise StateConflict(_("Part of this payment was refunded to the customer; it cannot be undone."))
    receivables = lock_receivables(a.invoice_id for a in allocations if a.invoice_id)
    ledger = Ledger(company_id=payment.company_id, actor_id=actor_id, receivables=receivables)
    returned = ZERO
    for allocation in allocations:
        ledger.post(
            invoice_id=allocation.invoice_id,
            customer_id=allocation.customer_id,
            kind=allocation.kind,
            amount=-allocation.amount,
            currency=allocation.currency,
            on=timezone.localdate(),
            payment_id=payment.pk,
            reversal_of=allocation.pk,
            history_params={"payment_id": payment.pk, "reason": reason},
        )
        if allocation.kind in PAYMENT_MONEY:
            returned += allocation.amount
    return ledger, returned


@retrying_atomic
def payment_reverse(*, company: Company, actor: Any, payment_id: int, reason: str = "") -> Payment:
    """Undo a payment registered by mistake: every allocation is reversed by a reversal row, the
    invoices are open again, and the payment stays, marked reversed with who, when and why. A
    bank file's payment happened: it is not reversed, only taken off its invoices
    (`payment_unallocate`)."""
    payment = _lock_payment(company, payment_id)
    if payment.status == PaymentStatus.REVERSED:
        raise StateConflict(_("This payment is already undone."))
    if payment.source not in (PaymentSource.MANUAL, PaymentSource.API):
        raise StateConflict(
            _("A payment from the bank cannot be undone; take it off the invoice instead and allocate it again.")
        )
    ledger, returned = _undo(payment, actor_id=actor_id_of(actor), reason=reason.strip()[:300])
    ledger.write(reversed_payment_ids=[payment.pk])
    payment.allocated_amount -= returned
    payment.status = PaymentStatus.REVERSED
    payment.reversed_at = ledger.at
    payment.reversed_by_id = actor_id_of(actor)
    payment.reversal_reason = reason.strip()[:300]
    payment.save(update_fields=["allocated_amount", "status", "reversed_at", "reversed_by", "reversal_reason"])
    return payment


@retrying_atomic
def payment_unallocate(*, company: Company, actor: Any, payment_id: int, reason: str = "") -> Payment:
    """Take a payment off the invoices it was put on (a match that was wrong): the allocations are
    reversed, and the payment goes back to the unmatched queue to be allocated again."""
    payment = _lock_payment(company, payment_id)
    if payment.status == PaymentStatus.REVERSED:
        raise StateConflict(_("This payment is undone."))
    ledger, returned = _undo(payment, actor_id=actor_id_of(actor), reason=reason.strip()[:300])
    if not ledger.postings:
        raise StateConflict(_("This payment is on no invoice."))
    ledger.write()
    payment.allocated_amount -= returned
    payment.customer = None
    payment.match = MatchMethod.NONE
    payment.days_late = None
    payment.is_double = False
    payment.status = payment_status(amount=payment.amount, allocated=payment.allocated_amount, customer_id=None)
    payment.save(update_fields=["allocated_amount", "customer", "match", "days_late", "is_double", "status"])
    return payment


@retrying_atomic
def payment_allocate(
    *, company: Company, actor: Any, payment_id: int, allocations: Sequence[tuple[int, Any]]
) -> Payment:
    """Put an unmatched payment (or a customer's credit) on invoices by hand: (invoice id,
    amount) pairs. Refused, nothing written: another currency, an amount not above zero, more than
    an invoice has open, more than is left of the payment, another company's invoice."""
    payment = _lock_payment(company, payment_id)
    if payment.status == PaymentStatus.REVERSED:
        raise StateConflict(_("This payment is undone."))
    if not allocations:
        raise DomainError(_("Choose at least one invoice to put the payment on."), field="allocations")
    errors = ErrorCollector()
    wanted: list[tuple[int, Decimal]] = []
    for invoice_id, amount in allocations:
        cleaned = _clean_amount(amount, payment.currency, errors, field=f"amount_{invoice_id}")
        if cleaned is not None:
            wanted.append((int(invoice_id), cleaned))
    errors.raise_if_any()
    ids = [invoice_id for invoice_id, _amount in wanted]
    if len(set(ids)) != len(ids):
        raise DomainError(_("Each invoice once, please."), field="allocations")
    known = set(Receivable.objects.filter(company=company, pk__in=ids).values_list("pk", flat=True))
    if missing := [i for i in ids if i not in known]:
        raise NotFound(_("No such invoice."), field=f"amount_{missing[0]}")
    total = sum((amount for _id, amount in wanted), ZERO)
    if total > payment.unallocated_amount:
        raise DomainError(
            _("That is %(total)s, but only %(left)s of the payment is left to allocate.")
            % {
                "total": format_money(total, payment.currency),
                "left": format_money(payment.unallocated_amount, payment.currency),
            },
            field="allocations",
            code="above_payment",
        )
    receivables = lock_receivables(ids)
    ledger = Ledger(company_id=company.pk, actor_id=actor_id_of(actor), receivables=receivables)
    late: int | None = payment.days_late
    for invoice_id, amount in wanted:
        receivable = receivables[invoice_id]
        refusal = allocation_refusal(
            amount=amount,
            open_amount=receivable.open,
            payment_currency=payment.currency,
            invoice_currency=receivable.currency,
        )
        if refusal == "currency":
            raise DomainError(
                _("Invoice %(number)s is in %(invoice)s; a payment in %(payment)s cannot settle it.")
                % {"number": receivable.number, "invoice": receivable.currency, "payment": payment.currency},
                field=f"amount_{invoice_id}",
                code="currency",
            )
        if refusal == "above_open":
            raise DomainError(
                _("Invoice %(number)s has %(open)s left to pay; allocate at most that.")
                % {"number": receivable.number, "open": format_money(max(receivable.open, ZERO), receivable.currency)},
                field=f"amount_{invoice_id}",
                code="above_open",
            )
        this_late = days_late(due_on=receivable.due_on, paid_on=payment.booked_on)
        late = max(late or 0, this_late or 0) or None
        params: dict[str, Any] = {
            "booked_on": payment.booked_on.isoformat(),
            "method": payment.method,
            "match": MatchMethod.MANUAL,
            "reference": payment.reference,
            "payment_id": payment.pk,
        }
        if this_late:
            params["days_late"] = this_late
        ledger.post(
            invoice_id=invoice_id,
            customer_id=receivable.customer_id,
            kind=AllocationKind.PAYMENT if payment.status == PaymentStatus.UNMATCHED else AllocationKind.CREDIT_BALANCE,
            amount=amount,
            currency=payment.currency,
            on=payment.booked_on,
            payment_id=payment.pk,
            history_params=params,
        )
    ledger.write()
    ledger.publish()
    payment.allocated_amount += total
    if payment.customer_id is None:
        payment.customer_id = receivables[ids[0]].customer_id
    if payment.match == MatchMethod.NONE:
        payment.match = MatchMethod.MANUAL
    payment.days_late = late
    payment.status = payment_status(
        amount=payment.amount, allocated=payment.allocated_amount, customer_id=payment.customer_id
    )
    payment.save(update_fields=["allocated_amount", "customer", "match", "days_late", "status"])
    return payment


@retrying_atomic
def payment_assign_customer(*, company: Company, actor: Any, payment_id: int, customer_id: int) -> Payment:
    """An unmatched payment is a customer's money with no invoice to pay: it becomes their credit
    balance (and, when the company applies credit automatically, goes onto their open invoices)."""
    payment = _lock_payment(company, payment_id)
    if payment.status != PaymentStatus.UNMATCHED:
        raise StateConflict(_("Only an unmatched payment can be given to a customer."))
    customer = Customer.objects.filter(company=company, pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer."), field="customer")
    payment.customer = customer
    payment.match = MatchMethod.MANUAL
    payment.status = payment_status(amount=payment.amount, allocated=payment.allocated_amount, customer_id=customer.pk)
    payment.save(update_fields=["customer", "match", "status"])
    credit_apply_automatically(company=company, customer_ids={customer.pk}, actor_id=actor_id_of(actor))
    return payment


# --- the credit balance ---------------------------------------------------------------------------


def _credit_sources(company_id: int, customer_ids: Iterable[int]) -> tuple[list[list[Any]], dict[int, Open]]:
    """Lock the customers' credit: payments with money left (first), then their open and
    over-paid receivables. Returns the payments as [pk, customer, currency, left, booked_on] and
    the receivables."""
    ids = sorted(set(customer_ids))
    payments = [
        list(row)
        for row in Payment.objects.filter(
            Q(company_id=company_id, status=PaymentStatus.CREDIT) & any_of(Payment, ids, "customer_id")
        )
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "customer_id", "currency", "amount", "allocated_amount", "booked_on")
    ]
    invoice_ids = Receivable.objects.filter(
        Q(company_id=company_id, state__in=(*OPEN_STATES, ReceivableState.OVERPAID))
        & any_of(Receivable, ids, "customer_id")
    ).values_list("pk", flat=True)
    return payments, lock_receivables(invoice_ids)


def credit_apply_automatically(*, company: Company, customer_ids: Iterable[int], actor_id: int | None) -> int:
    """Apply the customers' credit when the company applies credit automatically."""
    if not payment_settings_of(company).is_applying_credit_automatically:
        return 0
    return _credit_apply(company=company, customer_ids=customer_ids, actor_id=actor_id)


@retrying_atomic
def credit_apply(*, company: Company, actor: Any, customer_id: int, invoice_ids: Sequence[int] | None = None) -> int:
    """Apply a customer's credit balance to their open invoices by hand (all of them, or the
    chosen ones), oldest due first. Returns how many allocations were made."""
    if not Customer.objects.filter(company=company, pk=customer_id).exists():
        raise NotFound(_("No such customer."), field="customer")
    made = _credit_apply(company=company, customer_ids=[customer_id], actor_id=actor_id_of(actor), only=invoice_ids)
    if not made:
        raise StateConflict(_("There is no credit balance to apply to an open invoice in the same currency."))
    return made


def _credit_apply(
    *, company: Company, customer_ids: Iterable[int], actor_id: int | None, only: Sequence[int] | None = None
) -> int:
    payments, receivables = _credit_sources(company.pk, customer_ids)
    ledger = Ledger(company_id=company.pk, actor_id=actor_id, receivables=receivables)
    today = timezone.localdate()
    by_customer: dict[tuple[int, str], list[Open]] = defaultdict(list)
    for receivable in receivables.values():
        by_customer[(receivable.customer_id, receivable.currency)].append(receivable)
    payments_by: dict[tuple[int, str], list[list[Any]]] = defaultdict(list)
    for row in payments:
        payments_by[(row[1], row[2])].append(row)
    changed_payments: dict[int, list[Any]] = {}
    for key in sorted(set(by_customer) | set(payments_by)):
        group = by_customer.get(key, [])
        targets = sorted(
            (r for r in group if r.state in OPEN_STATES and (only is None or r.invoice_id in only)),
            key=lambda r: (r.due_on, r.invoice_id),
        )
        overpaid = sorted((r for r in group if r.open < ZERO), key=lambda r: (r.paid_on or today, r.invoice_id))
        for target in targets:
            for source in overpaid:
                need, spare = target.open, -source.open
                if need <= ZERO:
                    break
                if spare <= ZERO:
                    continue
                moved = min(need, spare)
                ledger.post(
                    invoice_id=source.invoice_id,
                    customer_id=source.customer_id,
                    kind=AllocationKind.CREDIT_BALANCE,
                    amount=-moved,
                    currency=source.currency,
                    on=today,
                    params={"to_invoice": target.number},
                    history_params={"to_invoice": target.number},
                )
                ledger.post(
                    invoice_id=target.invoice_id,
                    customer_id=target.customer_id,
                    kind=AllocationKind.CREDIT_BALANCE,
                    amount=moved,
                    currency=target.currency,
                    on=today,
                    params={"from_invoice": source.number},
                    history_params={"from_invoice": source.number},
                )
            for row in payments_by.get(key, []):
                need, spare = target.open, row[3] - row[4]
                if need <= ZERO:
                    break
                if spare <= ZERO:
                    continue
                moved = min(need, spare)
                row[4] += moved
                changed_payments[row[0]] = row
                ledger.post(
                    invoice_id=target.invoice_id,
                    customer_id=target.customer_id,
                    kind=AllocationKind.CREDIT_BALANCE,
                    amount=moved,
                    currency=target.currency,
                    on=today,
                    payment_id=row[0],
                    history_params={"payment_id": row[0]},
                )
    made = ledger.write()
    _save_payment_figures(changed_payments.values())
    ledger.publish()
    return made


def _save_payment_figures(rows: Iterable[list[Any]]) -> None:
    bulk_update(
        Payment,
        ("allocated_amount", "status"),
        ((row[0], row[4], payment_status(amount=row[3], allocated=row[4], customer_id=row[1])) for row in rows),
    )


@retrying_atomic
def credit_refund(
    *, company: Company, actor: Any, customer_id: int, amount: Any, currency: str, refunded_on: dt.date, note: str = ""
) -> int:
    """Record that (part of) a customer's credit balance was paid back to them. Refused above the
    balance in that currency."""
    errors = ErrorCollector()
    currency = (currency or "").upper()
    cleaned = _clean_amount(amount, currency, errors)
    if refunded_on is None:
        errors.add("refunded_on", _("Enter the date of the refund."))
    elif refunded_on > timezone.localdate():
        errors.add("refunded_on", _("A refund cannot be dated after today."))
    errors.raise_if_any()
    assert cleaned is not None
    if not Customer.objects.filter(company=company, pk=customer_id).exists():
        raise NotFound(_("No such customer."), field="customer")
    payments, receivables = _credit_sources(company.pk, [customer_id])
    balance = sum((row[3] - row[4] for row in payments if row[2] == currency), ZERO) + sum(
        (-r.open for r in receivables.values() if r.currency == currency and r.open < ZERO), ZERO
    )
    if cleaned > balance:
        raise DomainError(
            _("The customer's credit balance is %(balance)s; refund at most that.")
            % {"balance": format_money(balance, currency)},
            field="amount",
            code="above_balance",
        )
    ledger = Ledger(company_id=company.pk, actor_id=actor_id_of(actor), receivables=receivables)
    left = cleaned
    changed: dict[int, list[Any]] = {}
    params = {"note": note.strip()[:300]}
    for source in sorted(receivables.values(), key=lambda r: (r.paid_on or refunded_on, r.invoice_id)):
        if left <= ZERO or source.currency != currency or source.open >= ZERO:
            continue
        part = min(left, -source.open)
        ledger.post(
            invoice_id=source.invoice_id,
            customer_id=customer_id,
            kind=AllocationKind.REFUND,
            amount=-part,
            currency=currency,
            on=refunded_on,
            params=params,
            history_params=params,
        )
        left -= part
    for row in payments:
        if left <= ZERO or row[2] != currency:
            continue
        part = min(left, row[3] - row[4])
        if part <= ZERO:
            continue
        row[4] += part
        changed[row[0]] = row
        ledger.post(
            invoice_id=None,
            customer_id=customer_id,
            kind=AllocationKind.REFUND,
            amount=part,
            currency=currency,
            on=refunded_on,
            payment_id=row[0],
            params=params,
        )
        left -= part
    made = ledger.write()
    _save_payment_figures(changed.values())
    return made
