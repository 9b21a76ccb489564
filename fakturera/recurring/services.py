"""Writes of recurring invoices: create, change, delete (stop), the preview of what
they will generate, generation itself, and each user's notice setting.

Generation (seed 002) makes one order per recurring invoice and due date, holding
every line due that day: an invoice draft marked with the recurring invoice and the
date. Each due line's next date moves on along its own schedule (schedule.py), never
from today, so a missed run catches up with one order per date, in order.

Generating twice, or in two processes at once, makes each order once: a run locks the
recurring invoices it works on (FOR UPDATE SKIP LOCKED, so a second run takes the
others and never waits), reads their lines after the lock (what a run that finished
meanwhile left), and the unique (recurring invoice, date) of the order is the
backstop. A run works in batches, each its own transaction written in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.catalog.models import Product
from fakturera.catalog.vat import VatKey
from fakturera.core.bulk import any_of, bulk_update
from fakturera.core.collector import collector_paused
from fakturera.core.db import retrying_atomic, run_retrying
from fakturera.core.errors import DomainError, ErrorCollector
from fakturera.core.money import CURRENCIES
from fakturera.core.tasks import enqueue_on_commit
from fakturera.core.text import check_texts, text_errors
from fakturera.distribution.models import Purpose
from fakturera.distribution.services import invoices_send
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import (
    DraftSpec,
    LineData,
    TotalsMemo,
    clean_lines,
    invoice_drafts_create_many,
    invoices_issue_drafts,
)
from fakturera.invoicing.totals import Totals
from fakturera.parties.models import Company, Customer
from fakturera.parties.terms import default_discount
from fakturera.recurring.models import Frequency, NoticeKind, Pricing, RecurringInvoice, RecurringLine, RecurringNotice
from fakturera.recurring.schedule import (
    LineSchedule,
    PlannedOrder,
    line_period,
    period_text,
    plan_orders,
)

HEADER_FIELDS = {"description", "currency", "buyer_reference", "note", "is_issued_automatically"}
LINE_FIELDS = {
    "id", "product", "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate", "account_code",
    "pricing", "frequency", "factor", "next_on",
}  # fmt: skip
# The fields invoicing.services.clean_lines checks, as it checks an invoice line.
INVOICE_LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "vat_category", "vat_rate", "account_code")
MAX_FACTOR = 100
PREVIEW_MONTHS = 12
LINE_VALUES = (
    "pk", "recurring_invoice_id", "product_id", "description", "quantity", "unit", "unit_price", "vat_category",
    "vat_rate", "account_code", "pricing", "frequency", "factor", "start_on", "next_on",
)  # fmt: skip
# Recurring invoices per generation transaction.
GENERATE_BATCH = 5000


@dataclass(slots=True)
class Line:
    """A recurring line as generation and the preview need it."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_key: VatKey
    account_code: str
    pricing: str
    product_id: int | None
    schedule: LineSchedule


# --- creating and changing --------------------------------------------------------------------------------


def _clean_header(company: Company, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - HEADER_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, code="unknown_field")
    data = {name: (value.strip() if isinstance(value, str) else value) for name, value in fields.items()}
    check_texts(data, multiline={"note"})
    data.setdefault("currency", company.default_currency)
    if data["currency"] not in CURRENCIES:
        raise DomainError(
            _("“%(c)s” is not a currency we invoice in (SEK, DKK, NOK, EUR).") % {"c": data["currency"]},
            field="currency",
        )
    return data


def _product(company: Company, value: Any) -> Product | None:
    if value in (None, ""):
        return None
    if isinstance(value, Product):
        product = value if value.company_id == company.pk else None
    else:
        product = Product.objects.filter(company=company, pk=value).first() if str(value).isdigit() else None
    if product is None:
        raise DomainError(_("Choose one of the company's products."), field="product")
    return product


