"""Invoice writes: drafts, issuing, registering from the basis, credit notes.

Each service owns its transaction. Issuing computes the totals (totals.py), takes
the next number(s) of the company's series (numbering.py) and stores everything
in that one transaction, so an error anywhere leaves no invoice, no consumed
number and no basis item marked invoiced.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.services import basis_items_claim, basis_items_mark_invoiced
from fakturera.catalog.vat import VatKey, check_vat_mix, clean_vat
from fakturera.core.bulk import any_of, bulk_insert, bulk_update
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict
from fakturera.core.events import Many, publish
from fakturera.core.money import CURRENCIES, clean_quantity, clean_unit_price
from fakturera.core.ocr import ocr_reference
from fakturera.core.rows import insert_tree
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED
from fakturera.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceVat, NumberSeries
from fakturera.invoicing.numbering import numbers_take
from fakturera.invoicing.snapshots import buyer_snapshot, buyer_snapshots, seller_snapshot
from fakturera.invoicing.states import EventKind, InvoiceKind, InvoiceStatus, move_invoice
from fakturera.invoicing.totals import LineInput, Totals, compute_totals
from fakturera.parties.models import Company, Customer

# The decimal places of InvoiceLine.quantity, unit_price and vat_rate.
QUANTITY_PLACES, PRICE_PLACES, RATE_PLACES = Decimal("0.001"), Decimal("0.0001"), Decimal("0.01")

HEADER_FIELDS = {
    "currency", "language", "payment_terms_days", "buyer_reference", "order_reference",
    "seller_reference", "note", "email",
}  # fmt: skip
LINE_FIELDS = {
    "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate", "account_code",
    "period_start", "period_end",
}  # fmt: skip


@dataclass(frozen=True)
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_key: VatKey
    unit: str = "st"
    account_code: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    basis_item_id: int | None = None
    credited_line_id: int | None = None

    def as_input(self) -> LineInput:
        return LineInput(self.quantity, self.unit_price, self.vat_key)


# --- shared by every way of issuing ----------------------------------------------------------------


def _terms_for(company: Company, customer: Customer) -> int:
    return customer.payment_terms_days if customer.payment_terms_days is not None else company.payment_terms_days


def _issued_fields(
    *,
    company: Company,
    seller: dict[str, Any],
    buyer: dict[str, Any],
    series: NumberSeries,
    number: int,
    issued_on: dt.date,
    terms_days: int,
    totals: Totals,
    kind: str,
    now: dt.datetime,
) -> dict[str, Any]:
    fields = {
        "series": series,
        "number": number,
        "issued_on": issued_on,
        "issued_at": now,
        "seller": seller,
        "buyer": buyer,
        **totals.as_fields(),
    }
    if kind == InvoiceKind.INVOICE:
        fields["payment_terms_days"] = terms_days
        fields["due_on"] = issued_on + dt.timedelta(days=terms_days)
        fields["payment_reference"] = ocr_reference(str(number), with_length_digit=company.has_ocr_length_digit)
    return fields


def _number_and_snapshots(
    company: Company,
    customer: Customer,
    *,
    issued_on: dt.date | None,
    terms_days: int,
    totals: Totals,
    kind: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The issued fields of one invoice. The buyer is read first and the number taken last,
    so the series stays locked as briefly as the caller's remaining writes allow."""
    buyer = buyer_snapshot(customer)
    series, number = numbers_take(company=company, count=1)
    return _issued_fields(
        company=company,
        seller=seller_snapshot(company, series),
        buyer=buyer,
        series=series,
        number=number,
        issued_on=issued_on or timezone.localdate(),
        terms_days=terms_days,
        totals=totals,
        kind=kind,
        now=now,
    )


