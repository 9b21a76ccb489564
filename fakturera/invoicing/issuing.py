"""The one way a document becomes issued.

Every path that issues goes through `issue_documents`: a draft issued from its
page or the API (`invoice_issue`), an invoice created issued (`invoice_create_issued`,
the API's `issue: true`), many drafts at once (`invoices_issue_drafts`, recurring
orders), the basis registered (`invoices_register_from_basis`) and a credit note
(`credit_note_create`). It does, for one document or a hundred thousand, in the
caller's transaction and in this order:

0. the checks that refuse before a number is taken: VAT categories, cash discounts, the
   date's upper bound, and the exchange rate of a foreign-currency invoice with VAT (its VAT
   must also be stated in SEK: rules.needs_exchange_rate), and the date's month open for
   bookkeeping (core.period_locks: a closed month takes no document);
1. the numbers: one range from the series, whose row stays locked until commit, and the
   date checked under that lock (no earlier than the series' latest, no further ahead
   than the company allows: rules.issue_date_refusal);
2. the issued fields: number, dates, due date, OCR reference, both parties' snapshots,
   the totals and the exchange rate with the VAT in SEK;
3. the compare-and-set of drafts (draft -> issued; a draft someone else issued
   meanwhile fails the whole call) or the insert of new documents with their lines;
4. the stored VAT breakdown and the history (`created` for new documents, `issued`);
5. `invoice.issued` (invoicing/events.py), to which documents, webhooks and the rest
   subscribe.

What differs between the paths is how each reads its input; what happens to an
issued document is decided here. A fixed number of statements whatever the count:
one document is one compare-and-set or (on PostgreSQL) one insert statement for the
invoice, its lines, VAT and history (core.rows.insert_tree); many are written with
COPY (core.bulk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.catalog.vat import check_document_vat, vat_facts
from fakturera.core.bulk import bulk_insert, bulk_insert_returning_ids, bulk_update
from fakturera.core.errors import DomainError, StateConflict
from fakturera.core.events import Many, publish
from fakturera.core.ocr import ocr_reference
from fakturera.core.period_locks import check_open
from fakturera.core.rows import insert_tree
from fakturera.invoicing.events import INVOICE_ISSUED
from fakturera.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceVat, NumberSeries
from fakturera.invoicing.numbering import numbers_take
from fakturera.invoicing.rules import exchange_rate_refusal, issue_date_refusal, needs_exchange_rate, vat_in_sek
from fakturera.invoicing.selectors import exchange_rates_latest
from fakturera.invoicing.snapshots import seller_snapshot
from fakturera.invoicing.states import EventKind, InvoiceKind, InvoiceStatus
from fakturera.invoicing.totals import Totals
from fakturera.parties.models import Company
from fakturera.parties.terms import NO_DISCOUNT, check_cash_discount

# The decimal places of InvoiceLine.quantity, unit_price and vat_rate.
QUANTITY_PLACES, PRICE_PLACES, RATE_PLACES = Decimal("0.001"), Decimal("0.0001"), Decimal("0.01")

LINE_COLUMNS = (
    "invoice_id", "position", "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate",
    "net_amount", "account_code", "period_start", "period_end", "basis_item_id", "credited_line_id",
)  # fmt: skip
VAT_COLUMNS = ("invoice_id", "vat_category", "vat_rate", "taxable_amount", "vat_amount")
EVENT_COLUMNS = ("invoice_id", "kind", "at", "actor_id", "params")
# What issuing sets on each draft; the status, series, dates and seller are the batch's, set once.
ISSUED_COLUMNS = (
    "number", "buyer", "net_amount", "vat_amount", "rounding_amount", "total_amount", "payment_terms_days",
    "due_on", "payment_reference", "cash_discount_percent", "cash_discount_days", "cash_discount_until",
    "exchange_rate", "exchange_rate_on", "sek_vat_amount",
)  # fmt: skip
# The params of an event that has none: one object, so a batch serialises it once (core/bulk.py).
NO_DETAILS: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_key: Any  # catalog.vat.VatKey
    unit: str = "st"
    account_code: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    basis_item_id: int | None = None
    credited_line_id: int | None = None


@dataclass(slots=True)
class ToIssue:
    """One document to issue: a locked draft (`draft`: its columns as read, with "id"), or a
    new document (`new`: its own columns, and `lines`). `buyer` is the customer's snapshot,
    `history` the params of its `issued` event (history is data: invoicing/history.py words it)."""

    kind: str
    terms_days: int
    totals: Totals
    buyer: dict[str, Any]
    currency: str
    draft: dict[str, Any] | None = None
    # The cash discount (seed 004) of an invoice; a credit note has none.
    discount_percent: Decimal = Decimal("0.00")
    discount_days: int = 0
    new: dict[str, Any] | None = None
    lines: Sequence[LineData] = ()
    history: dict[str, Any] = field(default_factory=dict)
    created_event: bool = False  # a new document created and issued at once has both events
    # A credit note's rate is its invoice's (SEK per unit, published on): the VAT it corrects
    # was stated in SEK with that rate. None: the company's rate for the invoice date.
    exchange_rate: tuple[Decimal, dt.date] | None = None


@dataclass(slots=True)
class Issued:
    """An issued document as stored: `row` holds its columns (with "id" and "number");
    a document written as objects (one new one) also has them in hand."""

    row: dict[str, Any]
    is_new: bool
    invoice: Invoice | None = None
    lines: list[InvoiceLine] | None = None
    vat: list[InvoiceVat] | None = None
    events: list[InvoiceEvent] | None = None

    @property
    def pk(self) -> int:
        return self.row["id"]

    def as_invoice(self) -> Invoice:
        """The document as an Invoice: the one in hand, or one built from its row (a new
        document's row is complete; a draft's holds what was read and loads the rest if used)."""
        return self.invoice or as_invoice(self.row, complete=self.is_new)


def issued_fields(
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
    discount_percent: Decimal = NO_DISCOUNT[0],
    discount_days: int = 0,
    exchange_rate: tuple[Decimal, dt.date] | None = None,
) -> dict[str, Any]:
    """What issuing sets on a document: its number, dates, parties, totals and cash discount
    (every document has the discount's columns, so a batch's rows have the same ones)."""
    fields = {
        "series_id": series.pk,
        "number": number,
        "issued_on": issued_on,
        "issued_at": now,
        "seller": seller,
        "buyer": buyer,
        **totals.as_fields(),
        "cash_discount_percent": NO_DISCOUNT[0],
        "cash_discount_days": 0,
        "cash_discount_until": None,
        # Every document has these columns, so a batch's rows have the same ones.
        "exchange_rate": None,
        "exchange_rate_on": None,
        "sek_vat_amount": None,
    }
    if exchange_rate is not None:
        fields["exchange_rate"], fields["exchange_rate_on"] = exchange_rate
        fields["sek_vat_amount"] = vat_in_sek(totals.vat_amount, exchange_rate[0])
    if kind == InvoiceKind.INVOICE:
        fields["payment_terms_days"] = terms_days
        fields["due_on"] = issued_on + dt.timedelta(days=terms_days)
        fields["payment_reference"] = ocr_reference(str(number), with_length_digit=company.has_ocr_length_digit)
        if discount_percent > 0:
            fields["cash_discount_percent"] = discount_percent
            fields["cash_discount_days"] = discount_days
            fields["cash_discount_until"] = issued_on + dt.timedelta(days=discount_days)
    return fields


def issue_documents(
    *,
    company: Company,
    actor: Any,
    docs: Sequence[ToIssue],
    issued_on: dt.date | None = None,
    now: dt.datetime | None = None,
    announce: bool = True,
) -> list[Issued]:
    """Issue `docs` (drafts, new documents or both) in the caller's transaction, numbered in
    their order; returns them in that order. With `announce` False the caller publishes
    (a credit note is announced as `invoice.credited`)."""
    if not docs:
        return []
    _check_vat(company, docs)
    _check_discounts(docs)
    now = now or timezone.now()
    # Local dates, as the default date of every form: today is never after the allowed range.
    today = timezone.localdate()
    issued_on = issued_on or today
    actor_id = getattr(actor, "pk", actor)
    if issued_on > today + dt.timedelta(days=company.issue_days_ahead):
        # Too far ahead whatever the series holds; its latest date is read only to name the range.
        latest = NumberSeries.objects.filter(company=company).order_by("pk").values_list("last_issued_on").first()
        _refuse_date(company, issued_on, today=today, latest=latest[0] if latest else None)
    # A month the company has closed for bookkeeping takes no new document (core.period_locks,
    # answered by bookkeeping): refused before a number is taken.
    check_open(company.pk, [issued_on], field="issued_on")
    rates = _exchange_rates(company, docs, issued_on)
    series, first = numbers_take(company=company, count=len(docs), issued_on=issued_on)
    # The series' latest date, read under its lock, so two issuers cannot interleave out of order.
    if series.last_issued_on is not None and series.last_issued_on > issued_on:
        # The caller's transaction rolls back: the numbers and the series' date with it.
        _refuse_date(company, issued_on, today=today, latest=series.last_issued_on)
    seller = seller_snapshot(company, series)
    issued: list[Issued] = []
    for offset, doc in enumerate(docs):
        fields = issued_fields(
            company=company, seller=seller, buyer=doc.buyer, series=series, number=first + offset,
            issued_on=issued_on, terms_days=doc.terms_days, totals=doc.totals, kind=doc.kind, now=now,
            discount_percent=doc.discount_percent, discount_days=doc.discount_days, exchange_rate=rates[offset],
        )  # fmt: skip
        base = doc.draft if doc.draft is not None else doc.new
        issued.append(Issued({**base, **fields, "status": InvoiceStatus.ISSUED}, is_new=doc.draft is None))

    drafts = [(doc, out) for doc, out in zip(docs, issued, strict=True) if doc.draft is not None]
    news = [(doc, out) for doc, out in zip(docs, issued, strict=True) if doc.draft is None]
    if drafts:
        _move_drafts(drafts, series=series, issued_on=issued_on, now=now, seller=seller)
    if len(news) == 1 and not drafts:
        _insert_one(*news[0], actor=actor, now=now)
    elif news:
        _insert_many(news)
    rest = [(doc, out) for doc, out in zip(docs, issued, strict=True) if out.invoice is None]
    if rest:
        bulk_insert(InvoiceVat, VAT_COLUMNS, _vat_rows((out.pk, doc.totals) for doc, out in rest))
        bulk_insert(InvoiceEvent, EVENT_COLUMNS, _event_rows(rest, actor_id=actor_id, now=now))
    if announce:
        ids = [out.pk for out in issued]
        publish(
            INVOICE_ISSUED,
            company_id=company.pk,
            actor=actor_id,
            invoice_ids=ids,
            invoices=Many(lambda: (out.as_invoice() for out in issued)),
        )
    return issued


def _refuse_date(company: Company, issued_on: dt.date, *, today: dt.date, latest: dt.date | None) -> None:
    refusal = issue_date_refusal(issued_on, latest=latest, today=today, days_ahead=company.issue_days_ahead)
    raise DomainError(refusal, field="issued_on", code="issue_date_refused")


def _exchange_rates(
    company: Company, docs: Sequence[ToIssue], issued_on: dt.date
) -> list[tuple[Decimal, dt.date] | None]:
    """Each document's exchange rate, or None when its VAT needs no kronor
    (rules.needs_exchange_rate). A credit note keeps its invoice's; the others take the
    company's latest rate on or before the invoice date, read once per currency (at most the
    three we invoice in, whatever the batch's size), and a missing or stale one refuses the
    batch before a number is taken (rules.exchange_rate_refusal)."""
    wanted = [
        needs_exchange_rate(seller_country=company.country, currency=doc.currency, vat_amount=doc.totals.vat_amount)
        for doc in docs
    ]
    if not any(wanted):
        return [None] * len(docs)
    to_look_up = {
        doc.currency for doc, is_wanted in zip(docs, wanted, strict=True) if is_wanted and not doc.exchange_rate
    }
    latest = exchange_rates_latest(company=company, currencies=to_look_up, on=issued_on) if to_look_up else {}
    rates: list[tuple[Decimal, dt.date] | None] = []
    for doc, is_wanted in zip(docs, wanted, strict=True):
        if not is_wanted:
            rates.append(None)
        elif doc.exchange_rate is not None:
            rates.append(doc.exchange_rate)
        else:
            found = latest.get(doc.currency)
            what = (
                _("The credit note to %(name)s")
                if doc.kind == InvoiceKind.CREDIT_NOTE
                else _("The invoice to %(name)s")
            )
            refusal = exchange_rate_refusal(
                what=what % {"name": doc.buyer.get("name", "")},
                currency=doc.currency,
                issued_on=issued_on,
                latest_on=found[1] if found else None,
            )
            if refusal:
                raise DomainError(refusal, field="currency", code="exchange_rate_missing")
            rates.append(found)
    return rates


def _check_discounts(docs: Sequence[ToIssue]) -> None:
    """Each invoice's cash discount goes with its terms (parties.terms), whichever way it is
    issued; a credit note has none. Checked before a number is taken."""
    for doc in docs:
        if doc.kind == InvoiceKind.CREDIT_NOTE:
            if doc.discount_percent > 0:
                raise DomainError(_("A credit note has no cash discount."), field="cash_discount_percent")
            continue
        check_cash_discount(percent=doc.discount_percent, days=doc.discount_days, terms_days=doc.terms_days)


def _check_vat(company: Company, docs: Sequence[ToIssue]) -> None:
    """Each document's VAT categories must have what they need of the company and the buyer
    (catalog.vat.vat_problems), whichever way it is issued: checked on what is in hand, before
    a number is taken. Documents with the same buyer and categories are judged once."""
    seller = vat_facts(company)
    judged: set[tuple[Any, ...]] = set()
    for doc in docs:
        buyer = vat_facts(doc.buyer)
        categories = frozenset(group.key.category for group in doc.totals.vat_groups)
        key = (*buyer.values(), categories)
        if key in judged:
            continue
        judged.add(key)
        kind = _("The credit note to %(name)s") if doc.kind == InvoiceKind.CREDIT_NOTE else _("The invoice to %(name)s")
        check_document_vat(categories, seller=seller, buyer=buyer, what=kind % {"name": buyer["name"]})


def _move_drafts(
    drafts: list[tuple[ToIssue, Issued]], *, series: NumberSeries, issued_on: dt.date, now: dt.datetime, seller: Any
) -> None:
    """Draft -> issued, a compare-and-set: every draft must still be a draft."""
    if len(drafts) == 1:
        row = drafts[0][1].row
        changed = Invoice.objects.filter(pk=row["id"], status=InvoiceStatus.DRAFT).update(
            status=InvoiceStatus.ISSUED,
            series_id=series.pk,
            issued_on=issued_on,
            issued_at=now,
            seller=seller,
            **{name: row[name] for name in ISSUED_COLUMNS},
        )
    else:
        changed = bulk_update(
            Invoice,
            ISSUED_COLUMNS,
            ((out.pk, *(out.row[name] for name in ISSUED_COLUMNS)) for _doc, out in drafts),
            same={
                "status": InvoiceStatus.ISSUED,
                "series_id": series.pk,
                "issued_on": issued_on,
                "issued_at": now,
                "seller": seller,
            },
            only_if={"status": InvoiceStatus.DRAFT},
        )
    if changed != len(drafts):
        raise StateConflict(_("Someone else changed one of these drafts at the same time; reload and try again."))


def line_objects(invoice: Invoice, lines: Sequence[LineData], nets: Sequence[Decimal]) -> list[InvoiceLine]:
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


def vat_objects(invoice: Invoice, totals: Totals) -> list[InvoiceVat]:
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


def _insert_one(doc: ToIssue, out: Issued, *, actor: Any, now: dt.datetime) -> None:
    """One new document, written with its lines, VAT and history in one statement (PostgreSQL)."""
    invoice = Invoice(**out.row)
    lines = line_objects(invoice, doc.lines, doc.totals.line_net_amounts)
    vat = vat_objects(invoice, doc.totals)
    # The actor object itself where there is one: the answer shows who did it without a read.
    who = {"actor": actor} if hasattr(actor, "_meta") else {"actor_id": actor}
    events = [InvoiceEvent(invoice=invoice, kind=kind, at=now, params=params, **who) for kind, params in _history(doc)]
    insert_tree(invoice, [("invoice", lines), ("invoice", vat), ("invoice", events)])
    out.row["id"] = invoice.pk
    out.invoice, out.lines, out.vat, out.events = invoice, lines, vat, events


def _insert_many(news: list[tuple[ToIssue, Issued]]) -> None:
    columns = list(news[0][1].row)
    ids = bulk_insert_returning_ids(Invoice, columns, [[out.row[name] for name in columns] for _doc, out in news])
    for (_doc, out), pk in zip(news, ids, strict=True):
        out.row["id"] = pk
    bulk_insert(InvoiceLine, LINE_COLUMNS, _line_rows(news))


def _line_rows(news: list[tuple[ToIssue, Issued]]) -> Iterator[tuple[Any, ...]]:
    for doc, out in news:
        for position, (line, net) in enumerate(zip(doc.lines, doc.totals.line_net_amounts, strict=True), start=1):
            yield (
                out.pk, position, line.description, line.quantity, line.unit, line.unit_price,
                line.vat_key.category, line.vat_key.rate, net, line.account_code, line.period_start,
                line.period_end, line.basis_item_id, line.credited_line_id,
            )  # fmt: skip


def _vat_rows(documents: Iterable[tuple[int, Totals]]) -> Iterator[tuple[Any, ...]]:
    """InvoiceVat rows in VAT_COLUMNS order for (invoice id, totals) pairs."""
    for invoice_id, totals in documents:
        for group in totals.vat_groups:
            yield (invoice_id, group.key.category, group.key.rate, group.taxable_amount, group.vat_amount)


def _history(doc: ToIssue) -> list[tuple[str, dict[str, Any]]]:
    issued = (EventKind.ISSUED, doc.history or NO_DETAILS)
    return [(EventKind.CREATED, NO_DETAILS), issued] if doc.created_event else [issued]


def _event_rows(docs: list[tuple[ToIssue, Issued]], *, actor_id: int | None, now: dt.datetime) -> Iterator[tuple]:
    for doc, out in docs:
        for kind, params in _history(doc):
            yield (out.pk, kind, now, actor_id, params)


def as_invoice(row: dict[str, Any], *, complete: bool = False) -> Invoice:
    """An Invoice as if read back from its columns (attribute names, with "id"). Columns a row
    lacks get their defaults when it is `complete` (a new document), else are deferred and load
    if used. from_db is positional, so ten thousand of these cost little."""
    fields = Invoice._meta.concrete_fields
    if complete:
        names = [f.attname for f in fields]
        return Invoice.from_db(DEFAULT_DB_ALIAS, names, [row[n] if n in row else _default(n) for n in names])
    names = [f.attname for f in fields if f.attname in row]
    return Invoice.from_db(DEFAULT_DB_ALIAS, names, [row[name] for name in names])


_DEFAULTS: dict[str, Any] = {}


def _default(attname: str) -> Any:
    if attname not in _DEFAULTS:
        field = next(f for f in Invoice._meta.concrete_fields if f.attname == attname)
        _DEFAULTS[attname] = field.get_default()
    value = _DEFAULTS[attname]
    # A mutable default (a JSON dict) is a new one for each invoice.
    return type(value)() if isinstance(value, dict | list) else value