def _clean_schedule_fields(
    raw: dict[str, Any], prefix: str, errors: ErrorCollector, product: Product | None
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    pricing = raw.get("pricing") or Pricing.FIXED
    if pricing not in Pricing.values:
        errors.add(prefix + "pricing", _("Pricing is fixed or dynamic."))
    elif pricing == Pricing.DYNAMIC and product is None:
        errors.add(prefix + "pricing", _("Dynamic pricing takes the product's price at generation; choose a product."))
    data["pricing"] = pricing
    frequency = raw.get("frequency") or ""
    if frequency not in Frequency.values:
        errors.add(prefix + "frequency", _("Choose how often the line is invoiced."))
    data["frequency"] = frequency
    factor = raw.get("factor")
    try:
        factor = 1 if factor in (None, "") else int(factor)
    except (TypeError, ValueError):
        factor = 0
    if not 1 <= factor <= MAX_FACTOR:
        errors.add(prefix + "factor", _("The factor is a whole number from 1 to %(max)s.") % {"max": MAX_FACTOR})
    data["factor"] = factor
    next_on = raw.get("next_on")
    if isinstance(next_on, str):
        try:
            next_on = dt.date.fromisoformat(next_on)
        except ValueError:
            next_on = None
    if not isinstance(next_on, dt.date):
        errors.add(prefix + "next_on", _("Give the date the line is invoiced next."))
    data["next_on"] = next_on
    return data


def _clean_lines(
    company: Company,
    lines: list[dict[str, Any]],
    *,
    existing: dict[int, RecurringLine],
    generated_until: dt.date | None,
    customer: Customer | None = None,
) -> list[dict[str, Any]]:
    """Checked line values, ready for RecurringLine; every problem reported with its line."""
    if not lines:
        raise DomainError(_("A recurring invoice needs at least one line."), field="lines", code="no_lines")
    errors = ErrorCollector()
    invoice_parts = []
    extras = []
    for index, raw in enumerate(lines):
        prefix = f"lines.{index}."
        for field_name, messages in text_errors(raw, prefix=prefix).items():
            errors.add(field_name, messages[0])
        unknown = set(raw) - LINE_FIELDS
        if unknown:
            raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, code="unknown_field")
        part = {name: raw[name] for name in INVOICE_LINE_FIELDS if name in raw}
        product = None
        try:
            product = _product(company, raw.get("product"))
        except DomainError as exc:
            errors.add(prefix + "product", exc.message)
        if product is not None:
            # What was left empty comes from the product; dynamic pricing always takes its price.
            if not (part.get("description") or "").strip():
                part["description"] = product.name
            if raw.get("pricing") == Pricing.DYNAMIC or part.get("unit_price") in (None, ""):
                part["unit_price"] = product.unit_price
            if not part.get("vat_category"):
                part["vat_category"], part["vat_rate"] = product.vat_category, product.vat_rate
            if not (part.get("unit") or "").strip():
                part["unit"] = product.unit
            part.setdefault("account_code", product.account_code)
        extra = _clean_schedule_fields(raw, prefix, errors, product)
        extra["product"] = product
        previous = existing.get(raw.get("id")) if raw.get("id") else None
        extra["start_on"] = _anchor(previous, extra)
        if generated_until and isinstance(extra["next_on"], dt.date) and extra["next_on"] <= generated_until:
            errors.add(
                prefix + "next_on",
                _("Orders up to %(date)s are already generated from this recurring invoice; choose a later date.")
                % {"date": generated_until.isoformat()},
            )
        invoice_parts.append(part)
        extras.append(extra)
    cleaned = []
    with errors.check():
        cleaned = clean_lines(company, invoice_parts, customer)
    errors.raise_if_any()
    return [
        {
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "vat_category": line.vat_key.category,
            "vat_rate": line.vat_key.rate,
            "account_code": line.account_code,
            **extra,
        }
        for line, extra in zip(cleaned, extras, strict=True)
    ]


def _anchor(previous: RecurringLine | None, data: dict[str, Any]) -> dt.date | None:
    """A line keeps the day its schedule counts from while its schedule is unchanged; a new
    date, frequency or factor starts the schedule afresh from the new date."""
    if (
        previous is not None
        and previous.next_on == data["next_on"]
        and previous.frequency == data["frequency"]
        and previous.factor == data["factor"]
    ):
        return previous.start_on
    return data["next_on"]


def _write_lines(recurring_invoice: RecurringInvoice, lines: list[dict[str, Any]]) -> None:
    RecurringLine.objects.bulk_create(
        RecurringLine(recurring_invoice=recurring_invoice, position=position, **line)
        for position, line in enumerate(lines, start=1)
    )


@transaction.atomic
def recurring_create(
    *, company: Company, customer: Customer, actor: Any, lines: list[dict[str, Any]], **header: Any
) -> RecurringInvoice:
    if customer.company_id != company.pk:
        raise DomainError(_("This customer belongs to another company."), field="customer")
    data = _clean_header(company, header)
    cleaned = _clean_lines(company, lines, existing={}, generated_until=None, customer=customer)
    recurring_invoice = RecurringInvoice.objects.create(company=company, customer=customer, created_by=actor, **data)
    _write_lines(recurring_invoice, cleaned)
    return recurring_invoice


