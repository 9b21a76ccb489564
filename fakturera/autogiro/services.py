"""Writes of the Autogiro app: settings, mandates, payment orders and the run's file.

`mandate_active_for` / `mandates_active_for` (selectors) are re-exported here: they are
what the distribution's direct-debit channel asks before `payment_orders_add`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.autogiro.files import Collection, payment_order_file_content
from fakturera.autogiro.models import AutogiroSettings, Mandate, MandateStatus, PaymentOrder, PaymentOrderStatus, Run
from fakturera.autogiro.selectors import mandate_active_for, mandates_active_for
from fakturera.core.db import retrying_atomic
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict
from fakturera.core.identifiers import clean_bankgiro, clean_organisation_number, clean_personnummer
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.parties.models import Company, Customer

__all__ = [
    "autogiro_settings_save",
    "mandate_active_for",
    "mandate_add",
    "mandate_cancel",
    "mandates_active_for",
    "payment_order_file",
    "payment_order_results",
    "payment_orders_add",
]

REFERENCE_LENGTH = 16


def _digits_only(value: str) -> str:
    return (value or "").replace("-", "").replace(" ", "").strip()


@transaction.atomic
def autogiro_settings_save(*, company: Company, customer_number: str, bankgiro: str) -> AutogiroSettings:
    errors = ErrorCollector()
    number = _digits_only(customer_number)
    if not number.isdigit() or len(number) > 6:
        errors.add("customer_number", _("Bankgirot's customer number has up to 6 digits, such as 471117."))
    with errors.check():
        bankgiro = clean_bankgiro(bankgiro)
    if not bankgiro:
        errors.add("bankgiro", _("Enter the bankgiro number the payments are collected to."))
    errors.raise_if_any()
    found, _created = AutogiroSettings.objects.update_or_create(
        company=company, defaults={"customer_number": number.zfill(6), "bankgiro": bankgiro}
    )
    return found


@transaction.atomic
def mandate_add(
    *,
    company: Company,
    customer: Customer,
    actor: Any,
    valid_from: dt.date,
    payer_number: str = "",
    clearing_number: str = "",
    account_number: str = "",
    payer_bankgiro: str = "",
    holder_id_number: str = "",
) -> Mandate:
    """Record a mandate the payer signed: a bank account (clearing and account) or a bankgiro."""
    if customer.company_id != company.pk:
        raise DomainError(_("The customer belongs to another company."))
    errors = ErrorCollector()
    clearing, account = _digits_only(clearing_number), _digits_only(account_number)
    bankgiro = ""
    if payer_bankgiro.strip():
        if clearing or account:
            errors.add("__all__", _("Give either a bank account or a bankgiro number, not both."))
        with errors.check():
            bankgiro = clean_bankgiro(payer_bankgiro, field="payer_bankgiro")
    else:
        if not (clearing.isdigit() and len(clearing) in (4, 5)):
            errors.add("clearing_number", _("A clearing number has 4 or 5 digits, such as 8327-9."))
        if not (account.isdigit() and 1 <= len(account) <= 12):
            errors.add("account_number", _("An account number has up to 12 digits."))
    payer = _digits_only(payer_number)
    if not payer:
        # Bankgirot: a bankgiro mandate's payer number is the payer's bankgiro number.
        payer = _digits_only(bankgiro) if bankgiro else str(customer.number)
    if not payer.isdigit() or len(payer) > 16:
        errors.add("payer_number", _("A payer number has up to 16 digits."))
    elif bankgiro and payer != _digits_only(bankgiro):
        errors.add("payer_number", _("With a bankgiro mandate the payer number is the payer's bankgiro number."))
    holder = ""
    with errors.check():
        if customer.is_organisation:
            holder = clean_organisation_number(holder_id_number, country="SE", field="holder_id_number")
        else:
            holder = clean_personnummer(holder_id_number, field="holder_id_number")
    errors.raise_if_any()
    active = Mandate.objects.select_for_update().filter(company=company, status=MandateStatus.ACTIVE)
    if active.filter(customer=customer).exists():
        raise StateConflict(_("%(name)s already has an active mandate; cancel it first.") % {"name": customer.name})
    if active.filter(payer_number=payer).exists():
        raise DomainError(
            _("Payer number %(number)s is already used by another active mandate.") % {"number": payer},
            field="payer_number",
        )
    mandate = Mandate(
        company=company,
        customer=customer,
        payer_number=payer,
        clearing_number="" if bankgiro else clearing,
        account_number="" if bankgiro else account,
        payer_bankgiro=bankgiro,
        holder_id_number=holder,
        valid_from=valid_from,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            mandate.save()
    except IntegrityError:
        # Another request added one at the same moment; the unique constraints decided.
        raise StateConflict(_("The customer or the payer number already has an active mandate.")) from None
    return mandate


@transaction.atomic
def mandate_cancel(*, mandate: Mandate, cancelled_on: dt.date | None = None) -> Mandate:
    """Cancel a mandate. Payment orders already in a file stay with Bankgirot; waiting ones are
    refused by the next file run (see payment_order_file)."""
    changed = Mandate.objects.filter(pk=mandate.pk, status=MandateStatus.ACTIVE).update(
        status=MandateStatus.CANCELLED, cancelled_on=cancelled_on or timezone.localdate()
    )
    if changed != 1:
        raise StateConflict(_("The mandate is already cancelled."))
    mandate.refresh_from_db()
    return mandate


def _reference(invoice: Invoice) -> str:
    reference = invoice.payment_reference or invoice.display_number
    return reference[:REFERENCE_LENGTH]


@transaction.atomic
def payment_orders_add(invoices: Iterable[Invoice]) -> list[PaymentOrder]:
    """A payment order for each invoice, once: calling again for the same invoice returns the
    order it already has. Refuses (writing nothing) invoices that cannot be collected."""
    wanted = list(invoices)
    if not wanted:
        return []
    by_company = {invoice.company_id for invoice in wanted}
    if len(by_company) != 1:
        raise DomainError(_("Payment orders are added for one company at a time."))
    company_id = by_company.pop()
    mandates = {
        mandate.customer_id: mandate
        for mandate in Mandate.objects.filter(
            company_id=company_id, customer_id__in={i.customer_id for i in wanted}, status=MandateStatus.ACTIVE
        )
    }
    errors = ErrorCollector()
    new = []
    for invoice in wanted:
        # Not a draft nor credited: the distribution may have moved it on (queued) meanwhile.
        if invoice.kind != InvoiceKind.INVOICE or invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CREDITED):
            errors.add("__all__", _("%(number)s is not an issued invoice.") % {"number": invoice.display_number})
        elif invoice.currency != "SEK":
            errors.add("__all__", _("%(number)s is not in SEK; Autogiro collects kronor only.") % {
                "number": invoice.display_number,
            })  # fmt: skip
        elif invoice.total_amount <= 0:
            errors.add("__all__", _("%(number)s has nothing to collect.") % {"number": invoice.display_number})
        elif invoice.customer_id not in mandates:
            errors.add("__all__", _("%(number)s: the customer has no active Autogiro mandate.") % {
                "number": invoice.display_number,
            })  # fmt: skip
        else:
            mandate = mandates[invoice.customer_id]
            new.append(
                PaymentOrder(
                    company_id=company_id,
                    invoice=invoice,
                    mandate=mandate,
                    payer_number=mandate.payer_number,
                    amount=invoice.total_amount,
                    due_on=invoice.due_on or invoice.issued_on,
                    reference=_reference(invoice),
                )
            )
    errors.raise_if_any()
    # The unique invoice makes a second call (or a concurrent one) add nothing.
    PaymentOrder.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return list(PaymentOrder.objects.filter(invoice__in=wanted).order_by("pk"))


def _payment_on(order: PaymentOrder, run_on: dt.date) -> dt.date | None:
    # Bankgirot needs an order a banking day before its payment date; one that is due
    # by then is collected as soon as possible (GENAST).
    return order.due_on if order.due_on > run_on else None


def payment_order_credited(*, invoice_id: int, credited_amount: Decimal) -> None:
    """A credit note lowers what the invoice's waiting payment order collects; credited in
    full, the order is withdrawn. Runs in the crediting transaction. A filed order is in
    Bankgirot's hands already: what was collected is paid back outside Autogiro."""
    order = (
        PaymentOrder.objects.select_for_update()
        .filter(invoice_id=invoice_id, status=PaymentOrderStatus.WAITING)
        .first()
    )
    if order is None:
        return
    left = order.amount - credited_amount
    if left <= 0:
        order.delete()
    else:
        order.amount = left
        order.save(update_fields=["amount"])


