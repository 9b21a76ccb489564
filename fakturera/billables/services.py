"""Billable sources -> invoice basis.

Bookings and journal notes keep their basis item in step as they change (seed
001): a booking marked "not paid" is in the basis, paying it another way takes it
out; a journal note is billable unless its contact type is excluded. Only the
company's chosen source feeds the basis. An item that was invoiced is never
touched again; one that staff removed never comes back by itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fakturera.billables.models import (
    BasisItem,
    BasisItemStatus,
    BasisSourceKind,
    Booking,
    JournalNote,
    PaymentStatus,
    RemovedBecause,
)
from fakturera.catalog.models import ContactType, TreatmentType
from fakturera.catalog.vat import STANDARD_RATES, VatCategory, check_vat_conditions, clean_vat, vat_facts
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict
from fakturera.core.money import CURRENCIES, clean_quantity, clean_unit_price
from fakturera.core.text import check_texts
from fakturera.parties.models import BasisSource, Company, Customer

# Sources that come and go by themselves; staff removals stay removed.
REOPENABLE = (RemovedBecause.PAID, RemovedBecause.BASIS_SOURCE, RemovedBecause.EXCLUDED)


def _same_company(company: Company, **objects: Any) -> None:
    for field, obj in objects.items():
        if obj is not None and obj.company_id != company.pk:
            raise DomainError(_("This belongs to another company."), field=field)


# --- bookings and journal notes ---------------------------------------------------------------------


def _booking_values(booking: Booking, company: Company) -> dict[str, Any]:
    treatment = booking.treatment_type
    local = timezone.localtime(booking.starts_at)
    return {
        "customer_id": booking.customer_id,
        "description": f"{treatment.name} {local:%Y-%m-%d %H:%M}",
        "occurred_on": local.date(),
        "quantity": Decimal("1"),
        "unit": "st",
        "unit_price": treatment.unit_price,
        "vat_category": treatment.vat_category,
        "vat_rate": treatment.vat_rate,
        "account_code": treatment.account_code,
        "currency": company.default_currency,
    }


def _note_values(note: JournalNote, company: Company) -> dict[str, Any]:
    contact = note.contact_type
    return {
        "customer_id": note.customer_id,
        "description": f"{contact.name} {note.noted_on:%Y-%m-%d}",
        "occurred_on": note.noted_on,
        "quantity": Decimal("1"),
        "unit": "st",
        "unit_price": contact.unit_price,
        "vat_category": contact.vat_category,
        "vat_rate": contact.vat_rate,
        "account_code": contact.account_code,
        "currency": company.default_currency,
    }


@dataclass(frozen=True)
class _Source:
    """How one kind of billable row feeds the basis (seed 001)."""

    kind: str
    link: str  # the BasisItem field that points at the row
    basis_source: str | None  # the company setting under which it counts; None: whatever the setting
    editable: frozenset[str]
    priced: tuple[str, ...]  # fields whose change reprices the item
    values: Callable[[Any, Company], dict[str, Any]]
    is_billable_row: Callable[[Any], bool]  # apart from the company's basis source
    removed_because: str  # why a row of the right source is out of the basis
    invoiced_message: str

    def counts_for(self, company: Company) -> bool:
        return self.basis_source is None or company.basis_source == self.basis_source

    def is_billable(self, row: Any, company: Company) -> bool:
        return self.counts_for(company) and self.is_billable_row(row)

    def why_removed(self, company: Company) -> str:
        return self.removed_because if self.counts_for(company) else RemovedBecause.BASIS_SOURCE


# The public name other apps use to describe their own source (courses/services.py).
BasisSourceSpec = _Source


BOOKINGS = _Source(
    kind=BasisSourceKind.BOOKING,
    link="booking",
    basis_source=BasisSource.BOOKINGS,
    editable=frozenset({"customer", "treatment_type", "starts_at", "payment_status", "note"}),
    priced=("customer", "treatment_type", "starts_at"),
    values=_booking_values,
    is_billable_row=lambda booking: booking.payment_status == PaymentStatus.NOT_PAID,
    removed_because=RemovedBecause.PAID,
    invoiced_message=gettext_noop("This booking is already invoiced; credit the invoice to change what was billed."),
)
JOURNAL_NOTES = _Source(
    kind=BasisSourceKind.JOURNAL_NOTE,
    link="journal_note",
    basis_source=BasisSource.JOURNAL_NOTES,
    editable=frozenset({"customer", "contact_type", "noted_on", "text"}),
    priced=("customer", "contact_type", "noted_on"),
    values=_note_values,
    is_billable_row=lambda note: not note.contact_type.is_excluded_from_invoicing,
    removed_because=RemovedBecause.EXCLUDED,
    invoiced_message=gettext_noop(
        "This journal note is already invoiced; credit the invoice to change what was billed."
    ),
)


def _source_created(source: _Source, row: Any, company: Company, actor: Any) -> None:
    _sync_item(company=company, source=source, row=row, refresh=False, actor=actor)


def basis_item_sync(*, source: BasisSourceSpec, row: Any, actor: Any = None, refresh: bool = True) -> BasisItem | None:
    """Bring another app's billable row's basis item in line with it (courses). Must run in the
    caller's transaction; an invoiced item is returned untouched, so the caller can refuse or credit."""
    return _sync_item(company=row.company, source=source, row=row, refresh=refresh, actor=actor)


