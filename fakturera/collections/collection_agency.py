"""Debt collection: the policy's last level action "hand over to debt collection" (DESIGN.md,
"Debt collection").

An invoice is ready for collection when its policy ends with that action, its last level's
reminder was delivered (sent, not only queued) and the deadline that reminder gave (its new due
date; a task-only level: its day) has passed with money still open, and no pause holds it. The
reminder run hands ready invoices over (`claims_hand_over`: one `CollectionClaim` per invoice,
unique in the database, inserted in bulk with conflicts skipped, so a second run or two runs at
once hand nothing over twice); staff hand them over from the Debt collection page too. A claim
handed over gets no more reminders (its last level is given), an entry in the invoice's history
and `invoice.sent_to_collection`. Staff export the claims for the collection agency (inkasso-
bolag) as CSV or XLSX with every field the agency needs (`EXPORT_COLUMNS`), which marks them
exported; before that a hand-over can be undone with a reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.collections.events import INVOICE_SENT_TO_COLLECTION
from fakturera.collections.law import law_of, rate_on
from fakturera.collections.models import CollectionClaim, Reminder, ReminderPause
from fakturera.collections.rules import Given, Policy
from fakturera.collections.selectors import interest_rate_periods
from fakturera.collections.states import (
    CollectionClaimState,
    LastLevelAction,
    PauseReason,
    RateKindChoice,
    ReminderState,
)
from fakturera.core.bulk import any_of, bulk_insert_new
from fakturera.core.errors import DomainError, StateConflict, ValidationFailed
from fakturera.core.events import publish
from fakturera.core.text import text_error
from fakturera.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from fakturera.core.xlsx import xlsx_bytes
from fakturera.invoicing.history import Entry, Params, actor_id_of, history_add_many, register_kind
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Company, Customer
from fakturera.payments.selectors import Overdue, payment_states

SENT_TO_COLLECTION = "sent_to_collection"
COLLECTION_UNDONE = "collection_undone"
COLLECTION_EXPORTED = "collection_exported"
UNDO_REASON_MAX = 300


class ClaimNotFound(DomainError):
    code = "not_found"


@dataclass(frozen=True)
class CollectionReady:
    """An overdue invoice whose last reminder's deadline has passed: ready to hand over."""

    claim: Overdue
    customer_kind: str
    last_level: int
    deadline_on: dt.date


# --- which invoices are ready ---------------------------------------------------------------------


def collection_ready(
    *,
    company: Company,
    on: dt.date,
    claims: Sequence[Overdue],
    kinds: Mapping[int, str],
    policies: Mapping[str, Policy],
    given: Mapping[int, Given],
    held: Iterable[int],
) -> list[CollectionReady]:
    """The invoices among `claims` (overdue on `on`) that are ready for debt collection; `given`
    their latest counting reminder, `held` the invoices a pause (or the like) holds back. Two
    queries (the last reminders' rows, the claims already made) for any number of invoices."""
    held = set(held)
    candidates: dict[int, tuple[Overdue, str, int]] = {}
    for claim in claims:
        kind = kinds.get(claim.customer_id)
        policy = policies.get(kind) if kind else None
        latest = given.get(claim.invoice_id)
        if policy is None or latest is None or not policy.levels or claim.invoice_id in held:
            continue
        if policy.last_level_action != LastLevelAction.COLLECTION:
            continue
        last = max(level.number for level in policy.levels)
        if latest.level >= last:
            candidates[claim.invoice_id] = (claim, kind or "", latest.level)
    if not candidates:
        return []
    ids = sorted(candidates)
    taken = set(
        CollectionClaim.objects.filter(Q(company=company) & any_of(CollectionClaim, ids, "invoice_id")).values_list(
            "invoice_id", flat=True
        )
    )
    deadlines = {
        invoice_id: new_due_on or assessed_on
        for invoice_id, level, new_due_on, assessed_on in Reminder.objects.filter(
            Q(company=company, state=ReminderState.SENT) & any_of(Reminder, ids, "invoice_id")
        ).values_list("invoice_id", "level", "new_due_on", "assessed_on")
        if level == candidates[invoice_id][2]
    }
    ready = []
    for invoice_id, (claim, kind, level) in candidates.items():
        deadline = deadlines.get(invoice_id)
        # The debtor had the last reminder's deadline in full: handed over the day after it.
        if invoice_id in taken or deadline is None or deadline >= on:
            continue
        ready.append(CollectionReady(claim=claim, customer_kind=kind, last_level=level, deadline_on=deadline))
    return ready


