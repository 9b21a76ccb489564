"""Bankgirot's Autogiro reports read into payments and into the payment orders' states.

The payment specification (approved, stopped) and the rejected payment orders
(files/autogiro.py) are read whole, then, in one transaction (a refusal writes nothing):

* the company, by the payee bankgiro of the file: the company's own bankgiro or the one its
  Autogiro settings collect to (importing._company_for's rules, the same refusals);
* every collection (TK82) is given to autogiro's `payment_order_results`, which finds its
  payment order (payer number, reference, amount) and moves it by compare-and-set to approved,
  rejected or stopped;
* an approved collection becomes a payment (direct debit, source Autogiro) on the order's
  invoice, matched "autogiro", booked with the file's other payments by `book_payments`; one
  no order is known for is matched as a bank payment is (its reference);
* a rejected or stopped collection books nothing: the invoice stays unpaid, with Bankgirot's
  reason in its history (`direct_debit_rejected`);
* payouts (TK32) and refunds (TK77) are not incoming payments: listed as not booked.

The same report read twice books nothing twice: an approved collection's bank key
(`autogiro_key`: payee bankgiro, order type, payer number, payment date, amount, reference,
deposit serial, DESIGN.md "Deduplication identifiers") is in PaymentKey, and an order already
moved is not moved again (nor its history written again).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fakturera.autogiro.models import PaymentOrderStatus
from fakturera.autogiro.selectors import companies_collecting_to
from fakturera.autogiro.services import OrderMoved, OrderResult, payment_order_results
from fakturera.core.db import retrying_atomic
from fakturera.invoicing.history import Entry, actor_id_of, history_add_many
from fakturera.parties.models import Company
from fakturera.payments import history
from fakturera.payments.booking import NewPayment, Target, book_payments, existing_keys
from fakturera.payments.files import AutogiroReader
from fakturera.payments.files.autogiro import AutogiroResult, Outcome
from fakturera.payments.files.source import Source
from fakturera.payments.importing import _company_for, _Run, _start
from fakturera.payments.matching import Incoming, match_transactions
from fakturera.payments.models import PaymentImport
from fakturera.payments.states import MatchMethod, PaymentMethod, PaymentSource

CURRENCY = "SEK"  # Autogiro collects kronor only

_STATES = {
    Outcome.APPROVED: PaymentOrderStatus.APPROVED,
    Outcome.REJECTED: PaymentOrderStatus.REJECTED,
    Outcome.STOPPED: PaymentOrderStatus.STOPPED,
}


def autogiro_key(result: AutogiroResult, n: int = 1) -> str:
    """The bank key of an approved collection; `n` counts identical results within the file."""
    on = result.payment_date.isoformat() if result.payment_date else result.date_as_given
    return (
        f"autogiro:{result.payee_bankgiro}:{result.order_type}:{result.payer_number}:{on}:"
        f"{result.amount}:{result.reference}:{result.deposit_serial}:{n}"
    )


@retrying_atomic
def autogiro_report_import(
    *,
    source: Source,
    filename: str = "",
    actor: Any = None,
    company: Company | None = None,
    via: str = PaymentSource.FILE,
    sha256: str = "",
    size: int = 0,
) -> PaymentImport:
    """Import an Autogiro payment specification or rejected-orders report (see the module)."""
    actor_id = actor_id_of(actor)
    reader = AutogiroReader(source)
    results = list(reader)  # one company's run: read (and checked) whole before anything is written
    summary = reader.summary
    assert summary is not None
    run = _Run(company=None, named=company)
    for account in summary.accounts:
        _company_for(run, account.value, account.scheme, also=companies_collecting_to(account.value))
    _start(run, actor_id=actor_id, filename=filename, via=via, sha256=sha256, size=size)
    assert run.company is not None
    assert run.record is not None
    booked_on_default = summary.created_at.date() if isinstance(summary.created_at, dt.datetime) else summary.created_at

    keys: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, result in enumerate(results):
        if result.order_type == "82" and result.outcome is Outcome.APPROVED:
            base = autogiro_key(result, 0)
            seen[base] = seen.get(base, 0) + 1
            keys[index] = autogiro_key(result, seen[base])
    booked_before = existing_keys(run.company.pk, list(keys.values()))

    reported: list[tuple[int, AutogiroResult]] = []
    for index, result in enumerate(results):
        if result.order_type != "82":
            _skip(run, result, "payout", ignored=True)
        elif result.outcome is Outcome.REFUNDED:
            _skip(run, result, "refund", ignored=True)
        elif index in keys and keys[index] in booked_before:
            _skip(run, result, "already_booked", payment_id=booked_before[keys[index]])
        else:
            reported.append((index, result))

    moved = payment_order_results(
        company=run.company,
        results=[
            OrderResult(
                outcome=_STATES[result.outcome],
                payer_number=result.payer_number,
                amount=result.amount,
                reference=result.reference,
                code=result.code,
                on=result.payment_date,
            )
            for _index, result in reported
        ],
    )

    to_book: list[tuple[int, AutogiroResult, OrderMoved | None]] = []
    rejected: list[tuple[AutogiroResult, OrderMoved]] = []
    for (index, result), order in zip(reported, moved, strict=True):
        if order is not None and not order.moved:
            _skip(run, result, "already_reported", order_id=order.order_id, invoice_id=order.invoice_id)
        elif result.outcome is Outcome.APPROVED:
            to_book.append((index, result, order))
        elif order is None:
            _skip(run, result, "no_order", ignored=True, code=result.code)
        else:
            rejected.append((result, order))
            _skip(
                run,
                result,
                str(result.outcome),
                ignored=True,
                code=result.code,
                order_id=order.order_id,
                invoice_id=order.invoice_id,
            )

    _book(run, to_book, keys, actor_id=actor_id, booked_on_default=booked_on_default)
    if rejected:
        at = timezone.now()
        history_add_many(
            Entry(
                invoice_id=order.invoice_id,
                kind=history.DIRECT_DEBIT_REJECTED,
                at=at,
                actor_id=actor_id,
                params={
                    "amount": str(result.amount),
                    "currency": CURRENCY,
                    "reason": result.reason,
                    "outcome": str(_STATES[result.outcome]),
                    "code": result.code,
                    "payment_date": result.payment_date.isoformat() if result.payment_date else result.date_as_given,
                    "payment_import_id": run.record.pk,
                },
            )
            for result, order in rejected
        )

    record = run.record
    record.format = str(summary.format)
    record.version = summary.version
    record.message_id = summary.message_id[:140]
    record.is_test = summary.test
    record.account = ", ".join(sorted(run.accounts))[:40]
    record.transaction_count = len(results)
    record.booked_count = run.counts["booked"]
    record.matched_count = run.counts["matched"]
    record.unmatched_count = run.counts["unmatched"]
    record.skipped_count = run.counts["skipped"]
    record.ignored_count = run.counts["ignored"]
    record.totals = {currency: str(amount) for currency, amount in sorted(run.totals.items())}
    record.warnings = list(summary.warnings)
    record.skipped = run.skipped
    record.save()
    return record


def _skip(run: _Run, result: AutogiroResult, reason: str, *, ignored: bool = False, **extra: Any) -> None:
    run.counts["ignored" if ignored else "skipped"] += 1
    run.skipped.append(
        {
            "position": result.position,
            "reason": reason,
            "amount": str(result.amount),
            "currency": CURRENCY,
            "reference": result.reference,
            "payer": "",
            "payer_number": result.payer_number,
            **extra,
        }
    )


def _book(
    run: _Run,
    to_book: list[tuple[int, AutogiroResult, OrderMoved | None]],
    keys: dict[int, str],
    *,
    actor_id: int | None,
    booked_on_default: dt.date,
) -> None:
    if not to_book:
        return
    assert run.company is not None
    assert run.record is not None
    unknown = [result for _index, result, order in to_book if order is None]
    found = iter(
        match_transactions(
            company_id=run.company.pk,
            with_length_digit=run.company.has_ocr_length_digit,
            incoming=[
                Incoming(amount=result.amount, currency=CURRENCY, reference=result.reference) for result in unknown
            ],
        )
        if unknown
        else []
    )
    payments: list[NewPayment] = []
    matched = 0
    for index, result, order in to_book:
        common = {
            "amount": result.amount,
            "currency": CURRENCY,
            "booked_on": result.payment_date or booked_on_default,
            "value_on": result.payment_date,
            "method": PaymentMethod.DIRECT_DEBIT,
            "source": PaymentSource.AUTOGIRO,
            "payer_account": result.payer_number,
            "reference": result.reference,
            "position": result.position,
            "bank_reference": result.deposit_serial,
            "keys": (keys[index],),
        }
        if order is not None:
            matched += 1
            payments.append(
                NewPayment(
                    **common,
                    match=MatchMethod.AUTOGIRO,
                    match_details={
                        "payment_order_id": order.order_id,
                        "payer_number": result.payer_number,
                        "reference": result.reference,
                    },
                    targets=[Target(order.invoice_id)],
                )
            )
        else:
            match = next(found)
            matched += match.method != MatchMethod.NONE
            payments.append(
                NewPayment(
                    **common,
                    match=match.method,
                    match_details=match.details,
                    customer_id=match.customer_id,
                    targets=match.targets,
                )
            )
    booked = book_payments(company_id=run.company.pk, payments=payments, actor_id=actor_id, import_id=run.record.pk)
    run.counts["booked"] += len(payments)
    run.counts["matched"] += matched
    run.counts["unmatched"] += len(booked.unmatched_ids)
    run.totals[CURRENCY] = run.totals.get(CURRENCY, Decimal("0.00")) + sum(
        (p.amount for p in payments), Decimal("0.00")
    )
    if booked.credit_customer_ids:
        from fakturera.payments.services import credit_apply_automatically

        credit_apply_automatically(company=run.company, customer_ids=booked.credit_customer_ids, actor_id=actor_id)