def _line_rows(invoice: Invoice, lines: list[LineData], nets: tuple[Decimal, ...]) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description,
            # Stored with the columns' decimal places, so the row in hand reads as a reloaded one.
            quantity=line.quantity.quantize(QUANTITY_PLACES),
            unit=line.unit,
            unit_price=line.unit_price.quantize(PRICE_PLACES),
            vat_category=line.vat_key.category,
            vat_rate=line.vat_key.rate.quantize(RATE_PLACES),
            net_amount=net,
            account_code=line.account_code,
            period_start=line.period_start,
            period_end=line.period_end,
            basis_item_id=line.basis_item_id,
            credited_line_id=line.credited_line_id,
        )
        for position, (line, net) in enumerate(zip(lines, nets, strict=True), start=1)
    ]


def _vat_rows(invoice: Invoice, totals: Totals) -> list[InvoiceVat]:
    return [
        InvoiceVat(
            invoice=invoice,
            vat_category=group.key.category,
            vat_rate=group.key.rate.quantize(RATE_PLACES),
            taxable_amount=group.taxable_amount,
            vat_amount=group.vat_amount,
        )
        for group in totals.vat_groups
    ]


def _totals(company: Company, lines: list[LineData], currency: str) -> Totals:
    return compute_totals(
        lines=[line.as_input() for line in lines],
        currency=currency,
        round_to_whole=company.is_rounding_to_whole_units,
    )


# --- drafts ---------------------------------------------------------------------------------------------


def clean_lines(company: Company, lines: list[dict[str, Any]]) -> list[LineData]:
    """Checked line data; every problem reported with its line (lines.2.unit_price)."""
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
    return cleaned


def _clean_header(company: Company, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - HEADER_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, code="unknown_field")
    if "currency" in fields and fields["currency"] not in CURRENCIES:
        raise DomainError(
            _("“%(c)s” is not a currency we invoice in (SEK, DKK, NOK, EUR).") % {"c": fields["currency"]},
            field="currency",
        )
    terms = fields.get("payment_terms_days")
    if terms is not None and not 0 <= int(terms) <= 365:
        raise DomainError(_("Payment terms are 0 to 365 days."), field="payment_terms_days")
    return fields


def _draft_fields(company: Company, customer: Customer, header: dict[str, Any]) -> dict[str, Any]:
    if customer.company_id != company.pk:
        raise DomainError(_("This customer belongs to another company."), field="customer")
    data = _clean_header(company, header)
    data.setdefault("currency", company.default_currency)
    data.setdefault("language", customer.language)
    data.setdefault("payment_terms_days", _terms_for(company, customer))
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
    cleaned = clean_lines(company, lines)
    totals = _totals(company, cleaned, data["currency"])
    invoice = Invoice(company=company, customer=customer, created_by=actor, **data, **totals.as_fields())
    rows = _line_rows(invoice, cleaned, totals.line_net_amounts)
    events = [InvoiceEvent(invoice=invoice, kind=EventKind.CREATED, actor=actor, at=timezone.now(), params={})]
    insert_tree(invoice, [("invoice", rows), ("invoice", events)])
    # A new invoice has no credit notes, and a draft no stored VAT breakdown.
    return _known_relations(invoice, lines=rows, vat_breakdown=[], events=events, credit_notes=[])


@transaction.atomic
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
    cleaned = clean_lines(company, lines)
    totals = _totals(company, cleaned, data["currency"])
    # The buyer's snapshot names the invoice reference: read it unless the caller did.
    if customer.invoice_reference_id is not None and not Customer.invoice_reference.is_cached(customer):
        customer = Customer.objects.select_related("invoice_reference").get(pk=customer.pk)
    now = timezone.now()
    fields = _number_and_snapshots(
        company, customer, issued_on=issued_on, terms_days=data["payment_terms_days"], totals=totals,
        kind=InvoiceKind.INVOICE, now=now,
    )  # fmt: skip
    invoice = Invoice(
        company=company, customer=customer, created_by=actor, status=InvoiceStatus.ISSUED, **{**data, **fields}
    )
    rows = _line_rows(invoice, cleaned, totals.line_net_amounts)
    vat = _vat_rows(invoice, totals)
    events = [
        InvoiceEvent(invoice=invoice, kind=EventKind.CREATED, actor=actor, at=now, params={}),
        InvoiceEvent(invoice=invoice, kind=EventKind.ISSUED, actor=actor, at=now, params={}),
    ]
    insert_tree(invoice, [("invoice", rows), ("invoice", vat), ("invoice", events)])
    _announce_issued(company, [invoice.pk], [invoice], actor=actor)
    return _known_relations(invoice, lines=rows, vat_breakdown=vat, events=events, credit_notes=[])


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