@transaction.atomic
def _source_update(source: _Source, row: Any, actor: Any, fields: dict[str, Any]) -> Any:
    unknown = set(fields) - source.editable
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    check_texts(fields, multiline={"text"})
    company = row.company
    _same_company(company, **{name: value for name, value in fields.items() if hasattr(value, "company_id")})
    priced_change = any(name in fields and fields[name] != getattr(row, name) for name in source.priced)
    item = BasisItem.objects.select_for_update().filter(**{source.link: row}).first()
    if item is not None and item.status == BasisItemStatus.INVOICED and priced_change:
        raise StateConflict(_(source.invoiced_message))
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    _sync_item(company=company, source=source, row=row, refresh=priced_change, actor=actor, item=item)
    return row


@transaction.atomic
def booking_create(
    *,
    company: Company,
    customer: Customer,
    treatment_type: TreatmentType,
    starts_at: dt.datetime,
    payment_status: str = PaymentStatus.NOT_PAID,
    note: str = "",
    actor: Any = None,
) -> Booking:
    _same_company(company, customer=customer, treatment_type=treatment_type)
    check_texts({"note": note})
    if payment_status not in PaymentStatus.values:
        raise DomainError(_("Unknown payment status."), field="payment_status")
    booking = Booking.objects.create(
        company=company,
        customer=customer,
        treatment_type=treatment_type,
        starts_at=starts_at,
        payment_status=payment_status,
        note=note,
    )
    _source_created(BOOKINGS, booking, company, actor)
    return booking


def booking_update(*, booking: Booking, actor: Any = None, **fields: Any) -> Booking:
    if fields.get("payment_status", booking.payment_status) not in PaymentStatus.values:
        raise DomainError(_("Unknown payment status."), field="payment_status")
    return _source_update(BOOKINGS, booking, actor, fields)


def booking_set_payment_status(*, booking: Booking, payment_status: str, actor: Any = None) -> Booking:
    return booking_update(booking=booking, payment_status=payment_status, actor=actor)


@transaction.atomic
def journal_note_create(
    *,
    company: Company,
    customer: Customer,
    contact_type: ContactType,
    noted_on: dt.date,
    text: str = "",
    actor: Any = None,
) -> JournalNote:
    _same_company(company, customer=customer, contact_type=contact_type)
    check_texts({"text": text}, multiline={"text"})
    note = JournalNote.objects.create(
        company=company, customer=customer, contact_type=contact_type, noted_on=noted_on, text=text
    )
    _source_created(JOURNAL_NOTES, note, company, actor)
    return note