# --- handing over, undoing, exporting -------------------------------------------------------------


def claims_hand_over(
    *, company: Company, actor: Any, ready: Sequence[CollectionReady], on: dt.date, now: dt.datetime | None = None
) -> list[int]:
    """Hand the ready invoices over to debt collection, in one transaction: the claims (bulk,
    an invoice that already has one is skipped by the unique key), their history entries and
    `invoice.sent_to_collection` for the claims this call made. Returns their ids."""
    if not ready:
        return []
    now = now or timezone.now()
    actor_id = actor_id_of(actor)
    with transaction.atomic():
        bulk_insert_new(
            CollectionClaim,
            ("company_id", "invoice_id", "customer_id", "state", "handed_over_on", "handed_over_at",
             "handed_over_by_id", "currency", "open_amount", "last_level"),
            (
                (company.pk, r.claim.invoice_id, r.claim.customer_id, CollectionClaimState.HANDED_OVER, on, now,
                 actor_id, r.claim.currency, r.claim.open_amount, r.last_level)
                for r in ready
            ),
        )  # fmt: skip
        ours = list(
            CollectionClaim.objects.filter(company=company, handed_over_at=now)
            .filter(any_of(CollectionClaim, [r.claim.invoice_id for r in ready], "invoice_id"))
            .order_by("pk")
            .values_list("pk", "invoice_id", "open_amount", "currency", "last_level")
        )
        if ours:
            history_add_many(
                Entry(invoice_id, SENT_TO_COLLECTION, now, actor_id, {"open_amount": str(amount), "currency": currency,
                                                                       "level": level})
                for _pk, invoice_id, amount, currency, level in ours
            )  # fmt: skip
            publish(
                INVOICE_SENT_TO_COLLECTION,
                company_id=company.pk,
                actor_id=actor_id,
                claim_ids=[row[0] for row in ours],
                invoice_ids=[row[1] for row in ours],
            )
    return [row[0] for row in ours]


def claims_hand_over_selected(
    *, company: Company, actor: Any, invoice_ids: Sequence[int], on: dt.date | None = None
) -> list[int]:
    """Staff hand over what they selected on the Debt collection page: those ready today (decided
    again here, so what was handed over meanwhile is not handed over twice), and those whose
    hand-over was undone and are still overdue (handed over again: compare-and-set)."""
    from fakturera.collections.run import reminders_assess

    now = timezone.now()
    on = on or timezone.localdate(now)
    ids = sorted(set(invoice_ids))
    if not ids:
        raise DomainError(_("Select at least one invoice to hand over."), code="nothing_selected")
    assessment = reminders_assess(company=company, on=on, invoice_ids=ids)
    overdue = {claim.invoice_id for claim in assessment.overdue}
    with transaction.atomic():
        again = list(
            CollectionClaim.objects.select_for_update()
            .filter(
                Q(company=company, state=CollectionClaimState.UNDONE)
                & any_of(CollectionClaim, sorted(overdue), "invoice_id")
            )
            .values_list("pk", "invoice_id")
        )
        moved = CollectionClaim.objects.filter(
            any_of(CollectionClaim, [pk for pk, _invoice in again]), state=CollectionClaimState.UNDONE
        ).update(
            state=CollectionClaimState.HANDED_OVER,
            handed_over_on=on,
            handed_over_at=now,
            handed_over_by_id=actor_id_of(actor),
            undone_at=None,
            undone_by=None,
            undo_reason="",
        )
        if moved:
            history_add_many(
                Entry(invoice_id, SENT_TO_COLLECTION, now, actor_id_of(actor), {"again": True})
                for _pk, invoice_id in again
            )
            publish(
                INVOICE_SENT_TO_COLLECTION,
                company_id=company.pk,
                actor_id=actor_id_of(actor),
                claim_ids=[pk for pk, _invoice in again],
                invoice_ids=[invoice_id for _pk, invoice_id in again],
            )
        made = claims_hand_over(company=company, actor=actor, ready=assessment.collection_ready, on=on, now=now)
    done = made + [pk for pk, _invoice in again]
    if not done:
        raise StateConflict(
            _("None of the selected invoices is ready: the deadline of its last reminder has not passed.")
        )
    return done