@transaction.atomic
def invoice_update_draft(
    *, invoice: Invoice, actor: Any, lines: list[dict[str, Any]] | None = None, **header: Any
) -> Invoice:
    locked = _lock_draft(invoice)
    data = _clean_header(locked.company, header)
    changed = sorted(name for name, value in data.items() if getattr(locked, name) != value)
    for name, value in data.items():
        setattr(locked, name, value)
    if lines is not None:
        cleaned = clean_lines(locked.company, lines)
        locked.lines.all().delete()
        totals = _totals(locked.company, cleaned, locked.currency)
        InvoiceLine.objects.bulk_create(_line_rows(locked, cleaned, totals.line_net_amounts))
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


@transaction.atomic
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
    fields = _number_and_snapshots(
        company, customer, issued_on=issued_on, terms_days=locked.payment_terms_days, totals=totals,
        kind=locked.kind, now=timezone.now(),
    )  # fmt: skip
    move_invoice(locked, to=InvoiceStatus.ISSUED, actor=actor, event=EventKind.ISSUED, **fields)
    vat = InvoiceVat.objects.bulk_create(_vat_rows(locked, totals))
    _announce_issued(company, [locked.pk], [locked], actor=actor)
    # What was just read and written, in hand for the answer (a draft has no credit notes);
    # the history is read when it is shown.
    return _known_relations(locked, lines=lines, vat_breakdown=vat, credit_notes=[])


# --- registering the basis ---------------------------------------------------------------------------


@transaction.atomic
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
    issued_on = issued_on or timezone.localdate()
    now = timezone.now()
    series, first = numbers_take(company=company, count=len(by_customer))
    seller = seller_snapshot(company, series)
    vat_keys: dict[tuple[str, Decimal], VatKey] = {}
    invoice_rows: list[dict[str, Any]] = []
    totals_list: list[Totals] = []
    for offset, ((customer_id, buyer_reference), group) in enumerate(by_customer.items()):
        buyer, extra = customers[customer_id]
        inputs = []
        for item in group:
            pair = (item["vat_category"], item["vat_rate"])
            key = vat_keys.get(pair) or vat_keys.setdefault(pair, VatKey(*pair))
            inputs.append(LineInput(item["quantity"], item["unit_price"], key))
        currency = group[0]["currency"]
        totals = compute_totals(lines=inputs, currency=currency, round_to_whole=company.is_rounding_to_whole_units)
        terms = extra["payment_terms_days"]
        fields = _issued_fields(
            company=company,
            seller=seller,
            buyer=buyer,
            series=series,
            number=first + offset,
            issued_on=issued_on,
            terms_days=terms if terms is not None else company.payment_terms_days,
            totals=totals,
            kind=InvoiceKind.INVOICE,
            now=now,
        )
        del fields["series"]
        invoice_rows.append(
            {
                "company_id": company.pk,
                "customer_id": customer_id,
                "kind": InvoiceKind.INVOICE,
                "status": InvoiceStatus.ISSUED,
                "series_id": series.pk,
                "currency": currency,
                "language": extra["language"],
                "buyer_reference": buyer_reference,
                "created_by_id": getattr(actor, "pk", None),
                "created_at": now,
                **fields,
            }
        )
        totals_list.append(totals)

    columns = list(invoice_rows[0])
    bulk_insert(Invoice, columns, ([row[name] for name in columns] for row in invoice_rows))
    last = first + len(invoice_rows) - 1
    ids = dict(Invoice.objects.filter(series=series, number__gte=first, number__lte=last).values_list("number", "pk"))
    bulk_insert(InvoiceLine, LINE_COLUMNS, _basis_line_rows(by_customer, totals_list, first, ids))
    bulk_insert(
        InvoiceVat,
        VAT_COLUMNS,
        _vat_breakdown_rows((ids[first + offset], totals) for offset, totals in enumerate(totals_list)),
    )
    invoices = list(_invoices_as_read({**row, "id": ids[row["number"]]} for row in invoice_rows))
    InvoiceEvent.objects.bulk_create(
        [
            InvoiceEvent(
                invoice_id=invoice.pk,
                kind=EventKind.ISSUED,
                actor_id=invoice.created_by_id,
                at=now,
                params={"basis_items": len(group)},
            )
            for invoice, group in zip(invoices, by_customer.values(), strict=True)
        ],
        batch_size=5000,
    )
    basis_items_mark_invoiced(item_ids=[item["pk"] for item in items], at=now)
    _announce_issued(company, [invoice.pk for invoice in invoices], invoices, actor=actor)
    return invoices