def _lock(recurring_invoice: RecurringInvoice) -> RecurringInvoice:
    # The recurring invoice's row alone: not its company's (invoicing/DESIGN.md, "Locks").
    locked = (
        RecurringInvoice.objects.select_for_update(no_key=True, of=("self",))
        .select_related("company")
        .get(pk=recurring_invoice.pk)
    )
    if not locked.is_active:
        raise DomainError(_("This recurring invoice was deleted; it can no longer be changed."), code="deleted")
    return locked


def generated_until(recurring_invoice: RecurringInvoice) -> dt.date | None:
    """The date of the last order generated from the recurring invoice."""
    return Invoice.objects.filter(recurring_invoice=recurring_invoice).aggregate(last=Max("recurring_on"))["last"]


@retrying_atomic
def recurring_update(
    *, recurring_invoice: RecurringInvoice, actor: Any, lines: list[dict[str, Any]] | None = None, **header: Any
) -> RecurringInvoice:
    """Change the head and, when given, replace the lines. A line given with the `id` of an
    existing line keeps its schedule's anchor unless its date, frequency or factor changed."""
    locked = _lock(recurring_invoice)
    data = _clean_header(locked.company, {"currency": locked.currency, **header})
    if lines is not None:
        existing = {line.pk: line for line in locked.lines.all()}
        cleaned = _clean_lines(
            locked.company, lines, existing=existing, generated_until=generated_until(locked), customer=locked.customer
        )
        locked.lines.all().delete()
        _write_lines(locked, cleaned)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@retrying_atomic
def recurring_delete(*, recurring_invoice: RecurringInvoice, actor: Any) -> None:
    """Stop it (seed 002, "radera"): nothing more is generated; the orders it made stay."""
    locked = _lock(recurring_invoice)
    locked.deleted_at = timezone.now()
    locked.save(update_fields=["deleted_at"])


# --- what a date's order holds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSettings:
    """The company's period text (seed 002, "Periodtext")."""

    is_on: bool
    template: str
    advance_factor: int
    advance_unit: str

    @classmethod
    def of(cls, company: Company) -> PeriodSettings:
        return cls(
            company.has_period_text,
            company.period_text_template,
            company.period_advance_factor,
            company.period_advance_unit,
        )


@dataclass(frozen=True)
class OrderDraft:
    """One order of a plan: its date, lines and the totals issuing it now would store."""

    on: dt.date
    lines: tuple[LineData, ...]
    totals: Totals


def _order(
    planned: PlannedOrder,
    lines: Sequence[Line],
    *,
    period: PeriodSettings,
    prices: dict[int, Decimal],
    currency: str,
    memo: TotalsMemo,
) -> OrderDraft:
    order_lines = []
    for item in planned.lines:
        line = lines[item.index]
        covered = line_period(item.on, item.following_on, period.advance_factor, period.advance_unit)
        description = line.description
        if period.is_on:
            description = f"{description} – {period_text(period.template, covered)}"[:300]
        price = line.unit_price
        if line.pricing == Pricing.DYNAMIC and line.product_id in prices:
            price = prices[line.product_id]
        order_lines.append(
            LineData(
                description,
                line.quantity,
                price,
                line.vat_key,
                line.unit,
                line.account_code,
                covered.start,
                covered.end,
            )
        )
    totals = memo.totals(((line.quantity, line.unit_price, line.vat_key) for line in order_lines), currency)
    return OrderDraft(planned.on, tuple(order_lines), totals)


def _dynamic_prices(product_ids: Iterable[int | None]) -> dict[int, Decimal]:
    wanted = {pk for pk in product_ids if pk is not None}
    if not wanted:
        return {}
    return dict(Product.objects.filter(pk__in=wanted).values_list("pk", "unit_price"))