@retrying_atomic
def payment_order_file(company: Company, run_date: dt.date) -> bytes:
    """The payment-order file of the company's run on `run_date`: the first call writes it with
    every waiting order (and files them); later calls return the same bytes."""
    payee = AutogiroSettings.objects.filter(company=company).first()
    if payee is None:
        raise DomainError(_("Enter the company's Autogiro settings (customer number and bankgiro) first."))
    # Lock the waiting orders first: a second run at the same moment waits here, then finds
    # the run the first one stored (or no orders left) instead of filing anything twice.
    orders = list(
        PaymentOrder.objects.select_for_update(of=("self",))
        .filter(company=company, status=PaymentOrderStatus.WAITING, mandate__status=MandateStatus.ACTIVE)
        .order_by("due_on", "pk")
    )
    existing = Run.objects.filter(company=company, run_on=run_date).first()
    if existing is not None:
        return bytes(existing.content)
    if not orders:
        raise DomainError(_("No payment orders are waiting for a file."))
    content = payment_order_file_content(
        written_on=run_date,
        customer_number=payee.customer_number,
        bankgiro=payee.bankgiro,
        collections=[
            Collection(
                payer_number=order.payer_number,
                amount=order.amount,
                payment_on=_payment_on(order, run_date),
                reference=order.reference,
            )
            for order in orders
        ],
    )
    run = Run.objects.create(
        company=company,
        run_on=run_date,
        content=content,
        order_count=len(orders),
        total_amount=sum((order.amount for order in orders), start=orders[0].amount * 0),
    )
    PaymentOrder.objects.filter(pk__in=[order.pk for order in orders]).update(status=PaymentOrderStatus.FILED, run=run)
    return content