def journal_note_update(*, note: JournalNote, actor: Any = None, **fields: Any) -> JournalNote:
    return _source_update(JOURNAL_NOTES, note, actor, fields)


def _sync_item(
    *,
    company: Company,
    source: _Source,
    row: Any,
    refresh: bool,
    actor: Any,
    item: BasisItem | None = None,
) -> BasisItem | None:
    """Bring one source row's basis item in line with whether the row is billable."""
    link = {source.link: row}
    billable = source.is_billable(row, company)
    removed_because = source.why_removed(company)
    values = source.values(row, company)
    if item is None:
        item = BasisItem.objects.select_for_update().filter(**link).first()
    if item is None:
        if not billable:
            return None
        return BasisItem.objects.create(company=company, source=source.kind, created_by=actor, **link, **values)
    if item.status == BasisItemStatus.INVOICED:
        return item
    if item.status == BasisItemStatus.OPEN and not billable:
        item.status, item.removed_because = BasisItemStatus.REMOVED, removed_because
        item.save(update_fields=["status", "removed_because"])
    elif item.status == BasisItemStatus.REMOVED and billable and item.removed_because in REOPENABLE:
        item.status, item.removed_because = BasisItemStatus.OPEN, ""
        for name, value in values.items():
            setattr(item, name, value)
        item.save()
    elif item.status == BasisItemStatus.OPEN and refresh:
        for name, value in values.items():
            setattr(item, name, value)
        item.save()
    return item


@transaction.atomic
def basis_source_set(*, company: Company, source: str, actor: Any = None) -> None:
    """Switch the company's basis between bookings and journal notes (seed 001).

    Open items of the other source leave the basis (kept, marked why); the chosen
    source's billable rows enter it, reopening items that left for this reason.
    """
    if source not in BasisSource.values:
        raise DomainError(_("The basis is made from bookings or from journal notes."), field="basis_source")
    company.basis_source = source
    company.save(update_fields=["basis_source"])
    other = BasisSourceKind.JOURNAL_NOTE if source == BasisSource.BOOKINGS else BasisSourceKind.BOOKING
    BasisItem.objects.filter(company=company, source=other, status=BasisItemStatus.OPEN).update(
        status=BasisItemStatus.REMOVED, removed_because=RemovedBecause.BASIS_SOURCE
    )
    if source == BasisSource.BOOKINGS:
        spec = BOOKINGS
        rows = Booking.objects.filter(company=company, payment_status=PaymentStatus.NOT_PAID).select_related(
            "treatment_type", "basis_item"
        )
    else:
        spec = JOURNAL_NOTES
        rows = JournalNote.objects.filter(
            company=company, contact_type__is_excluded_from_invoicing=False
        ).select_related("contact_type", "basis_item")
    new_items, reopened = [], []
    for row in rows:
        item = getattr(row, "basis_item", None)
        if item is None:
            new_items.append(
                BasisItem(
                    company=company, source=spec.kind, created_by=actor, **{spec.link: row}, **spec.values(row, company)
                )
            )
        elif item.status == BasisItemStatus.REMOVED and item.removed_because == RemovedBecause.BASIS_SOURCE:
            reopened.append(item.pk)
    BasisItem.objects.bulk_create(new_items, batch_size=1000)
    BasisItem.objects.filter(pk__in=reopened).update(status=BasisItemStatus.OPEN, removed_because="")