def recurring_preview(
    *,
    company: Company,
    lines: list[dict[str, Any]],
    currency: str | None = None,
    today: dt.date,
    months: int = PREVIEW_MONTHS,
    recurring_invoice: RecurringInvoice | None = None,
) -> list[OrderDraft]:
    """The orders the lines would make from now to `months` ahead (beyond the seed: seen
    before saving). Lines already due are in it too: the next run generates them. Writes
    nothing; refuses what saving would refuse."""
    existing = {line.pk: line for line in recurring_invoice.lines.all()} if recurring_invoice else {}
    until = generated_until(recurring_invoice) if recurring_invoice else None
    cleaned = _clean_lines(company, lines, existing=existing, generated_until=until)
    currency = currency or company.default_currency
    if currency not in CURRENCIES:
        raise DomainError(_("Unknown currency."), field="currency")
    schedule_lines = [_line_of(row) for row in cleaned]
    end = today + relativedelta(months=months) - dt.timedelta(days=1)
    plan = plan_orders([line.schedule for line in schedule_lines], end)
    settings = PeriodSettings.of(company)
    prices = _dynamic_prices(line.product_id for line in schedule_lines if line.pricing == Pricing.DYNAMIC)
    memo = TotalsMemo(round_to_whole=company.is_rounding_to_whole_units)
    return [
        _order(planned, schedule_lines, period=settings, prices=prices, currency=currency, memo=memo)
        for planned in plan.orders
    ]


def _line_of(row: dict[str, Any], vat_key: Callable[[str, Decimal], VatKey] = VatKey) -> Line:
    product = row.get("product")
    return Line(
        description=row["description"],
        quantity=row["quantity"],
        unit=row["unit"],
        unit_price=row["unit_price"],
        vat_key=vat_key(row["vat_category"], row["vat_rate"]),
        account_code=row["account_code"],
        pricing=row["pricing"],
        product_id=product.pk if isinstance(product, Product) else row.get("product_id"),
        schedule=LineSchedule(row["start_on"], row["frequency"], row["factor"], row["next_on"]),
    )


# --- generation ------------------------------------------------------------------------------------------


@dataclass
class GenerationResult:
    orders: int = 0
    recurring_invoices: int = 0
    order_ids: list[int] = field(default_factory=list)


@collector_paused()
def recurring_generate(*, company: Company | None = None, today: dt.date, actor: Any = None) -> GenerationResult:
    """Generate every order due on or before `today`: of one company, or of all (the daily run).

    Each batch of recurring invoices is its own transaction; the batches go in id order, so
    a run ends even when another run holds some of them (those are skipped: that run
    generates them).
    """
    result = GenerationResult()
    after = 0

    def one_batch() -> tuple[list[dict[str, Any]], GenerationResult]:
        # A batch the database aborts (a deadlock) runs again whole (core.db), so it counts
        # into a result of its own, added once it committed.
        counted = GenerationResult()
        if connection.vendor == "postgresql":
            # A batch's orders and its lines' next dates commit together, so a batch lost
            # in a crash just after its commit is generated again by the next run: the
            # commit need not wait for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        batch = _lock_due(company, today, after)
        if batch:
            _generate_batch(batch, today, actor, counted)
        return batch, counted

    while True:
        batch, counted = run_retrying(one_batch)
        if not batch:
            return result
        after = batch[-1]["pk"]
        result.orders += counted.orders
        result.recurring_invoices += counted.recurring_invoices
        result.order_ids += counted.order_ids


def _lock_due(company: Company | None, today: dt.date, after: int) -> list[dict[str, Any]]:
    # The range on both sides lets each batch start its scans at `after`, not at the first row.
    due = RecurringLine.objects.filter(
        recurring_invoice=OuterRef("pk"), recurring_invoice_id__gt=after, next_on__lte=today
    )
    candidates = RecurringInvoice.objects.filter(Exists(due), deleted_at__isnull=True, pk__gt=after)
    if company is not None:
        candidates = candidates.filter(company=company)
    locked = candidates.order_by("pk").select_for_update(skip_locked=True)
    return list(
        locked.values(
            "pk",
            "company_id",
            "customer_id",
            "currency",
            "buyer_reference",
            "note",
            "description",
            "is_issued_automatically",
        )[:GENERATE_BATCH]
    )


