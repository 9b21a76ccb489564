"""Invoice writes: drafts, issuing, registering from the basis, credit notes.

Each service owns its transaction. Each way of issuing reads and checks its input,
computes the totals (totals.py) and hands the documents to issuing.issue_documents,
the one place that numbers, snapshots, stores, records and announces an issued
document; an error anywhere leaves no invoice, no consumed number and no basis item
marked invoiced.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.services import basis_items_claim, basis_items_mark_invoiced, basis_items_return
from fakturera.catalog.vat import VatKey, check_vat_conditions, check_vat_mix, clean_vat, vat_facts
from fakturera.core.bulk import any_of, bulk_insert, bulk_insert_returning_ids, bulk_update
from fakturera.core.collector import collector_paused
from fakturera.core.db import retrying_atomic
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict
from fakturera.core.events import publish
from fakturera.core.money import CURRENCIES, clean_quantity, clean_unit_price, to_decimal
from fakturera.core.rows import insert_tree
from fakturera.core.text import check_texts, text_errors
from fakturera.invoicing.events import EXCHANGE_RATES_SAVED, INVOICE_CREDITED
from fakturera.invoicing.issuing import (
    EVENT_COLUMNS,
    LINE_COLUMNS,
    LineData,
    ToIssue,
    issue_documents,
    line_objects,
    vat_objects,
)
from fakturera.invoicing.models import ExchangeRate, Invoice, InvoiceEvent, InvoiceLine
from fakturera.invoicing.riksbank import RATE_PLACES, RiksbankFile, parse_riksbank_csv
from fakturera.invoicing.rules import VAT_ACCOUNTING_CURRENCY, credit_refusal
from fakturera.invoicing.selectors import credit_remaining
from fakturera.invoicing.snapshots import buyer_snapshot, buyer_snapshots
from fakturera.invoicing.states import EventKind, InvoiceKind, InvoiceStatus, move_invoice
from fakturera.invoicing.totals import LineInput, Totals, compute_totals
from fakturera.parties.models import Company, Customer
from fakturera.parties.terms import (
    check_cash_discount,
    clean_discount_days,
    clean_discount_percent,
    default_discount,
    effective_discount,
)

HEADER_FIELDS = {
    "currency", "language", "payment_terms_days", "buyer_reference", "order_reference",
    "seller_reference", "note", "email", "cash_discount_percent", "cash_discount_days",
}  # fmt: skip
LINE_FIELDS = {
    "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate", "account_code",
    "period_start", "period_end",
}  # fmt: skip


# --- shared by every way of issuing ----------------------------------------------------------------


def _terms_for(company: Company, customer: Customer) -> int:
    return customer.payment_terms_days if customer.payment_terms_days is not None else company.payment_terms_days


def _discount_for(company: Company, customer: Customer, terms_days: int) -> tuple[Decimal, int]:
    """The cash discount a new invoice gets unless one is given (parties.terms.default_discount)."""
    return default_discount(
        own_percent=customer.cash_discount_percent,
        own_days=customer.cash_discount_days,
        company_percent=company.cash_discount_percent,
        company_days=company.cash_discount_days,
        terms_days=terms_days,
    )


def _totals(company: Company, lines: list[LineData], currency: str) -> Totals:
    return compute_totals(
        lines=[LineInput(line.quantity, line.unit_price, line.vat_key) for line in lines],
        currency=currency,
        round_to_whole=company.is_rounding_to_whole_units,
    )


# --- drafts ---------------------------------------------------------------------------------------------


def clean_lines(company: Company, lines: list[dict[str, Any]], customer: Customer | None = None) -> list[LineData]:
    """Checked line data; every problem reported with its line (lines.2.unit_price). With the
    `customer`, each line's VAT category must also have what it needs of the company and the
    customer (catalog.vat.vat_problems: VAT numbers, countries)."""
    if not lines:
        raise DomainError(_("An invoice needs at least one line."), field="lines", code="no_lines")
    errors = ErrorCollector()
    cleaned = []
    for index, raw in enumerate(lines):
        prefix = f"lines.{index}."
        unknown = set(raw) - LINE_FIELDS
        if unknown:
            errors.add(prefix + sorted(unknown)[0], _("Unknown field."))
            continue
        data: dict[str, Any] = {}
        for field_name, messages in text_errors(raw, prefix=prefix).items():
            errors.add(field_name, messages[0])
        description = (raw.get("description") or "").strip()
        if not description:
            errors.add(prefix + "description", _("Describe what is billed."))
        for name, cleaner in (("quantity", clean_quantity), ("unit_price", clean_unit_price)):
            try:
                data[name] = cleaner(raw.get(name, "1" if name == "quantity" else None))
            except DomainError as exc:
                errors.add(prefix + name, exc.message)
        try:
            key = clean_vat(raw.get("vat_category", "S"), raw.get("vat_rate", "25"), country=company.country)
        except DomainError as exc:
            errors.add(prefix + (exc.field or "vat_rate"), exc.message)
            continue
        start, end = raw.get("period_start"), raw.get("period_end")
        if start and end and end < start:
            errors.add(prefix + "period_end", _("The period ends before it starts."))
        if len(data) == 2 and description:
            cleaned.append(
                LineData(
                    description=description,
                    quantity=data["quantity"],
                    unit_price=data["unit_price"],
                    vat_key=key,
                    unit=(raw.get("unit") or "st").strip()[:20],
                    account_code=(raw.get("account_code") or "").strip(),
                    period_start=start,
                    period_end=end,
                )
            )
    errors.raise_if_any()
    check_vat_mix(line.vat_key for line in cleaned)
    if customer is not None:
        check_vat_conditions(
            [(line.description, line.vat_key.category) for line in cleaned],
            seller=vat_facts(company),
            buyer=vat_facts(customer),
        )
    return cleaned


def _clean_header(company: Company, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - HEADER_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, code="unknown_field")
    check_texts(fields, multiline={"note"})
    if "currency" in fields and fields["currency"] not in CURRENCIES:
        raise DomainError(
            _("“%(c)s” is not a currency we invoice in (SEK, DKK, NOK, EUR).") % {"c": fields["currency"]},
            field="currency",
        )
    terms = fields.get("payment_terms_days")
    if terms is not None and not 0 <= int(terms) <= 365:
        raise DomainError(_("Payment terms are 0 to 365 days."), field="payment_terms_days")
    errors = ErrorCollector()
    for name, cleaner in (
        ("cash_discount_percent", clean_discount_percent),
        ("cash_discount_days", clean_discount_days),
    ):
        if fields.get(name) is not None:
            with errors.check():
                fields[name] = cleaner(fields[name])
    errors.raise_if_any()
    return fields


def _check_discount(invoice: Invoice | dict[str, Any]) -> None:
    """A draft's cash discount goes with its terms (parties.terms), asked of every draft written."""
    get = invoice.get if isinstance(invoice, dict) else lambda name: getattr(invoice, name)
    check_cash_discount(
        percent=get("cash_discount_percent"), days=get("cash_discount_days"), terms_days=get("payment_terms_days")
    )