# --- what Bankgirot reported ----------------------------------------------------------------------

# The states a report may move an order from: a stopped order (status 9, renewed funds check) can
# still be collected by a later report; nothing moves an approved or rejected order again.
RESULT_FROM = {
    PaymentOrderStatus.APPROVED: (PaymentOrderStatus.FILED, PaymentOrderStatus.STOPPED),
    PaymentOrderStatus.STOPPED: (PaymentOrderStatus.FILED,),
    PaymentOrderStatus.REJECTED: (PaymentOrderStatus.FILED,),
}


@dataclass(frozen=True)
class OrderResult:
    """One collection (TK82) of Bankgirot's report, as far as the order needs it: `outcome` is the
    state it reports (approved, rejected, stopped), `code` its status or comment code."""

    outcome: str
    payer_number: str
    amount: Decimal
    reference: str = ""
    code: str = ""
    on: dt.date | None = None


@dataclass(frozen=True)
class OrderMoved:
    """The order a result is about. `moved` is False when the order had been reported already
    (a report read twice, or an approved order reported again): nothing was changed."""

    order_id: int
    invoice_id: int
    status_before: str
    moved: bool


def _payer(number: str) -> str:
    return (number or "").strip().lstrip("0")


@retrying_atomic
def payment_order_results(*, company: Company, results: Sequence[OrderResult]) -> list[OrderMoved | None]:
    """Move the payment orders of Bankgirot's report to what it says, in the caller's transaction:
    one element per result, None when no order of the company is the one reported. An order is
    found by payer number and reference and amount (the old layout's rejected orders carry no
    reference: payer number and amount); each order answers one result of the report. Every
    move is a compare-and-set from the states in `RESULT_FROM`, on orders locked in id order."""
    payers = {_payer(result.payer_number) for result in results} - {""}
    if not payers:
        return [None] * len(results)
    orders = list(
        PaymentOrder.objects.select_for_update(of=("self",))
        .annotate(payer=Func(F("payer_number"), Value("0"), function="LTRIM"))
        .filter(company=company, payer__in=payers)
        .exclude(status=PaymentOrderStatus.WAITING)
        .order_by("pk")
        .values("pk", "invoice_id", "payer", "amount", "reference", "status")
    )
    by_payer: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        by_payer.setdefault(order["payer"], []).append(order)
    used: set[int] = set()
    found: list[OrderMoved | None] = []
    moves: dict[tuple[str, str, dt.date | None], list[int]] = {}
    for result in results:
        candidates = [o for o in by_payer.get(_payer(result.payer_number), []) if o["pk"] not in used]
        reference = result.reference.strip()

        def same_reference(order: dict[str, Any], reference: str = reference) -> bool:
            theirs = order["reference"].strip()
            return theirs == reference or (bool(reference) and theirs.lstrip("0") == reference.lstrip("0"))

        movable = [o for o in candidates if o["status"] in RESULT_FROM[result.outcome]]
        order = (
            next((o for o in movable if same_reference(o) and o["amount"] == result.amount), None)
            or (next((o for o in movable if same_reference(o)), None) if reference else None)
            or (next((o for o in movable if o["amount"] == result.amount), None) if not reference else None)
        )
        if order is not None:
            moves.setdefault((result.outcome, result.code, result.on), []).append(order["pk"])
            moved = True
        else:
            order = next(
                (o for o in candidates if (same_reference(o) if reference else o["amount"] == result.amount)), None
            )
            moved = False
        if order is None:
            found.append(None)
            continue
        used.add(order["pk"])
        found.append(OrderMoved(order["pk"], order["invoice_id"], order["status"], moved))
    now = timezone.now()
    for (outcome, code, on), ids in moves.items():
        changed = PaymentOrder.objects.filter(pk__in=ids, status__in=RESULT_FROM[outcome]).update(
            status=outcome, result_code=code[:2], result_on=on, result_at=now
        )
        if changed != len(ids):
            raise StateConflict(_("A payment order changed while the report was read; read the report again."))
    return found