def _claim(company: Company, claim_id: int) -> CollectionClaim:
    found = CollectionClaim.objects.filter(company=company, pk=claim_id).first()
    if found is None:
        raise ClaimNotFound(_("No claim of %(company)s has this id.") % {"company": company.name})
    return found


@transaction.atomic
def claim_undo(*, company: Company, actor: Any, claim_id: int, reason: str) -> CollectionClaim:
    """Undo a hand-over before it was exported, with the reason in the invoice's history. An
    exported claim is the agency's now: refused (the agency is told to stop, outside the app)."""
    claim = _claim(company, claim_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the hand-over is undone.")]})
    if len(reason) > UNDO_REASON_MAX:
        raise ValidationFailed({"reason": [_("At most %(max)s characters.") % {"max": UNDO_REASON_MAX}]})
    if (problem := text_error(reason)) is not None:
        raise ValidationFailed({"reason": [problem]})
    now = timezone.now()
    moved = CollectionClaim.objects.filter(pk=claim.pk, state=CollectionClaimState.HANDED_OVER).update(
        state=CollectionClaimState.UNDONE, undone_at=now, undone_by_id=actor_id_of(actor), undo_reason=reason
    )
    if not moved:
        claim.refresh_from_db()
        if claim.state == CollectionClaimState.EXPORTED:
            raise StateConflict(_("This claim has been exported to the collection agency; it cannot be undone here."))
        raise StateConflict(_("This hand-over has been undone already."))
    history_add_many([Entry(claim.invoice_id, COLLECTION_UNDONE, now, actor_id_of(actor), {"reason": reason})])
    claim.refresh_from_db()
    return claim


# --- the export ------------------------------------------------------------------------------------

# (key, heading): what a Swedish collection agency asks of a claim (the creditor, the debtor and
# how to reach them, the claim, what was paid, fees, interest and its basis, the reminders sent
# and any dispute).
EXPORT_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("creditor_org_number", gettext_lazy("Creditor organisation number")),
    ("creditor_name", gettext_lazy("Creditor")),
    ("customer_number", gettext_lazy("Customer number")),
    ("debtor_name", gettext_lazy("Debtor")),
    ("debtor_kind", gettext_lazy("Debtor kind")),
    ("debtor_identity_number", gettext_lazy("Organisation or personal identity number")),
    ("debtor_address_line1", gettext_lazy("Address")),
    ("debtor_address_line2", gettext_lazy("Address line 2")),
    ("debtor_postal_code", gettext_lazy("Postal code")),
    ("debtor_city", gettext_lazy("City")),
    ("debtor_country", gettext_lazy("Country")),
    ("debtor_email", gettext_lazy("E-mail")),
    ("debtor_phone", gettext_lazy("Phone")),
    ("invoice_number", gettext_lazy("Invoice number")),
    ("invoice_date", gettext_lazy("Invoice date")),
    ("due_date", gettext_lazy("Due date")),
    ("ocr_reference", gettext_lazy("OCR reference")),
    ("currency", gettext_lazy("Currency")),
    ("original_amount", gettext_lazy("Original amount")),
    ("paid_amount", gettext_lazy("Paid so far")),
    ("remaining_principal", gettext_lazy("Remaining principal")),
    ("reminder_fees", gettext_lazy("Reminder fees charged")),
    ("interest_basis", gettext_lazy("Interest basis")),
    ("interest_rate", gettext_lazy("Interest rate now (%)")),
    ("interest_from", gettext_lazy("Interest from")),
    ("reminders_sent", gettext_lazy("Reminders sent")),
    ("disputes_and_pauses", gettext_lazy("Disputes and pauses")),
    ("handed_over_on", gettext_lazy("Handed over")),
)