def _draft_fields(company: Company, customer: Customer, header: dict[str, Any]) -> dict[str, Any]:
    if customer.company_id != company.pk:
        raise DomainError(_("This customer belongs to another company."), field="customer")
    data = _clean_header(company, header)
    data.setdefault("currency", company.default_currency)
    data.setdefault("language", customer.language)
    data.setdefault("payment_terms_days", _terms_for(company, customer))
    if data.get("cash_discount_percent") is None and data.get("cash_discount_days") is None:
        percent, days = _discount_for(company, customer, data["payment_terms_days"])
    else:
        # One of the two given: the other is the customer's or the company's, and both are checked.
        percent, days = effective_discount(
            own_percent=customer.cash_discount_percent,
            own_days=customer.cash_discount_days,
            company_percent=company.cash_discount_percent,
            company_days=company.cash_discount_days,
        )
    if data.get("cash_discount_percent") is None:
        data["cash_discount_percent"] = percent
    if data.get("cash_discount_days") is None:
        data["cash_discount_days"] = days
    _check_discount(data)
    data.setdefault("email", "")
    return data


def _known_relations(invoice: Invoice, **relations: list[Any]) -> Invoice:
    """Hand rows just read or written to the invoice as if prefetched (lines=, vat_breakdown=,
    events=, credit_notes=), so presenting it (the API's answer) reads them not again.
    Each is a QuerySet with its result in place, as prefetch_related leaves it."""
    cache = {}
    for name, rows in relations.items():
        queryset = getattr(invoice, name).get_queryset()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    invoice._prefetched_objects_cache = {**getattr(invoice, "_prefetched_objects_cache", {}), **cache}
    return invoice


@transaction.atomic
def invoice_create_draft(
    *, company: Company, customer: Customer, actor: Any, lines: list[dict[str, Any]], **header: Any
) -> Invoice:
    data = _draft_fields(company, customer, header)
    cleaned = clean_lines(company, lines, customer)
    totals = _totals(company, cleaned, data["currency"])
    invoice = Invoice(company=company, customer=customer, created_by=actor, **data, **totals.as_fields())
    rows = line_objects(invoice, cleaned, totals.line_net_amounts)
    events = [InvoiceEvent(invoice=invoice, kind=EventKind.CREATED, actor=actor, at=timezone.now(), params={})]
    insert_tree(invoice, [("invoice", rows), ("invoice", events)])
    # A new invoice has no credit notes, and a draft no stored VAT breakdown.
    return _known_relations(invoice, lines=rows, vat_breakdown=[], events=events, credit_notes=[])