LINE_COLUMNS = (
    "invoice_id", "position", "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate",
    "net_amount", "account_code", "period_start", "period_end", "basis_item_id", "credited_line_id",
)  # fmt: skip


def _basis_line_rows(
    by_customer: dict[tuple[int, str], list[dict[str, Any]]], totals_list: list[Totals], first: int, ids: dict[int, int]
) -> Iterator[tuple[Any, ...]]:
    """Invoice line rows in LINE_COLUMNS order: each customer's items, in order, on their invoice."""
    for offset, (group, totals) in enumerate(zip(by_customer.values(), totals_list, strict=True)):
        invoice_id = ids[first + offset]
        for position, (item, net) in enumerate(zip(group, totals.line_net_amounts, strict=True), start=1):
            yield (
                invoice_id,
                position,
                item["description"],
                item["quantity"],
                item["unit"],
                item["unit_price"],
                item["vat_category"],
                item["vat_rate"],
                net,
                item["account_code"],
                item["period_start"],
                item["period_end"],
                item["pk"],
                None,
            )


def _customers_in_basis(company: Company, customer_ids: list[int] | None) -> Any:
    """The customers to register: the chosen ones, or (as a subquery, not a list of
    thousands of ids) everyone with open items."""
    if customer_ids is not None:
        return customer_ids
    return BasisItem.objects.filter(company=company, status=BasisItemStatus.OPEN).values("customer_id").distinct()


# --- shared by the batches: registering the basis, issuing many drafts ------------------------------------

VAT_COLUMNS = ("invoice_id", "vat_category", "vat_rate", "taxable_amount", "vat_amount")
EVENT_COLUMNS = ("invoice_id", "kind", "at", "actor_id", "params")
# Ids per statement when a batch reads or locks rows by id.
ID_CHUNK = 5000
# The details of an event that has none: one object, so a batch serialises it once (core/bulk.py).
NO_DETAILS: dict[str, Any] = {}


def _vat_breakdown_rows(invoices: Iterable[tuple[int, Totals]]) -> Iterator[tuple[Any, ...]]:
    """InvoiceVat rows in VAT_COLUMNS order for (invoice id, totals) pairs."""
    for invoice_id, totals in invoices:
        for group in totals.vat_groups:
            yield (invoice_id, group.key.category, group.key.rate, group.taxable_amount, group.vat_amount)


