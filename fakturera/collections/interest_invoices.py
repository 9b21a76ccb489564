"""Interest invoices (räntefakturor): interest that is not lost when a late invoice is paid
(DESIGN.md, "Interest invoices").

- `interest_charges_record`: payments' `invoice.paid` (subscribers.py, in the payments'
  transaction) gives the invoices just paid; those paid after their due date get one
  InterestCharge each: the interest day by day on what was unpaid each day, at the rate in force
  that day (law.interest_until_paid), and the fees their reminders charged. A fixed number of
  statements for any number of invoices (a bank file of fifty thousand payments), rows inserted
  with ON CONFLICT DO NOTHING on the unique invoice: an event published twice proposes nothing
  twice. The company's setting decides: never (nothing recorded), propose, or issue (the
  proposals are issued by a background task, so a bank import waits for no numbering).
- `interest_invoices_issue`: proposals become real invoices through invoicing's bulk path
  (invoice_drafts_create_many, invoices_issue_drafts: numbered in the company's series,
  `invoice.issued`, PDF and UBL by documents), each line outside the scope of VAT with its
  account (bookkeeping: interest 8313, reminder fees 3990), then sent through distribution's
  routing as any invoice. The proposal names its interest invoice (`charge_invoice`): the run
  charges such an invoice no fee and no interest (no interest on interest).
- `interest_charges_dismiss`: a proposal dismissed, with the reason in the paid invoice's history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from fakturera.bookkeeping.selectors import accounts_of
from fakturera.catalog.vat import VatCategory
from fakturera.collections import law
from fakturera.collections.history import (
    INTEREST_INVOICE_BELOW_MINIMUM,
    INTEREST_INVOICE_DISMISSED,
    INTEREST_INVOICE_ISSUED,
    INTEREST_INVOICE_PROPOSED,
)
from fakturera.collections.models import InterestCharge, Reminder
from fakturera.collections.selectors import collection_settings_of, interest_rate_periods
from fakturera.collections.states import InterestChargeState, InterestInvoiceMode, ReminderState
from fakturera.core.bulk import any_of, bulk_insert_new, bulk_update
from fakturera.core.db import retrying_atomic
from fakturera.core.errors import DomainError, StateConflict
from fakturera.core.money import format_money
from fakturera.core.tasks import enqueue_on_commit
from fakturera.distribution.models import Purpose
from fakturera.distribution.services import invoices_send
from fakturera.invoicing.history import Entry, actor_id_of, history_add_many
from fakturera.invoicing.issuing import LineData
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import DraftSpec, TotalsMemo, invoice_drafts_create_many, invoices_issue_drafts
from fakturera.parties.models import Company, Customer
from fakturera.payments.selectors import PaidClaim, paid_claims

ZERO = Decimal("0.00")
NOT_SUBJECT_TO_VAT = (VatCategory.OUTSIDE_SCOPE, ZERO)


# --- recording, when invoices are paid ----------------------------------------------------------


@dataclass(frozen=True)
class FeeOwed:
    reminder_id: int
    level: int
    on: dt.date
    kind: str
    amount: Decimal

    def as_data(self) -> dict[str, Any]:
        return {
            "reminder_id": self.reminder_id,
            "level": self.level,
            "on": self.on.isoformat(),
            "kind": self.kind,
            "amount": str(self.amount),
        }


def charge_of(
    claim: PaidClaim,
    *,
    rates: Sequence[law.RatePeriod],
    fees: Sequence[FeeOwed],
    minimum_amount: Decimal,
) -> dict[str, Any]:
    """What one invoice paid late owes beside its principal (the row's figures and state)."""
    assert claim.paid_on is not None
    figures: dict[str, Any] = {
        "invoice_id": claim.invoice_id,
        "customer_id": claim.customer_id,
        "invoice_number": claim.number,
        "currency": claim.currency,
        "due_on": claim.due_on,
        "paid_on": claim.paid_on,
        "days_late": (claim.paid_on - claim.due_on).days,
        "fee_amount": sum((fee.amount for fee in fees), ZERO),
        "fees": [fee.as_data() for fee in fees],
        "interest_amount": ZERO,
        "interest_periods": [],
        "error": "",
    }
    try:
        spans = law.interest_until_paid(
            owed=claim.owed_amount, due_on=claim.due_on, parts=claim.parts, rates=rates, currency=claim.currency
        )
    except law.RateMissing as missing:
        # Never a guess: the rate of that day is entered first (the rate table lists the gaps).
        figures["state"] = InterestChargeState.NO_RATE
        figures["error"] = _("The rate table has no late-payment interest rate for %(day)s.") % {
            "day": missing.day.isoformat()
        }
        return figures
    spans = [span for span in spans if span.amount > 0]
    figures["interest_amount"] = sum((span.amount for span in spans), ZERO)
    figures["interest_periods"] = [span.as_data() for span in spans]
    total = figures["interest_amount"] + figures["fee_amount"]
    # The minimum is of the interest invoice's amount: below it, the row stays (so the invoice is
    # not weighed again) but nothing is proposed.
    is_enough = total > 0 and total >= minimum_amount
    figures["state"] = InterestChargeState.PROPOSED if is_enough else InterestChargeState.BELOW_MINIMUM
    return figures


CHARGE_COLUMNS = (
    "company_id", "invoice_id", "customer_id", "invoice_number", "currency", "due_on", "paid_on", "days_late",
    "fee_amount", "fees", "interest_amount", "interest_periods", "error", "state", "created_at",
)  # fmt: skip


def interest_charges_record(
    *, company_id: int, invoice_ids: Iterable[int], actor_id: int | None = None, now: dt.datetime | None = None
) -> list[int]:
    """Record what the invoices just paid owe for being paid late (module docstring), in the
    caller's transaction. Returns the ids of the proposals recorded now."""
    now = now or timezone.now()
    company = Company.objects.get(pk=company_id)
    settings = collection_settings_of(company=company)
    if settings.interest_invoice_mode == InterestInvoiceMode.NEVER:
        return []
    paid = paid_claims(company_id=company_id, invoice_ids=invoice_ids, late_only=True)
    claims = [claim for claim in paid if _was_late(claim)]
    if not claims:
        return []
    ids = [claim.invoice_id for claim in claims]
    # Recorded before, or an interest invoice itself (no interest on interest): left alone.
    known = InterestCharge.objects.filter(
        Q(company_id=company_id)
        & (any_of(InterestCharge, ids, "invoice_id") | any_of(InterestCharge, ids, "charge_invoice_id"))
    ).values_list("invoice_id", "charge_invoice_id")
    skip = {pk for pair in known for pk in pair if pk is not None}
    claims = [claim for claim in claims if claim.invoice_id not in skip]
    if not claims:
        return []
    kinds = dict(
        Customer.objects.filter(
            Q(company_id=company_id) & any_of(Customer, sorted({c.customer_id for c in claims}))
        ).values_list("pk", "kind")
    )
    rates = {kind: interest_rate_periods(country=company.country, customer_kind=kind) for kind in set(kinds.values())}
    fees = _fees_owed(company_id, [claim.invoice_id for claim in claims])
    rows = [
        charge_of(
            claim,
            rates=rates[kinds[claim.customer_id]],
            fees=fees.get(claim.invoice_id, ()),
            minimum_amount=settings.interest_invoice_minimum_amount,
        )
        for claim in claims
    ]
    bulk_insert_new(
        InterestCharge,
        CHARGE_COLUMNS,
        ((company_id, *(row[name] for name in CHARGE_COLUMNS[1:-1]), now) for row in rows),
    )
    # Ours are the rows stamped with this call's time: a concurrent or earlier one's are not.
    ours = list(
        InterestCharge.objects.filter(
            Q(company_id=company_id, created_at=now)
            & any_of(InterestCharge, [c.invoice_id for c in claims], "invoice_id")
        ).values_list("pk", "invoice_id", "state", "interest_amount", "fee_amount", "currency")
    )
    kind_of = {
        InterestChargeState.PROPOSED: INTEREST_INVOICE_PROPOSED,
        InterestChargeState.BELOW_MINIMUM: INTEREST_INVOICE_BELOW_MINIMUM,
    }
    history_add_many(
        Entry(
            invoice_id,
            kind_of[state],
            now,
            actor_id,
            {"interest": str(interest), "fees": str(fee), "currency": currency},
        )
        for _pk, invoice_id, state, interest, fee, currency in ours
        if state in kind_of
    )
    proposed = [pk for pk, _invoice_id, state, *_rest in ours if state == InterestChargeState.PROPOSED]
    if proposed and settings.interest_invoice_mode == InterestInvoiceMode.ISSUE:
        from fakturera.collections.tasks import interest_invoices_issue_automatically

        enqueue_on_commit(interest_invoices_issue_automatically, company_id, proposed, company_id=company_id)
    return proposed


def _was_late(claim: PaidClaim) -> bool:
    return claim.paid_on is not None and claim.paid_on > claim.due_on and claim.owed_amount > 0


def _fees_owed(company_id: int, invoice_ids: list[int]) -> dict[int, list[FeeOwed]]:
    """The fees the invoices' reminders charged (those sent: a reminder that never reached the
    customer claimed nothing), by invoice, oldest first. One query."""
    found: dict[int, list[FeeOwed]] = defaultdict(list)
    rows = (
        Reminder.objects.filter(
            Q(company_id=company_id, state=ReminderState.SENT, fee_amount__gt=0)
            & any_of(Reminder, invoice_ids, "invoice_id")
        )
        .order_by("invoice_id", "level")
        .values_list("pk", "invoice_id", "level", "assessed_on", "fee_kind", "fee_amount")
    )
    for pk, invoice_id, level, on, kind, amount in rows:
        found[invoice_id].append(FeeOwed(pk, level, on, kind, amount))
    return found


# --- issuing -----------------------------------------------------------------------------------------


@dataclass
class IssueResult:
    issued: dict[int, str] = field(default_factory=dict)  # charge id -> the interest invoice's number
    invoice_ids: list[int] = field(default_factory=list)
    not_sent: dict[int, str] = field(default_factory=dict)  # interest invoice id -> why distribution refused


def _rate(percent: Decimal) -> str:
    """A rate as the reader writes it ("10.00", "10,00"), the language active."""
    return format_decimal(percent, format="#,##0.00##", locale=to_locale(get_language() or "sv"))


def line_texts(charge: InterestCharge) -> list[tuple[str, Decimal, str]]:
    """(description, amount, purpose) of each line of the interest invoice, in the active
    language: one per rate period (and principal, when paid in parts), one per fee."""
    lines = []
    for span in charge.interest_periods:
        lines.append(
            (
                _(
                    "Late-payment interest on invoice %(number)s, %(days)s days from %(from)s to %(to)s "
                    "at %(rate)s %% on %(principal)s"
                )
                % {
                    "number": charge.invoice_number,
                    "days": span["days"],
                    "from": span["from"],
                    "to": span["to"],
                    "rate": _rate(Decimal(span["rate"])),
                    "principal": format_money(span["principal"], charge.currency),
                },
                Decimal(span["amount"]),
                "interest",
            )
        )
    for fee in charge.fees:
        text = (
            _("Late-payment compensation, reminder of %(date)s")
            if fee["kind"] == law.FeeKind.LATE_COMPENSATION
            else _("Reminder fee, reminder of %(date)s")
        )
        lines.append((text % {"date": fee["on"]}, Decimal(fee["amount"]), "reminder_fees"))
    return lines


@retrying_atomic
def interest_invoices_issue(
    *, company: Company, actor: Any, charge_ids: Sequence[int], now: dt.datetime | None = None
) -> IssueResult:
    """Issue the chosen proposals as interest invoices and send them the way the customer's
    invoices go. A proposal decided meanwhile (issued, dismissed) is left out; none left is
    refused with why, nothing written."""
    now = now or timezone.now()
    ids = sorted({int(pk) for pk in charge_ids})
    # Locks: the proposals first (the rows the action is about), then invoicing's (the series).
    charges = list(
        InterestCharge.objects.select_for_update(of=("self",), no_key=True)
        .filter(Q(company=company, state=InterestChargeState.PROPOSED) & any_of(InterestCharge, ids))
        .order_by("pk")
    )
    if not charges:
        raise StateConflict(
            _("None of the chosen interest invoices is left to issue; someone may have issued or dismissed them."),
            code="nothing_to_issue",
        )
    customers = {
        c.pk: c
        for c in Customer.objects.filter(any_of(Customer, sorted({c.customer_id for c in charges}))).only(
            "pk", "payment_terms_days", "language"
        )
    }
    languages = dict(
        Invoice.objects.filter(any_of(Invoice, [c.invoice_id for c in charges])).values_list("pk", "language")
    )
    accounts = accounts_of(company.pk)
    memo = TotalsMemo(round_to_whole=company.is_rounding_to_whole_units)
    vat_key = memo.vat_key(*NOT_SUBJECT_TO_VAT)
    specs = []
    for charge in charges:
        customer = customers[charge.customer_id]
        language = languages.get(charge.invoice_id) or customer.language
        with translation.override(language):
            texts = line_texts(charge)
            note = _("Interest invoice for invoice %(number)s, due %(due)s and paid %(paid)s (%(days)s days late).") % {
                "number": charge.invoice_number,
                "due": charge.due_on.isoformat(),
                "paid": charge.paid_on.isoformat(),
                "days": charge.days_late,
            }
        lines = [
            LineData(
                description=text,
                quantity=Decimal("1"),
                unit_price=amount,
                vat_key=vat_key,
                account_code=accounts[purpose],
            )
            for text, amount, purpose in texts
        ]
        terms = customer.payment_terms_days if customer.payment_terms_days is not None else company.payment_terms_days
        specs.append(
            DraftSpec(
                company_id=company.pk,
                customer_id=charge.customer_id,
                currency=charge.currency,
                language=language,
                payment_terms_days=terms,
                totals=memo.totals(((line.quantity, line.unit_price, vat_key) for line in lines), charge.currency),
                lines=lines,
                note=note,
            )
        )
    draft_ids = invoice_drafts_create_many(specs=specs, actor=actor, now=now)
    issued = {out.pk: out for out in invoices_issue_drafts(company=company, actor=actor, invoice_ids=draft_ids)}
    result = IssueResult()
    actor_id = actor_id_of(actor)
    decided = []
    for charge, draft_id in zip(charges, draft_ids, strict=True):
        result.issued[charge.pk] = issued[draft_id].display_number
        result.invoice_ids.append(draft_id)
        decided.append((charge.pk, InterestChargeState.ISSUED, draft_id, now, actor_id))
    bulk_update(
        InterestCharge,
        ("state", "charge_invoice_id", "decided_at", "decided_by_id"),
        decided,
        only_if={"state": InterestChargeState.PROPOSED},
    )
    history_add_many(
        Entry(charge.invoice_id, INTEREST_INVOICE_ISSUED, now, actor_id, {"number": result.issued[charge.pk]})
        for charge in charges
    )
    try:
        batch = invoices_send(
            company=company, actor=actor, invoice_ids=result.invoice_ids, purpose=Purpose.INVOICE, now=now
        )
    except DomainError as refused:
        # No channel set up: issued all the same (as a registered invoice is), sent from the
        # invoice list once distribution is set up.
        result.not_sent = dict.fromkeys(result.invoice_ids, refused.message)
    else:
        result.not_sent = {pk: str(why) for pk, why in batch.not_sent.items()}
    return result


@transaction.atomic
def interest_charges_dismiss(*, company: Company, actor: Any, charge_ids: Sequence[int], reason: str) -> int:
    """Dismiss proposals (the company waives the interest): a compare-and-set from proposed, the
    reason in each paid invoice's history. Returns how many were dismissed."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the interest invoice is dismissed."), field="reason", code="reason_missing")
    if len(reason) > 300:
        raise DomainError(_("The reason is at most 300 characters."), field="reason", code="reason_too_long")
    ids = sorted({int(pk) for pk in charge_ids})
    now = timezone.now()
    actor_id = actor_id_of(actor)
    rows = list(
        InterestCharge.objects.select_for_update(of=("self",), no_key=True)
        .filter(Q(company=company, state=InterestChargeState.PROPOSED) & any_of(InterestCharge, ids))
        .order_by("pk")
        .values_list("pk", "invoice_id")
    )
    if not rows:
        raise StateConflict(
            _("None of the chosen interest invoices is left to dismiss; someone may have issued or dismissed them."),
            code="nothing_to_dismiss",
        )
    InterestCharge.objects.filter(any_of(InterestCharge, [pk for pk, _i in rows])).update(
        state=InterestChargeState.DISMISSED, decided_at=now, decided_by_id=actor_id, dismiss_reason=reason
    )
    history_add_many(
        Entry(invoice_id, INTEREST_INVOICE_DISMISSED, now, actor_id, {"reason": reason}) for _pk, invoice_id in rows
    )
    return len(rows)