@retrying_atomic
def invoice_create_issued(
    *,
    company: Company,
    customer: Customer,
    actor: Any,
    lines: list[dict[str, Any]],
    issued_on: dt.date | None = None,
    **header: Any,
) -> Invoice:
    """A new invoice issued at once (the API's `issue: true`): the same checks, totals,
    number and history (created, issued) as a draft issued later, in one transaction and
    a fixed handful of statements. The number is taken last, so the series stays locked
    only for the inserts that follow it."""
    data = _draft_fields(company, customer, header)
    cleaned = clean_lines(company, lines, customer)
    totals = _totals(company, cleaned, data["currency"])
    # The buyer's snapshot names the invoice reference: read it unless the caller did.
    if customer.invoice_reference_id is not None and not Customer.invoice_reference.is_cached(customer):
        customer = Customer.objects.select_related("invoice_reference").get(pk=customer.pk)
    doc = ToIssue(
        kind=InvoiceKind.INVOICE,
        terms_days=data["payment_terms_days"],
        discount_percent=data["cash_discount_percent"],
        discount_days=data["cash_discount_days"],
        totals=totals,
        buyer=buyer_snapshot(customer, company=company),
        currency=data["currency"],
        new={"company": company, "customer": customer, "created_by": actor, **data},
        lines=cleaned,
        created_event=True,
    )
    (out,) = issue_documents(company=company, actor=actor, docs=[doc], issued_on=issued_on)
    return _known_relations(out.invoice, lines=out.lines, vat_breakdown=out.vat, events=out.events, credit_notes=[])


@dataclass(frozen=True, slots=True)
class DraftSpec:
    """One draft for invoice_drafts_create_many: its header, lines and the totals the caller
    computed by the one rule (TotalsMemo), and the params of its `created` event (history as data)."""

    company_id: int
    customer_id: int
    currency: str
    language: str
    payment_terms_days: int
    totals: Totals
    lines: Sequence[LineData]
    buyer_reference: str = ""
    note: str = ""
    recurring_invoice_id: int | None = None
    recurring_on: dt.date | None = None
    history: dict[str, Any] = field(default_factory=dict)
    # The customer's or company's (parties.terms.default_discount), which fits the terms.
    cash_discount_percent: Decimal = Decimal("0.00")
    cash_discount_days: int = 0


DRAFT_INSERT_COLUMNS = (
    "company_id", "customer_id", "kind", "status", "currency", "language", "payment_terms_days",
    "cash_discount_percent", "cash_discount_days", "buyer_reference", "note", "net_amount", "vat_amount",
    "rounding_amount", "total_amount", "created_by_id",
    "created_at", "recurring_invoice_id", "recurring_on",
)  # fmt: skip


def invoice_drafts_create_many(*, specs: Sequence[DraftSpec], actor: Any, now: dt.datetime | None = None) -> list[int]:
    """Many drafts at once, in the caller's transaction (recurring's orders): the invoices, their
    lines and `created` events in bulk, a fixed number of statements whatever the count.
    Returns the new drafts' ids in the order of `specs`. The specs are trusted as checked
    (clean_lines) and their totals as computed by the one rule."""
    if not specs:
        return []
    now = now or timezone.now()
    actor_id = getattr(actor, "pk", actor)
    ids = bulk_insert_returning_ids(
        Invoice,
        DRAFT_INSERT_COLUMNS,
        [
            (
                spec.company_id,
                spec.customer_id,
                InvoiceKind.INVOICE,
                InvoiceStatus.DRAFT,
                spec.currency,
                spec.language,
                spec.payment_terms_days,
                spec.cash_discount_percent,
                spec.cash_discount_days,
                spec.buyer_reference,
                spec.note,
                spec.totals.net_amount,
                spec.totals.vat_amount,
                spec.totals.rounding_amount,
                spec.totals.total_amount,
                actor_id,
                now,
                spec.recurring_invoice_id,
                spec.recurring_on,
            )
            for spec in specs
        ],
    )
    bulk_insert(InvoiceLine, LINE_COLUMNS, _draft_line_rows(specs, ids))
    bulk_insert(
        InvoiceEvent,
        EVENT_COLUMNS,
        ((pk, EventKind.CREATED, now, actor_id, spec.history) for pk, spec in zip(ids, specs, strict=True)),
    )
    return ids


def _draft_line_rows(specs: Sequence[DraftSpec], ids: list[int]) -> Iterator[tuple[Any, ...]]:
    for invoice_id, spec in zip(ids, specs, strict=True):
        for position, (line, net) in enumerate(zip(spec.lines, spec.totals.line_net_amounts, strict=True), start=1):
            yield (
                invoice_id, position, line.description, line.quantity, line.unit, line.unit_price,
                line.vat_key.category, line.vat_key.rate, net, line.account_code, line.period_start,
                line.period_end, None, None,
            )  # fmt: skip


def _lock_draft(invoice: Invoice) -> Invoice:
    # Only the invoice row is locked; the customer comes along with its invoice
    # reference (a nullable join, which FOR UPDATE may not cover) for the buyer snapshot.
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("company", "customer__invoice_reference")
        .get(pk=invoice.pk)
    )
    if locked.status != InvoiceStatus.DRAFT:
        raise StateConflict(
            _("Invoice %(n)s is issued and can no longer be changed; credit it instead.")
            % {"n": locked.display_number},
            code="invoice_locked",
        )
    return locked