def _invoices_as_read(rows: Iterable[dict[str, Any]], *, is_complete: bool = True) -> Iterator[Invoice]:
    """Invoices as if read back from rows of attribute values with their "id" (from_db is
    positional, so 10,000 of them cost little). Fields a row lacks get their defaults, or,
    when the rows are not `is_complete` (read in part), are deferred: loaded when used."""
    fields = Invoice._meta.concrete_fields
    defaults = {field.attname: field.get_default() for field in fields}
    names: list[str] | None = None
    for row in rows:
        if names is None:
            names = [f.attname for f in fields if is_complete or f.attname in row]
        values = {**defaults, **row} if is_complete else row
        yield Invoice.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


def _announce_issued(company: Company, invoice_ids: list[int], invoices: Iterable[Invoice], *, actor: Any) -> None:
    """invoice.issued, in the issuing transaction: documents, webhooks and the rest subscribe
    (invoicing/events.py). `invoices` may be a Many, built only if a subscriber reads it."""
    publish(INVOICE_ISSUED, company_id=company.pk, actor=actor, invoice_ids=invoice_ids, invoices=invoices)


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

# What issuing sets on each draft (_issued_fields); the status, series, dates and seller are
# the batch's, set once. A credit note keeps its own terms.
ISSUED_COLUMNS = (
    "number", "buyer", "net_amount", "vat_amount", "rounding_amount", "total_amount", "payment_terms_days",
    "due_on", "payment_reference",
)  # fmt: skip
# What issuing many drafts reads of them; what it does not read (the note, the references)
# is deferred on the invoices given to webhooks, and loads if used.
DRAFT_COLUMNS = (
    "id", "company_id", "customer_id", "kind", "currency", "language", "payment_terms_days", "due_on",
    "payment_reference", "credited_invoice_id", "recurring_invoice_id", "recurring_on",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class IssuedDraft:
    pk: int
    number: int
    display_number: str


@transaction.atomic
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
        buyers.update(buyer_snapshots(Customer.objects.filter(any_of(Customer, chunk))))

    issued_on = issued_on or timezone.localdate()
    now = timezone.now()
    series, first = numbers_take(company=company, count=len(drafts))
    seller = seller_snapshot(company, series)
    memo = TotalsMemo(round_to_whole=company.is_rounding_to_whole_units)
    issued: list[dict[str, Any]] = []
    breakdowns: list[tuple[int, Totals]] = []
    nets_changed: list[tuple[int, Decimal]] = []
    for offset, draft in enumerate(drafts):
        rows = lines[draft["id"]]
        totals = memo.totals(((row[2], row[3], memo.vat_key(row[4], row[5])) for row in rows), draft["currency"])
        # A draft stores its line amounts already; only those the rule now rounds otherwise change.
        nets_changed += [(row[0], net) for row, net in zip(rows, totals.line_net_amounts, strict=True) if row[6] != net]
        fields = _issued_fields(
            company=company,
            seller=seller,
            buyer=buyers[draft["customer_id"]][0],
            series=series,
            number=first + offset,
            issued_on=issued_on,
            terms_days=draft["payment_terms_days"],
            totals=totals,
            kind=draft["kind"],
            now=now,
        )
        fields["series_id"] = fields.pop("series").pk
        issued.append({**draft, **fields, "status": InvoiceStatus.ISSUED})
        breakdowns.append((draft["id"], totals))

    changed = bulk_update(
        Invoice,
        ISSUED_COLUMNS,
        ((row["id"], *(row[name] for name in ISSUED_COLUMNS)) for row in issued),
        same={
            "status": InvoiceStatus.ISSUED,
            "series_id": series.pk,
            "issued_on": issued_on,
            "issued_at": now,
            "seller": seller,
        },
        only_if={"status": InvoiceStatus.DRAFT},
    )
    if changed != len(issued):
        raise StateConflict(_("Someone else changed one of these drafts at the same time; reload and try again."))
    bulk_update(InvoiceLine, ("net_amount",), nets_changed)
    bulk_insert(InvoiceVat, VAT_COLUMNS, _vat_breakdown_rows(breakdowns))
    ids = [row["id"] for row in issued]
    actor_id = getattr(actor, "pk", None)
    bulk_insert(InvoiceEvent, EVENT_COLUMNS, ((pk, EventKind.ISSUED, now, actor_id, NO_DETAILS) for pk in ids))
    _announce_issued(company, ids, Many(lambda: _invoices_as_read(issued, is_complete=False)), actor=actor)
    prefix = series.prefix
    return [IssuedDraft(row["id"], row["number"], f"{prefix}{row['number']}") for row in issued]


# --- credit notes -------------------------------------------------------------------------------------------


def credit_remaining(invoice: Invoice) -> dict[int, Decimal]:
    """Quantity left to credit per line of an issued invoice."""
    credited: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, quantity in InvoiceLine.objects.filter(
        credited_line__invoice=invoice, invoice__status__in=[InvoiceStatus.ISSUED, InvoiceStatus.CREDITED]
    ).values_list("credited_line_id", "quantity"):
        credited[line_id] += quantity
    return {line.pk: line.quantity - credited[line.pk] for line in invoice.lines.all()}


@transaction.atomic
def credit_note_create(
    *,
    invoice: Invoice,
    actor: Any,
    quantities: dict[int, Decimal] | None = None,
    reason: str = "",
    issued_on: dt.date | None = None,
) -> Invoice:
    """Credit an issued invoice fully (quantities None) or partly (line id -> quantity).

    The credit note is itself issued and numbered in the same series. The original
    is locked first, so two credits at once cannot together exceed what is left.
    """
    original = Invoice.objects.select_for_update().select_related("company", "customer").get(pk=invoice.pk)
    if original.kind != InvoiceKind.INVOICE:
        raise StateConflict(_("A credit note cannot be credited."))
    if original.status == InvoiceStatus.DRAFT:
        raise StateConflict(_("A draft is not credited; change or delete it instead."))
    if original.status == InvoiceStatus.CREDITED:
        raise StateConflict(_("Invoice %(n)s is already fully credited.") % {"n": original.display_number})
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
    customer = Customer.objects.select_related("invoice_reference").get(pk=original.customer_id)
    note = Invoice.objects.create(
        company=company,
        customer=customer,
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceStatus.ISSUED,
        credited_invoice=original,
        currency=original.currency,
        language=original.language,
        buyer_reference=original.buyer_reference,
        order_reference=original.order_reference,
        credit_reason=reason.strip()[:300],
        created_by=actor,
        **_number_and_snapshots(
            company, customer, issued_on=issued_on, terms_days=0, totals=totals, kind=InvoiceKind.CREDIT_NOTE, now=now
        ),
    )
    InvoiceLine.objects.bulk_create(_line_rows(note, credit_lines, totals.line_net_amounts))
    InvoiceVat.objects.bulk_create(_vat_rows(note, totals))
    InvoiceEvent.objects.create(
        invoice=note,
        kind=EventKind.ISSUED,
        actor=actor,
        at=now,
        params={"credits": original.pk, "credited_number": original.display_number},
    )
    is_full = all(remaining[line_id] - wanted.get(line_id, Decimal(0)) == 0 for line_id in lines)
    params = {"credit_note": note.pk, "credit_note_number": note.display_number, "is_full": is_full}
    if is_full:
        move_invoice(original, to=InvoiceStatus.CREDITED, actor=actor, event=EventKind.CREDITED, params=params)
    else:
        InvoiceEvent.objects.create(invoice=original, kind=EventKind.CREDITED, actor=actor, at=now, params=params)
    # Subscribers stop a queued delivery (seed 003), lower a direct-debit order, render the
    # credit note and tell webhooks, all inside this transaction.
    publish(INVOICE_CREDITED, company_id=company.pk, actor=actor, invoice=original, credit_note=note, is_full=is_full)
    return note