def journal_notes_exclusion_sync(*, company: Company, contact_type_id: int, is_excluded: bool) -> int:
    """Keep the basis in step with a contact type's exclusion from invoicing (seed 001), in the
    caller's transaction, a few statements whatever the number of notes. Returns how many items
    left the basis (excluded) or came back (included again).

    Excluded: the open items of its notes leave the basis, marked why (kept, not deleted).
    Included again: the items that left for that reason come back, priced from their notes as
    any reopened item is, and notes written while it was excluded enter the basis, as when the
    basis source is switched (REOPENABLE: items that left by themselves come back when the
    reason goes away). Items staff removed stay removed; invoiced ones are never touched.
    While the company's basis is its bookings, nothing enters: the items wait, marked as of
    the other source, for a switch to journal notes to bring them in."""
    items = BasisItem.objects.filter(
        company=company, source=BasisSourceKind.JOURNAL_NOTE, journal_note__contact_type_id=contact_type_id
    )
    if is_excluded:
        return items.filter(status=BasisItemStatus.OPEN).update(
            status=BasisItemStatus.REMOVED, removed_because=RemovedBecause.EXCLUDED
        )
    left = items.filter(status=BasisItemStatus.REMOVED, removed_because=RemovedBecause.EXCLUDED)
    if not JOURNAL_NOTES.counts_for(company):
        left.update(removed_because=RemovedBecause.BASIS_SOURCE)
        return 0
    notes = (
        JournalNote.objects.filter(company=company, contact_type_id=contact_type_id)
        .filter(
            Q(basis_item__isnull=True)
            | Q(basis_item__status=BasisItemStatus.REMOVED, basis_item__removed_because=RemovedBecause.EXCLUDED)
        )
        .select_related("contact_type", "basis_item")
    )
    new_items, reopened = [], []
    for note in notes:
        values = JOURNAL_NOTES.values(note, company)
        item = getattr(note, "basis_item", None)
        if item is None:
            new_items.append(BasisItem(company=company, source=JOURNAL_NOTES.kind, journal_note=note, **values))
            continue
        item.status, item.removed_because = BasisItemStatus.OPEN, ""
        for name, value in values.items():
            setattr(item, name, value)
        reopened.append(item)
    BasisItem.objects.bulk_create(new_items, batch_size=1000)
    BasisItem.objects.bulk_update(reopened, ["status", "removed_because", *REPRICED], batch_size=1000)
    return len(new_items) + len(reopened)


# What a reopened item takes again from its source row (the keys of _booking_values, _note_values).
REPRICED = (
    "customer_id", "description", "occurred_on", "quantity", "unit", "unit_price", "vat_category", "vat_rate",
    "account_code", "currency",
)  # fmt: skip


# --- manual lines and edits in the basis tab ---------------------------------------------------


def _customer_basis_currency(customer: Customer, *, exclude: int | None = None) -> str | None:
    qs = BasisItem.objects.filter(customer=customer, status=BasisItemStatus.OPEN)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.values_list("currency", flat=True).first()


def _clean_item_fields(company: Company, data: dict[str, Any], customer: Customer | None = None) -> dict[str, Any]:
    errors = ErrorCollector()
    with errors.check():
        check_texts(data)
    if "description" in data:
        data["description"] = (data["description"] or "").strip()
        if not data["description"]:
            errors.add("description", _("Describe what is billed."))
    if "quantity" in data:
        with errors.check():
            data["quantity"] = clean_quantity(data["quantity"])
    if "unit_price" in data:
        with errors.check():
            data["unit_price"] = clean_unit_price(data["unit_price"])
    if "vat_category" in data or "vat_rate" in data:
        with errors.check():
            key = clean_vat(data.get("vat_category", ""), data.get("vat_rate"), country=company.country)
            data["vat_category"], data["vat_rate"] = key.category, key.rate
            if customer is not None:
                # What the line's category needs of the company and the customer (VAT numbers,
                # countries), said now rather than when the basis is registered.
                check_vat_conditions(
                    [(data.get("description", ""), key.category)],
                    seller=vat_facts(company),
                    buyer=vat_facts(customer),
                    prefix=None,
                )
    if "currency" in data and data["currency"] not in CURRENCIES:
        errors.add(
            "currency", _("“%(c)s” is not a currency we invoice in (SEK, DKK, NOK, EUR).") % {"c": data["currency"]}
        )
    if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
        errors.add("period_end", _("The period ends before it starts."))
    errors.raise_if_any()
    return data