@retrying_atomic
def invoice_update_draft(
    *, invoice: Invoice, actor: Any, lines: list[dict[str, Any]] | None = None, **header: Any
) -> Invoice:
    locked = _lock_draft(invoice)
    data = _clean_header(locked.company, header)
    changed = sorted(name for name, value in data.items() if getattr(locked, name) != value)
    for name, value in data.items():
        setattr(locked, name, value)
    _check_discount(locked)
    if lines is not None:
        cleaned = clean_lines(locked.company, lines, locked.customer)
        locked.lines.all().delete()
        totals = _totals(locked.company, cleaned, locked.currency)
        InvoiceLine.objects.bulk_create(line_objects(locked, cleaned, totals.line_net_amounts))
        changed.append("lines")
    else:
        cleaned = [_line_data(line) for line in locked.lines.all()]
        totals = _totals(locked.company, cleaned, locked.currency)
    for name, value in totals.as_fields().items():
        setattr(locked, name, value)
    locked.save()
    InvoiceEvent.objects.create(
        invoice=locked, kind=EventKind.EDITED, actor=actor, at=timezone.now(), params={"changed": changed}
    )
    return locked


@transaction.atomic
def invoice_email_set(*, invoice: Invoice, actor: Any, email: str) -> Invoice:
    """Where this invoice's e-mail goes, drafts and issued invoices alike (seed 003: the
    invoice's own address overrides the one derived from the customer); empty derives it
    again. The document's content is unchanged; the history says who set it."""
    email = (email or "").strip()
    check_texts({"email": email})
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(_("Enter a valid e-mail address."), field="email") from None
        longest = Invoice._meta.get_field("email").max_length
        if len(email) > longest:
            message = ngettext("At most %(n)s character.", "At most %(n)s characters.", longest) % {"n": longest}
            raise DomainError(message, field="email")
    Invoice.objects.filter(pk=invoice.pk).update(email=email)
    invoice.email = email
    InvoiceEvent.objects.create(
        invoice=invoice, kind=EventKind.EDITED, actor=actor, at=timezone.now(), params={"changed": ["email"]}
    )
    return invoice


@retrying_atomic
def invoice_delete_draft(*, invoice: Invoice, actor: Any) -> None:
    locked = _lock_draft(invoice)
    if locked.lines.filter(basis_item__isnull=False).exists():
        raise StateConflict(_("This draft came from the basis; issue it or credit it."))
    locked.delete()


def _line_data(line: InvoiceLine) -> LineData:
    return LineData(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_key=line.vat_key,
        unit=line.unit,
        account_code=line.account_code,
        period_start=line.period_start,
        period_end=line.period_end,
        basis_item_id=line.basis_item_id,
        credited_line_id=line.credited_line_id,
    )


@retrying_atomic
def invoice_issue(*, invoice: Invoice, actor: Any, issued_on: dt.date | None = None) -> Invoice:
    """Draft -> issued: the next number of the series, the totals and both parties' details."""
    locked = _lock_draft(invoice)
    company, customer = locked.company, locked.customer
    lines = list(locked.lines.all())
    if not lines:
        raise DomainError(_("An invoice needs at least one line before it is issued."), code="no_lines")
    data = [_line_data(line) for line in lines]
    totals = _totals(company, data, locked.currency)
    # A draft's lines already hold their amounts unless a rule changed since (rounding setting).
    changed = []
    for line, net in zip(lines, totals.line_net_amounts, strict=True):
        if line.net_amount != net:
            line.net_amount = net
            changed.append(line)
    if changed:
        InvoiceLine.objects.bulk_update(changed, ["net_amount"])
    doc = ToIssue(
        kind=locked.kind,
        terms_days=locked.payment_terms_days,
        discount_percent=locked.cash_discount_percent,
        discount_days=locked.cash_discount_days,
        totals=totals,
        buyer=buyer_snapshot(customer, company=company),
        currency=locked.currency,
        draft={"id": locked.pk},
    )
    (out,) = issue_documents(company=company, actor=actor, docs=[doc], issued_on=issued_on)
    for name, value in out.row.items():
        setattr(locked, name, value)
    # What was just read and written, in hand for the answer (a draft has no credit notes);
    # the history is read when it is shown.
    return _known_relations(locked, lines=lines, vat_breakdown=vat_objects(locked, totals), credit_notes=[])


# --- registering the basis ---------------------------------------------------------------------------