def _identity(customer: Mapping[str, Any]) -> str:
    return customer.get("org_number") or customer.get("personnummer") or ""


def claim_export_rows(*, company: Company, claim_ids: Sequence[int], on: dt.date) -> list[dict[str, Any]]:
    """One row per claim for the agency (`EXPORT_COLUMNS`), what is paid and open as payments
    has it now. A fixed number of queries for any number of claims."""
    claims = list(
        CollectionClaim.objects.filter(Q(company=company) & any_of(CollectionClaim, list(claim_ids)))
        .order_by("pk")
        .values("pk", "invoice_id", "customer_id", "handed_over_on", "currency")
    )
    invoice_ids = [c["invoice_id"] for c in claims]
    invoices = {
        row["pk"]: row
        for row in Invoice.objects.filter(any_of(Invoice, invoice_ids)).values(
            "pk", "number", "seller", "issued_on", "due_on", "payment_reference", "total_amount"
        )
    }
    customers = {
        row["pk"]: row
        for row in Customer.objects.filter(company=company, pk__in={c["customer_id"] for c in claims}).values(
            "pk", "number", "name", "kind", "org_number", "personnummer", "address_line1", "address_line2",
            "postal_code", "city", "country", "email", "invoice_email", "phone",
        )
    }  # fmt: skip
    states = payment_states(company=company, invoice_ids=invoice_ids)
    fees: dict[int, Decimal] = defaultdict(Decimal)
    sent: dict[int, list[str]] = defaultdict(list)
    for invoice_id, level, sent_at, fee in (
        Reminder.objects.filter(
            Q(company=company, state=ReminderState.SENT) & any_of(Reminder, invoice_ids, "invoice_id")
        )
        .order_by("invoice_id", "level")
        .values_list("invoice_id", "level", "sent_at", "fee_amount")
    ):
        fees[invoice_id] += fee
        day = timezone.localdate(sent_at).isoformat() if sent_at else ""
        sent[invoice_id].append(f"{level}: {day}")
    pauses: dict[int, list[str]] = defaultdict(list)
    reasons = dict(PauseReason.choices)
    for invoice_id, customer_id, reason, note, starts_on, ends_on in ReminderPause.objects.filter(
        Q(company=company) & (Q(invoice_id__in=invoice_ids) | Q(customer_id__in={c["customer_id"] for c in claims}))
    ).values_list("invoice_id", "customer_id", "reason", "note", "starts_on", "ends_on"):
        text = f"{reasons.get(reason, reason)} {starts_on.isoformat()}–{ends_on.isoformat() if ends_on else ''}"
        text += f" ({note})" if note else ""
        for claim in claims:
            if claim["invoice_id"] == invoice_id or (invoice_id is None and claim["customer_id"] == customer_id):
                pauses[claim["invoice_id"]].append(text)
    law = law_of(company.country)
    basis_kind = str(dict(RateKindChoice.choices).get(law.interest_rate_kind, law.interest_rate_kind))
    periods: dict[str, Any] = {}
    rows = []
    for claim in claims:
        invoice = invoices[claim["invoice_id"]]
        customer = customers.get(claim["customer_id"], {})
        state = states.get(claim["invoice_id"])
        kind = customer.get("kind", "")
        margin = law.interest_margin.get(kind, Decimal(0))
        if kind not in periods:
            periods[kind] = interest_rate_periods(country=company.country, customer_kind=kind) if kind else []
        rate = rate_on(periods[kind], on)
        total = invoice["total_amount"]
        paid = state.paid_amount + state.credited_amount if state else Decimal("0.00")
        rows.append(
            {
                "creditor_org_number": company.org_number,
                "creditor_name": company.name,
                "customer_number": customer.get("number", ""),
                "debtor_name": customer.get("name", ""),
                "debtor_kind": kind,
                "debtor_identity_number": _identity(customer),
                "debtor_address_line1": customer.get("address_line1", ""),
                "debtor_address_line2": customer.get("address_line2", ""),
                "debtor_postal_code": customer.get("postal_code", ""),
                "debtor_city": customer.get("city", ""),
                "debtor_country": customer.get("country", ""),
                "debtor_email": customer.get("invoice_email") or customer.get("email", ""),
                "debtor_phone": customer.get("phone", ""),
                "invoice_number": f"{(invoice['seller'] or {}).get('series_prefix', '')}{invoice['number']}",
                "invoice_date": invoice["issued_on"],
                "due_date": invoice["due_on"],
                "ocr_reference": invoice["payment_reference"],
                "currency": claim["currency"],
                "original_amount": total,
                "paid_amount": paid,
                "remaining_principal": state.open_amount if state else total,
                "reminder_fees": fees.get(claim["invoice_id"], Decimal("0.00")),
                "interest_basis": _("%(kind)s + %(margin)s percentage points (%(law)s)")
                % {"kind": basis_kind, "margin": margin.normalize(), "law": law.interest_citation},
                "interest_rate": rate.quantize(Decimal("0.01")) if rate is not None else None,
                "interest_from": invoice["due_on"] + dt.timedelta(days=1) if invoice["due_on"] else None,
                "reminders_sent": ", ".join(sent.get(claim["invoice_id"], [])),
                "disputes_and_pauses": "; ".join(pauses.get(claim["invoice_id"], [])),
                "handed_over_on": claim["handed_over_on"],
            }
        )
    return rows


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def render_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Semicolon-separated UTF-8 with a byte-order mark, as Swedish spreadsheets read it; the
    first line names the columns in the reader's language, the second the keys."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([str(heading) for _key, heading in EXPORT_COLUMNS])
    writer.writerow([key for key, _heading in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow([_plain(row[key]) for key, _heading in EXPORT_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_xlsx(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One sheet (core.xlsx): the same two header lines as the CSV, amounts as numbers, dates as
    dates."""
    return xlsx_bytes(
        sheet=_("Claims"),
        header=[[str(heading) for _key, heading in EXPORT_COLUMNS], [key for key, _heading in EXPORT_COLUMNS]],
        rows=([row[key] for key, _heading in EXPORT_COLUMNS] for row in rows),
    )


FORMATS = {
    "csv": ("text/csv; charset=utf-8", render_csv),
    "xlsx": (XLSX_CONTENT_TYPE, render_xlsx),
}


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes
    claim_ids: list[int]


def claims_export(*, company: Company, actor: Any, file_format: str, claim_ids: Sequence[int] | None = None) -> Export:
    """The claims handed over (all not yet exported, or those of `claim_ids`, exported ones
    again included) as a file for the collection agency; those handed over are marked exported,
    with an entry in their invoice's history. Undone claims are never exported."""
    if file_format not in FORMATS:
        raise ValidationFailed({"format": [_("Choose CSV or XLSX.")]})
    now = timezone.now()
    with transaction.atomic():
        found = CollectionClaim.objects.select_for_update().filter(company=company)
        if claim_ids is None:
            found = found.filter(state=CollectionClaimState.HANDED_OVER)
        else:
            found = found.filter(
                any_of(CollectionClaim, sorted(set(claim_ids))),
                state__in=(CollectionClaimState.HANDED_OVER, CollectionClaimState.EXPORTED),
            )
        rows = list(found.order_by("pk").values_list("pk", "invoice_id", "state"))
        if not rows:
            raise DomainError(
                _("No claim to export: hand invoices over to debt collection first."), code="nothing_selected"
            )
        ids = [pk for pk, _invoice, _state in rows]
        content_type, render = FORMATS[file_format]
        content = render(claim_export_rows(company=company, claim_ids=ids, on=timezone.localdate(now)))
        fresh = [(pk, invoice_id) for pk, invoice_id, state in rows if state == CollectionClaimState.HANDED_OVER]
        CollectionClaim.objects.filter(any_of(CollectionClaim, [pk for pk, _i in fresh])).update(
            state=CollectionClaimState.EXPORTED, exported_at=now, exported_by_id=actor_id_of(actor)
        )
        history_add_many(
            Entry(invoice_id, COLLECTION_EXPORTED, now, actor_id_of(actor), {"format": file_format})
            for _pk, invoice_id in fresh
        )
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return Export(f"inkasso-{stamp}.{file_format}", content_type, content, ids)


# --- the history -----------------------------------------------------------------------------------


def _money(params: Params) -> str:
    return f"{params.get('open_amount', '')} {params.get('currency', '')}".strip()


def _sent(params: Params) -> str:
    if params.get("again"):
        return _("Handed over to debt collection again.")
    return _("Handed over to debt collection after reminder level %(level)s: %(amount)s open.") % {
        "level": params.get("level", ""),
        "amount": _money(params),
    }


def _undone(params: Params) -> str:
    return _("Hand-over to debt collection undone: %(reason)s") % {"reason": params.get("reason", "")}


def _exported(params: Params) -> str:
    return _("Exported to the collection agency (%(format)s).") % {"format": str(params.get("format", "")).upper()}


def register() -> None:
    register_kind(SENT_TO_COLLECTION, label=gettext_lazy("Handed over to debt collection"), sentence=_sent)
    register_kind(COLLECTION_UNDONE, label=gettext_lazy("Hand-over undone"), sentence=_undone)
    register_kind(COLLECTION_EXPORTED, label=gettext_lazy("Exported for debt collection"), sentence=_exported)


CLAIM_FIELDS = ("id", "invoice_id", "customer_id", "state", "handed_over_on", "currency", "open_amount",
                "last_level", "exported_at", "undone_at", "undo_reason")  # fmt: skip


def claim_data(*, company_id: int, claim_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The claims as the API and the webhooks show them, with the invoice's number, in one query."""
    rows = (
        CollectionClaim.objects.filter(Q(company_id=company_id) & any_of(CollectionClaim, list(claim_ids)))
        .order_by("pk")
        .values(*CLAIM_FIELDS, "invoice__number", "invoice__seller", "invoice__due_on")
    )
    return [
        {
            **{name: row[name] for name in CLAIM_FIELDS},
            "number": f"{(row['invoice__seller'] or {}).get('series_prefix', '')}{row['invoice__number']}",
            "due_on": row["invoice__due_on"],
        }
        for row in rows
    ]


def claim_list(*, company: Company, state: str = "", limit: int = 500) -> list[dict[str, Any]]:
    """The company's claims, newest hand-over first (one state, or all), with the invoice's
    number and the customer's name, in one query."""
    rows = CollectionClaim.objects.filter(company=company)
    if state:
        rows = rows.filter(state=state)
    return [
        {
            **{name: row[name] for name in CLAIM_FIELDS},
            "number": f"{(row['invoice__seller'] or {}).get('series_prefix', '')}{row['invoice__number']}",
            "due_on": row["invoice__due_on"],
            "customer": row["customer__name"],
        }
        for row in rows.order_by("-handed_over_at", "-pk").values(
            *CLAIM_FIELDS, "invoice__number", "invoice__seller", "invoice__due_on", "customer__name"
        )[:limit]
    ]