MANUAL_FIELDS = {
    "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate", "account_code",
    "occurred_on", "currency", "period_start", "period_end",
}  # fmt: skip


@transaction.atomic
def basis_item_add(*, company: Company, customer: Customer, actor: Any = None, **fields: Any) -> BasisItem:
    """A manual line in a customer's basis."""
    _same_company(company, customer=customer)
    if set(fields) - MANUAL_FIELDS:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(set(fields) - MANUAL_FIELDS))})
    data = {"currency": company.default_currency, "occurred_on": timezone.localdate(), "unit": "st", **fields}
    if "vat_category" not in data:
        # Unspecified VAT means the country's general rate, as on any Swedish price list.
        data["vat_category"] = VatCategory.STANDARD
        data.setdefault("vat_rate", STANDARD_RATES[company.country][0])
    data = _clean_item_fields(company, data, customer)
    _check_currency(customer, data["currency"])
    return BasisItem.objects.create(
        company=company, customer=customer, source=BasisSourceKind.MANUAL, created_by=actor, **data
    )


def _check_currency(customer: Customer, currency: str, *, exclude: int | None = None) -> None:
    existing = _customer_basis_currency(customer, exclude=exclude)
    if existing and existing != currency:
        raise DomainError(
            _("%(customer)s's basis is in %(existing)s; a line in %(currency)s cannot be invoiced with it.")
            % {"customer": customer.name, "existing": existing, "currency": currency},
            field="currency",
            code="currency_mismatch",
        )


@transaction.atomic
def basis_item_update(*, item: BasisItem, **fields: Any) -> BasisItem:
    if set(fields) - MANUAL_FIELDS:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(set(fields) - MANUAL_FIELDS))})
    locked = BasisItem.objects.select_for_update().get(pk=item.pk)
    if locked.status != BasisItemStatus.OPEN:
        raise StateConflict(
            _("Only items still in the basis can be changed; this one is %(s)s.")
            % {"s": BasisItemStatus(locked.status).label}
        )
    if "vat_category" in fields or "vat_rate" in fields:
        fields = {"vat_category": locked.vat_category, "vat_rate": locked.vat_rate, **fields}
    data = _clean_item_fields(item.company, {"description": locked.description, **fields}, locked.customer)
    if "currency" in data:
        _check_currency(locked.customer, data["currency"], exclude=locked.pk)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@transaction.atomic
def basis_item_remove(*, item: BasisItem) -> None:
    updated = BasisItem.objects.filter(pk=item.pk, status=BasisItemStatus.OPEN).update(
        status=BasisItemStatus.REMOVED, removed_because=RemovedBecause.STAFF
    )
    if updated != 1:
        raise StateConflict(_("This item is no longer in the basis."))


# --- what invoicing takes from the basis --------------------------------------------------------


# What registering reads of each claimed item: everything an invoice line copies.
CLAIMED_FIELDS = (
    "pk", "customer_id", "description", "quantity", "unit", "unit_price", "vat_category", "vat_rate",
    "account_code", "currency", "period_start", "period_end", "buyer_reference",
)  # fmt: skip