@collector_paused()
@retrying_atomic
def invoices_register_from_basis(
    *,
    company: Company,
    actor: Any,
    customer_ids: list[int] | None = None,
    issued_on: dt.date | None = None,
) -> list[Invoice]:
    """Register (seed 001, "Registrera"): one issued invoice per customer (and buyer reference) from the basis.

    `customer_ids` None means every customer with open items. One lock on the
    number series for the whole batch and a fixed number of statements whatever
    its size: the items and customers are read as plain rows, invoices and their
    lines are written with COPY (core/bulk.py), and the invoices' ids are read
    back by their numbers.
    """
    items = basis_items_claim(company=company, customer_ids=customer_ids)
    if not items:
        raise DomainError(
            _("There is nothing left to invoice for the chosen customers; someone may have registered it already."),
            code="empty_basis",
        )
    # One invoice per customer and buyer reference: items carrying a project number
    # (course registrations, seed 000) are invoiced under that reference.
    by_customer: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_customer[item["customer_id"], item["buyer_reference"]].append(item)
    customers = buyer_snapshots(
        Customer.objects.filter(company=company, pk__in=_customers_in_basis(company, customer_ids)),
        "language",
        "payment_terms_days",
        "cash_discount_percent",
        "cash_discount_days",
        company=company,
    )
    for group in by_customer.values():
        check_vat_mix(VatKey(item["vat_category"], item["vat_rate"]) for item in group)
    mixed = [
        customers[cid][0]["name"]
        for (cid, _ref), group in by_customer.items()
        if len({i["currency"] for i in group}) > 1
    ]
    if mixed:
        raise DomainError(
            _("The basis of %(names)s mixes currencies; change the items to one currency first.")
            % {"names": ", ".join(sorted(mixed))},
            code="currency_mismatch",
        )
    now = timezone.now()
    vat_keys: dict[tuple[str, Decimal], VatKey] = {}
    docs: list[ToIssue] = []
    for (customer_id, buyer_reference), group in by_customer.items():
        buyer, extra = customers[customer_id]
        lines = []
        for item in group:
            pair = (item["vat_category"], item["vat_rate"])
            key = vat_keys.get(pair) or vat_keys.setdefault(pair, VatKey(*pair))
            lines.append(
                LineData(
                    description=item["description"],
                    quantity=item["quantity"],
                    unit_price=item["unit_price"],
                    vat_key=key,
                    unit=item["unit"],
                    account_code=item["account_code"],
                    period_start=item["period_start"],
                    period_end=item["period_end"],
                    basis_item_id=item["pk"],
                )
            )
        currency = group[0]["currency"]
        totals = compute_totals(
            lines=[LineInput(line.quantity, line.unit_price, line.vat_key) for line in lines],
            currency=currency,
            round_to_whole=company.is_rounding_to_whole_units,
        )
        terms = extra["payment_terms_days"] if extra["payment_terms_days"] is not None else company.payment_terms_days
        discount_percent, discount_days = default_discount(
            own_percent=extra["cash_discount_percent"],
            own_days=extra["cash_discount_days"],
            company_percent=company.cash_discount_percent,
            company_days=company.cash_discount_days,
            terms_days=terms,
        )
        docs.append(
            ToIssue(
                kind=InvoiceKind.INVOICE,
                terms_days=terms,
                discount_percent=discount_percent,
                discount_days=discount_days,
                totals=totals,
                buyer=buyer,
                currency=currency,
                new={
                    "company_id": company.pk,
                    "customer_id": customer_id,
                    "kind": InvoiceKind.INVOICE,
                    "currency": currency,
                    "language": extra["language"],
                    "buyer_reference": buyer_reference,
                    "created_by_id": getattr(actor, "pk", None),
                    "created_at": now,
                },
                lines=lines,
                history={"basis_items": len(group)},
            )
        )
    issued = issue_documents(company=company, actor=actor, docs=docs, issued_on=issued_on, now=now)
    basis_items_mark_invoiced(item_ids=[item["pk"] for item in items], at=now)
    return [out.as_invoice() for out in issued]


def _customers_in_basis(company: Company, customer_ids: list[int] | None) -> Any:
    """The customers to register: the chosen ones, or (as a subquery, not a list of
    thousands of ids) everyone with open items."""
    if customer_ids is not None:
        return customer_ids
    return BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN).values("customer_id").distinct()


# --- shared by the batches: registering the basis, issuing many drafts ------------------------------------

# Ids per statement when a batch reads or locks rows by id.
ID_CHUNK = 5000


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


class TotalsMemo:
    """compute_totals for many documents, once per distinct content: a month of
    subscriptions repeats the same few line sets, and totals depend on nothing else."""

    def __init__(self, *, round_to_whole: bool) -> None:
        self.round_to_whole = round_to_whole
        self.known: dict[tuple[Any, ...], Totals] = {}
        self.vat_keys: dict[tuple[str, Decimal], VatKey] = {}

    def vat_key(self, category: str, rate: Decimal) -> VatKey:
        key = self.vat_keys.get((category, rate))
        if key is None:
            key = self.vat_keys[(category, rate)] = VatKey(category, rate)
        return key

    def totals(self, lines: Iterable[tuple[Decimal, Decimal, VatKey]], currency: str) -> Totals:
        content = (currency, *lines)
        totals = self.known.get(content)
        if totals is None:
            totals = self.known[content] = compute_totals(
                lines=[LineInput(*line) for line in content[1:]], currency=currency, round_to_whole=self.round_to_whole
            )
        return totals