def _generate_batch(batch: list[dict[str, Any]], today: dt.date, actor: Any, result: GenerationResult) -> None:
    ri_ids = [ri["pk"] for ri in batch]
    # Read after the lock: a run that committed meanwhile has moved these lines on already.
    rows = (
        RecurringLine.objects.filter(any_of(RecurringLine, ri_ids, "recurring_invoice"), next_on__lte=today)
        .order_by("recurring_invoice_id", "position")
        .values(*LINE_VALUES)
    )
    lines_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        lines_of[row["recurring_invoice_id"]].append(row)
    companies = Company.objects.in_bulk({ri["company_id"] for ri in batch})
    customers = {
        pk: rest
        for pk, *rest in Customer.objects.filter(
            any_of(Customer, sorted({ri["customer_id"] for ri in batch}))
        ).values_list("pk", "language", "payment_terms_days", "cash_discount_percent", "cash_discount_days")
    }
    prices = _dynamic_prices(
        row["product_id"] for rows_of in lines_of.values() for row in rows_of if row["pricing"] == Pricing.DYNAMIC
    )
    settings = {pk: PeriodSettings.of(company) for pk, company in companies.items()}
    memos = {pk: TotalsMemo(round_to_whole=company.is_rounding_to_whole_units) for pk, company in companies.items()}
    now = timezone.now()
    orders: list[tuple[dict[str, Any], OrderDraft]] = []
    moved: list[tuple[int, dt.date]] = []
    for ri in batch:
        rows_of = lines_of.get(ri["pk"])
        if not rows_of:
            continue  # generated by a run that finished while this one waited
        memo = memos[ri["company_id"]]
        lines = [_line_of(row, memo.vat_key) for row in rows_of]
        plan = plan_orders([line.schedule for line in lines], today)
        for planned in plan.orders:
            order = _order(
                planned,
                lines,
                period=settings[ri["company_id"]],
                prices=prices,
                currency=ri["currency"],
                memo=memo,
            )
            orders.append((ri, order))
        moved += [(row["pk"], next_on) for row, next_on in zip(rows_of, plan.next_on, strict=True)]
        result.recurring_invoices += 1
    if not orders:
        return

    specs = []
    for ri, order in orders:
        language, terms, own_percent, own_days = customers[ri["customer_id"]]
        company = companies[ri["company_id"]]
        terms = terms if terms is not None else company.payment_terms_days
        # The customer's or company's cash discount, as a draft made by hand gets it.
        discount_percent, discount_days = default_discount(
            own_percent=own_percent,
            own_days=own_days,
            company_percent=company.cash_discount_percent,
            company_days=company.cash_discount_days,
            terms_days=terms,
        )
        specs.append(
            DraftSpec(
                company_id=ri["company_id"],
                customer_id=ri["customer_id"],
                currency=ri["currency"],
                language=language,
                payment_terms_days=terms,
                cash_discount_percent=discount_percent,
                cash_discount_days=discount_days,
                totals=order.totals,
                lines=order.lines,
                buyer_reference=ri["buyer_reference"],
                note=ri["note"],
                recurring_invoice_id=ri["pk"],
                recurring_on=order.on,
                history={
                    "recurring_invoice": ri["pk"],
                    "recurring_name": ri["description"] or str(ri["pk"]),
                    "recurring_on": order.on.isoformat(),
                },
            )
        )
    order_ids = invoice_drafts_create_many(specs=specs, actor=actor, now=now)
    bulk_update(RecurringLine, ("next_on",), moved)
    result.orders += len(orders)
    result.order_ids += order_ids
    automatic: dict[int, list[int]] = defaultdict(list)
    for (ri, _made), order_id in zip(orders, order_ids, strict=True):
        if ri["is_issued_automatically"]:
            automatic[ri["company_id"]].append(order_id)
    if automatic:
        from fakturera.recurring.tasks import recurring_orders_issue_automatically

        # In the batch's transaction (core.tasks): orders generated are orders to be issued, never lost.
        for company_id, ids in automatic.items():
            enqueue_on_commit(recurring_orders_issue_automatically, company_id, ids, company_id=company_id)


@retrying_atomic
def recurring_orders_issue(*, company: Company, order_ids: Sequence[int], actor: Any = None) -> int:
    """Issue generated orders of recurring invoices that issue automatically, and queue them
    for delivery by each customer's channel, in one transaction (so a run killed half-way did
    neither). Orders issued meanwhile (by staff, or by this run before) are left out; returns
    how many were issued. Without an active channel they are issued all the same, and sent
    from the invoice list once distribution is set up (as an interest invoice is)."""
    try:
        issued = invoices_issue_drafts(company=company, actor=actor, invoice_ids=order_ids)
    except DomainError as refused:
        if refused.code != "nothing_to_issue":
            raise
        return 0
    try:
        invoices_send(company=company, actor=actor, invoice_ids=[out.pk for out in issued], purpose=Purpose.INVOICE)
    except DomainError as refused:
        if refused.code != "no_channel":
            raise
    return len(issued)


# --- notices ----------------------------------------------------------------------------------------------


def recurring_notice_set(*, company: Company, user: Any, kind: str) -> RecurringNotice:
    if kind not in NoticeKind.values:
        raise DomainError(_("Choose one of the notices."), field="kind")
    notice, _created = RecurringNotice.objects.update_or_create(company=company, user=user, defaults={"kind": kind})
    return notice