def basis_items_claim(*, company: Company, customer_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Lock the open items to be invoiced, in the order they become invoice lines.

    On PostgreSQL a second registration of the same items waits here, then sees
    them as invoiced (the status is re-checked after the lock), so each item is
    invoiced exactly once. Must run inside the registering transaction. Rows are
    dicts of CLAIMED_FIELDS, not model objects: a month's basis is tens of
    thousands of items, and building objects for them cost more than reading them.
    """
    qs = BasisItem.objects.select_for_update().filter(company=company, status=BasisItemStatus.OPEN)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    return list(qs.order_by("customer_id", "buyer_reference", "occurred_on", "pk").values(*CLAIMED_FIELDS))


def basis_items_mark_invoiced(*, item_ids: list[int], at: dt.datetime) -> None:
    """Mark the claimed items invoiced; all of them, or raise (and the caller's transaction rolls back)."""
    open_items = BasisItem.objects.filter(status=BasisItemStatus.OPEN)
    if connection.vendor == "postgresql":
        # One array parameter: thousands of IN placeholders cost more to build and parse than the update.
        batches = [open_items.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (item_ids,)))]
    else:
        batches = [open_items.filter(pk__in=item_ids[start : start + 5000]) for start in range(0, len(item_ids), 5000)]
    updated = sum(batch.update(status=BasisItemStatus.INVOICED, invoiced_at=at) for batch in batches)
    if updated != len(item_ids):
        raise StateConflict(
            _("Some of these items were invoiced by someone else at the same moment; nothing was registered.")
        )


# --- what crediting gives back to the basis -----------------------------------------------------

# Returned items copy these of the credited one; the price is what was billed (staff may have edited it).
RETURNED_FIELDS = (
    "customer_id", "source", "booking_id", "journal_note_id", "description", "buyer_reference", "occurred_on",
    "quantity", "unit", "unit_price", "vat_category", "vat_rate", "account_code", "currency", "period_start",
    "period_end",
)  # fmt: skip
# Course registrations and tailored-course customers follow their registration in the courses
# app (cancelled, processed again); only these come back with a credit.
RETURNABLE = (BasisSourceKind.BOOKING, BasisSourceKind.JOURNAL_NOTE, BasisSourceKind.MANUAL)


def basis_items_return(*, company: Company, item_ids: list[int], actor: Any = None) -> list[int]:
    """Credited items back in the basis (seed 001: a credited booking or journal note can be
    billed again). Runs in the crediting transaction (invoicing.credit_note_create), a few
    statements whatever the count; returns the new items' ids.

    An invoiced item keeps its unique link to the line that billed it, so it is not reopened:
    it becomes `credited`, lets go of its booking or note, and a new item copying it (price as
    billed, `returned_from` it) takes its place and its source row. The new item is open when
    its row is billable now (a booking still "not paid", a note of a type not excluded, of the
    company's basis source; a manual line always), else removed with the reason, to come back
    when the reason goes away; the booking's or note's state follows its item. Items of course
    sources, and items not invoiced, are left as they are.
    """
    items = list(
        BasisItem.objects.select_for_update(of=("self",))
        .filter(company=company, pk__in=item_ids, status=BasisItemStatus.INVOICED, source__in=RETURNABLE)
        .select_related("booking", "journal_note__contact_type")
        .order_by("pk")
    )
    if not items:
        return []
    # The old items let go of their rows first: a booking or note has one item (one-to-one).
    BasisItem.objects.filter(pk__in=[item.pk for item in items]).update(
        status=BasisItemStatus.CREDITED, booking=None, journal_note=None
    )
    specs = {
        BasisSourceKind.BOOKING: (BOOKINGS, "booking"),
        BasisSourceKind.JOURNAL_NOTE: (JOURNAL_NOTES, "journal_note"),
    }
    returned = []
    for item in items:
        status, because = BasisItemStatus.OPEN, ""
        if item.source in specs:
            spec, link = specs[item.source]
            if not spec.is_billable(getattr(item, link), company):
                status, because = BasisItemStatus.REMOVED, spec.why_removed(company)
        returned.append(
            BasisItem(
                company=company,
                status=status,
                removed_because=because,
                returned_from_id=item.pk,
                created_by=actor,
                **{name: getattr(item, name) for name in RETURNED_FIELDS},
            )
        )
    return [item.pk for item in BasisItem.objects.bulk_create(returned, batch_size=1000)]