# --- issuing many drafts -----------------------------------------------------------------------------

# What issuing many drafts reads of them; what it does not read (the note, the references)
# is deferred on the invoices given to webhooks, and loads if used.
DRAFT_COLUMNS = (
    "id", "company_id", "customer_id", "kind", "currency", "language", "payment_terms_days",
    "cash_discount_percent", "cash_discount_days", "due_on", "payment_reference", "credited_invoice_id",
    "recurring_invoice_id", "recurring_on",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class IssuedDraft:
    pk: int
    number: int
    display_number: str


@collector_paused()
@retrying_atomic
def invoices_issue_drafts(
    *, company: Company, actor: Any, invoice_ids: Iterable[int], issued_on: dt.date | None = None
) -> list[IssuedDraft]:
    """Issue many drafts at once (recurring orders, "Invoice selected"): those of `invoice_ids`
    that are still this company's drafts become invoices, numbered in the order of their ids.
    Returns them in that order.

    As for registering the basis, a batch costs a fixed number of statements per 5,000
    drafts whatever its size: the drafts are locked in id order (the order invoice_issue
    takes its lock in, so the two queue rather than deadlock), the series is locked once
    for every number, and the rows are read as values and written in bulk (core/bulk.py).
    Drafts someone issued meanwhile are left out; none left is refused, as is a draft
    without lines, before anything is written.
    """
    drafts: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(set(invoice_ids))):
        locked = Invoice.objects.select_for_update().filter(
            any_of(Invoice, chunk), company=company, status=InvoiceStatus.DRAFT
        )
        drafts += locked.order_by("pk").values(*DRAFT_COLUMNS)
    if not drafts:
        raise DomainError(
            _("None of the chosen drafts is left to invoice; someone may have invoiced them already."),
            code="nothing_to_issue",
        )
    lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for chunk in _chunks([draft["id"] for draft in drafts]):
        rows = InvoiceLine.objects.filter(any_of(InvoiceLine, chunk, "invoice")).order_by("invoice_id", "position")
        for row in rows.values_list(
            "pk", "invoice_id", "quantity", "unit_price", "vat_category", "vat_rate", "net_amount"
        ):
            lines[row[1]].append(row)
    empty = [_("Draft %(id)s") % {"id": draft["id"]} for draft in drafts if not lines[draft["id"]]]
    if empty:
        raise DomainError(
            _("%(drafts)s has no lines; add lines or leave it out.") % {"drafts": ", ".join(empty)}, code="no_lines"
        )
    buyers: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for chunk in _chunks(sorted({draft["customer_id"] for draft in drafts})):
        buyers.update(buyer_snapshots(Customer.objects.filter(any_of(Customer, chunk)), company=company))

    memo = TotalsMemo(round_to_whole=company.is_rounding_to_whole_units)
    docs: list[ToIssue] = []
    nets_changed: list[tuple[int, Decimal]] = []
    for draft in drafts:
        rows = lines[draft["id"]]
        totals = memo.totals(((row[2], row[3], memo.vat_key(row[4], row[5])) for row in rows), draft["currency"])
        # A draft stores its line amounts already; only those the rule now rounds otherwise change.
        nets_changed += [(row[0], net) for row, net in zip(rows, totals.line_net_amounts, strict=True) if row[6] != net]
        docs.append(
            ToIssue(
                kind=draft["kind"],
                terms_days=draft["payment_terms_days"],
                discount_percent=draft["cash_discount_percent"],
                discount_days=draft["cash_discount_days"],
                totals=totals,
                buyer=buyers[draft["customer_id"]][0],
                currency=draft["currency"],
                draft=draft,
            )
        )
    bulk_update(InvoiceLine, ("net_amount",), nets_changed)
    issued = issue_documents(company=company, actor=actor, docs=docs, issued_on=issued_on)
    prefix = issued[0].row["seller"].get("series_prefix", "")
    return [IssuedDraft(out.pk, out.row["number"], f"{prefix}{out.row['number']}") for out in issued]


# --- credit notes -------------------------------------------------------------------------------------------


@retrying_atomic
def credit_note_create(
    *,
    invoice: Invoice,
    actor: Any,
    quantities: dict[int, Decimal] | None = None,
    reason: str = "",
    issued_on: dt.date | None = None,
    return_to_basis: bool = False,
) -> Invoice:
    """Credit an issued invoice fully (quantities None) or partly (line id -> quantity).

    The credit note is itself issued and numbered in the same series. The original
    is locked first, so two credits at once cannot together exceed what is left.
    With `return_to_basis`, the basis items of the lines this credit leaves wholly
    credited go back to the basis (billables.basis_items_return), to be invoiced again.
    """
    check_texts({"reason": reason})
    # Only the invoice row, and FOR NO KEY UPDATE: a lock on the company or customer row (what
    # select_related would lock too) blocks every insert that refers to them, an issuer holding
    # the number series among them, and the two deadlock (DESIGN.md, "Locks").
    original = (
        Invoice.objects.select_for_update(no_key=True, of=("self",))
        .select_related("company", "customer")
        .get(pk=invoice.pk)
    )
    refusal = credit_refusal(original)
    if refusal:
        raise StateConflict(refusal)
    company = original.company
    lines = {line.pk: line for line in original.lines.all()}
    remaining = credit_remaining(original)
    if quantities is None:
        wanted = {line_id: left for line_id, left in remaining.items() if left > 0}
    else:
        errors = ErrorCollector()
        wanted = {}
        for line_id, raw in quantities.items():
            if line_id not in lines:
                errors.add(f"lines.{line_id}", _("This line is not on invoice %(n)s.") % {"n": original.display_number})
                continue
            if raw in (None, "", 0, "0", Decimal(0)):
                continue
            try:
                quantity = clean_quantity(raw, field=f"lines.{line_id}")
            except DomainError as exc:
                errors.add(exc.field, exc.message)
                continue
            if quantity > remaining[line_id]:
                errors.add(
                    f"lines.{line_id}",
                    _("Only %(left)s of “%(line)s” is left to credit.")
                    % {"left": remaining[line_id].normalize(), "line": lines[line_id].description},
                )
                continue
            wanted[line_id] = quantity
        errors.raise_if_any()
    if not wanted:
        raise DomainError(_("Choose at least one line and quantity to credit."), code="nothing_to_credit")
    credit_lines = [
        LineData(
            description=lines[line_id].description,
            quantity=quantity,
            unit_price=lines[line_id].unit_price,
            vat_key=lines[line_id].vat_key,
            unit=lines[line_id].unit,
            account_code=lines[line_id].account_code,
            period_start=lines[line_id].period_start,
            period_end=lines[line_id].period_end,
            credited_line_id=line_id,
        )
        for line_id, quantity in sorted(wanted.items(), key=lambda pair: lines[pair[0]].position)
    ]
    totals = _totals(company, credit_lines, original.currency)
    now = timezone.now()
    returned: list[int] = []
    if return_to_basis:
        # Before the series lock: nothing after it may lock a basis item (DESIGN.md, "Locks").
        wholly = [line_id for line_id, quantity in wanted.items() if remaining[line_id] == quantity]
        item_ids = [lines[line_id].basis_item_id for line_id in wholly if lines[line_id].basis_item_id]
        returned = basis_items_return(company=company, item_ids=item_ids, actor=actor)
    customer = Customer.objects.select_related("invoice_reference").get(pk=original.customer_id)
    doc = ToIssue(
        kind=InvoiceKind.CREDIT_NOTE,
        terms_days=0,
        totals=totals,
        buyer=buyer_snapshot(customer, company=company),
        currency=original.currency,
        # The credit note corrects VAT stated in SEK at the invoice's rate, so it keeps that rate
        # (an invoice issued before rates were stored has none: the company's rate of the day).
        exchange_rate=(
            (original.exchange_rate, original.exchange_rate_on) if original.exchange_rate is not None else None
        ),
        new={
            "company": company,
            "customer": customer,
            "kind": InvoiceKind.CREDIT_NOTE,
            "credited_invoice": original,
            "currency": original.currency,
            "language": original.language,
            "buyer_reference": original.buyer_reference,
            "order_reference": original.order_reference,
            "credit_reason": reason.strip()[:300],
            "created_by": actor,
        },
        lines=credit_lines,
        history={"credits": original.pk, "credited_number": original.display_number},
    )
    # Announced below as invoice.credited, not invoice.issued.
    (out,) = issue_documents(company=company, actor=actor, docs=[doc], issued_on=issued_on, now=now, announce=False)
    note = out.invoice
    is_full = all(remaining[line_id] - wanted.get(line_id, Decimal(0)) == 0 for line_id in lines)
    params = {"credit_note": note.pk, "credit_note_number": note.display_number, "is_full": is_full}
    if return_to_basis:
        params["returned_to_basis"] = len(returned)
    if is_full:
        move_invoice(original, to=InvoiceStatus.CREDITED, actor=actor, event=EventKind.CREDITED, params=params)
    else:
        InvoiceEvent.objects.create(invoice=original, kind=EventKind.CREDITED, actor=actor, at=now, params=params)
    # Subscribers stop a queued delivery (seed 003), lower a direct-debit order, render the
    # credit note and tell webhooks, all inside this transaction.
    publish(
        INVOICE_CREDITED,
        company_id=company.pk,
        actor=actor,
        invoice=original,
        credit_note=note,
        is_full=is_full,
        returned_to_basis=returned,
    )
    note.returned_to_basis = returned
    return note


# --- exchange rates -----------------------------------------------------------------------------------

# The highest SEK price of one unit we take as a rate; above it is a typing slip (a rate per 100
# typed as per one is still below it for our currencies, and is caught by the staff seeing it).
MAX_EXCHANGE_RATE = Decimal("1000")
FOREIGN_CURRENCIES = frozenset(code for code in CURRENCIES if code != VAT_ACCOUNTING_CURRENCY)


@dataclass(frozen=True, slots=True)
class RateIn:
    """One rate as a person or an integration gives it: currency, date, SEK per one unit."""

    currency: Any
    rate_on: Any
    rate: Any


def _clean_rate(entry: RateIn, field: str) -> tuple[str, dt.date, Decimal]:
    errors = ErrorCollector()
    currency = str(entry.currency or "").strip().upper()
    if currency not in FOREIGN_CURRENCIES:
        errors.add(
            f"{field}currency",
            _("Choose one of %(codes)s (a rate is SEK per one unit of another currency).")
            % {"codes": ", ".join(sorted(FOREIGN_CURRENCIES))},
        )
    rate_on = entry.rate_on
    if isinstance(rate_on, str):
        try:
            rate_on = dt.date.fromisoformat(rate_on.strip())
        except ValueError:
            rate_on = None
    if not isinstance(rate_on, dt.date):
        errors.add(f"{field}rate_on", _("Give the date as YYYY-MM-DD."))
    rate = Decimal(0)
    with errors.check():
        rate = to_decimal(entry.rate, field=f"{field}rate", what=_("The rate"))
        if rate <= 0 or rate > MAX_EXCHANGE_RATE:
            raise DomainError(
                _("A rate is SEK per one unit, more than 0 and at most %(max)s.") % {"max": MAX_EXCHANGE_RATE},
                field=f"{field}rate",
            )
        if rate != rate.quantize(Decimal(1).scaleb(-RATE_PLACES)):
            raise DomainError(_("A rate has at most %(n)s decimals.") % {"n": RATE_PLACES}, field=f"{field}rate")
    errors.raise_if_any()
    return currency, rate_on, rate


@transaction.atomic
def exchange_rates_save(
    *, company: Company, actor: Any, rates: Sequence[RateIn], source: str = ExchangeRate.Source.MANUAL
) -> list[ExchangeRate]:
    """Store the company's rates (currency, date, SEK per unit); a rate for a day that has one
    replaces it. Issued invoices keep the rate they were issued with: nothing else changes.
    Every entry is checked first and all errors are told at once (fields `rates.N.currency`,
    `rates.N.rate_on`, `rates.N.rate`); nothing is written unless all are right.
    One upsert statement whatever the count."""
    if not rates:
        raise DomainError(_("Give at least one rate."), field="rates")
    errors = ErrorCollector()
    cleaned: dict[tuple[str, dt.date], Decimal] = {}
    for index, entry in enumerate(rates):
        prefix = f"rates.{index}."
        with errors.check():
            currency, rate_on, rate = _clean_rate(entry, prefix)
            if cleaned.get((currency, rate_on), rate) != rate:
                raise DomainError(
                    _("%(currency)s has two different rates for %(date)s.")
                    % {"currency": currency, "date": rate_on.isoformat()},
                    field=f"{prefix}rate",
                )
            cleaned[currency, rate_on] = rate
    errors.raise_if_any()
    rows = [
        ExchangeRate(
            company=company, currency=currency, rate_on=rate_on, rate=rate, source=source, created_by=actor,
            updated_at=timezone.now(),
        )
        for (currency, rate_on), rate in sorted(cleaned.items())
    ]  # fmt: skip
    ExchangeRate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["company", "currency", "rate_on"],
        update_fields=["rate", "source", "created_by", "updated_at"],
    )
    # Bookkeeping books what waited for these rates (a document issued without one).
    publish(
        EXCHANGE_RATES_SAVED,
        company_id=company.pk,
        actor=actor,
        currencies=sorted({currency for currency, _on in cleaned}),
        dates=sorted({on.isoformat() for _currency, on in cleaned}),
    )
    return rows


def exchange_rates_import_riksbank(*, company: Company, actor: Any, content: bytes) -> RiksbankFile:
    """Read the Riksbank's CSV (invoicing.riksbank, which refuses a malformed file naming the
    line) and store its rates of the currencies we invoice in, replacing those of the same days."""
    parsed = parse_riksbank_csv(content, currencies=FOREIGN_CURRENCIES)
    exchange_rates_save(
        company=company,
        actor=actor,
        rates=[RateIn(row.currency, row.rate_on, row.rate) for row in parsed.rates],
        source=ExchangeRate.Source.RIKSBANK,
    )
    return parsed


@transaction.atomic
def exchange_rate_delete(*, company: Company, rate_id: int) -> None:
    """Remove a rate typed by mistake. Invoices issued with it keep their copy."""
    deleted, _detail = ExchangeRate.objects.filter(company=company, pk=rate_id).delete()
    if not deleted:
        raise DomainError(_("That exchange rate is no longer there."), code="not_found")
