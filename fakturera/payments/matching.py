"""Which invoice a bank transaction pays, for a whole file at once (DESIGN.md, "Matching").

In order, the first that finds an open invoice of the payment's currency decides:
1. the structured reference: a Swedish OCR (check digit, and the length digit when the company
   uses it) or an RF creditor reference, with the further references the payer gave;
2. references in the free text: an OCR number, an RF reference, invoice numbers (those after a
   word like "Faktura" first);
3. the amount and the payer: an open invoice of exactly that amount whose customer's name is
   the payer's; only a single such invoice is a match.
Everything else is unmatched, with up to three suggestions and why each is suggested. A
suggestion is never booked. Every step is one query for the whole file, never one per line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

from fakturera.core.bulk import any_of
from fakturera.core.ocr import (
    ReferenceKind,
    compact_reference,
    find_references,
    is_valid_ocr,
    is_valid_rf,
    ocr_has_length_digit,
)
from fakturera.parties.selectors import customer_names
from fakturera.payments.booking import Target
from fakturera.payments.models import Receivable
from fakturera.payments.rules import NameIndex, names_agree
from fakturera.payments.states import OPEN_STATES, MatchMethod

MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Incoming:
    """What matching reads of a transaction (a bank file's line, or a payment registered without
    an invoice)."""

    amount: Decimal
    currency: str
    reference: str = ""
    extra_references: Sequence[tuple[str, Decimal | None]] = ()
    message: str = ""
    payer_name: str = ""


@dataclass
class Match:
    method: str = MatchMethod.NONE
    targets: list[Target] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    customer_id: int | None = None


@dataclass(frozen=True)
class _Found:
    invoice_id: int
    customer_id: int
    number: str
    currency: str
    open_amount: Decimal
    due_on: dt.date
    state: str


_FIELDS = ("invoice_id", "customer_id", "number", "currency", "open_amount", "due_on", "state")


def _ocr(value: str, *, with_length_digit: bool) -> str:
    compact = compact_reference(value)
    if not compact.isdigit() or not is_valid_ocr(compact):
        return ""
    if with_length_digit and not ocr_has_length_digit(compact):
        return ""
    return compact


def _rf_base(value: str) -> str:
    """An RF reference's own part (after RF and its two check digits), as our references are
    written inside one: an OCR number or an invoice number, without leading zeros."""
    compact = compact_reference(value)
    if not is_valid_rf(compact):
        return ""
    return compact[4:].lstrip("0")


@dataclass
class _Wanted:
    """What one transaction's references ask for, strongest first."""

    structured: list[tuple[str, str, Decimal | None]] = field(default_factory=list)  # (kind, value, amount)
    text_ocr: list[str] = field(default_factory=list)
    text_rf: list[str] = field(default_factory=list)
    labelled_numbers: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


class Lookups:
    """What matching reads once for a whole file however many chunks it is matched in: the
    company's customers by the words of their names (for suggestions by the payer alone)."""

    def __init__(self, company_id: int) -> None:
        self.company_id = company_id
        self._names: NameIndex | None = None

    def names(self) -> NameIndex:
        if self._names is None:
            self._names = NameIndex(customer_names(self.company_id, None).items())
        return self._names


def match_transactions(
    *, company_id: int, with_length_digit: bool, incoming: Sequence[Incoming], lookups: Lookups | None = None
) -> list[Match]:
    """One `Match` per transaction, in order. `lookups` carries what one chunk of a file read to
    the next."""
    wanted: list[_Wanted] = []
    references: set[str] = set()
    numbers: set[str] = set()
    for item in incoming:
        w = _Wanted()
        for value, amount in ((item.reference, None), *item.extra_references):
            if not value:
                continue
            if ocr := _ocr(value, with_length_digit=with_length_digit):
                w.structured.append((MatchMethod.OCR, ocr, amount))
                references.add(ocr)
            elif base := _rf_base(value):
                w.structured.append((MatchMethod.RF, base, amount))
                references.add(base)
                numbers.add(base)
        if item.message:
            for found in find_references(item.message):
                if found.kind is ReferenceKind.RF and (base := _rf_base(found.value)):
                    w.text_rf.append(base)
                    references.add(base)
                    numbers.add(base)
                elif found.kind is ReferenceKind.OCR and (
                    ocr := _ocr(found.value, with_length_digit=with_length_digit)
                ):
                    w.text_ocr.append(ocr)
                    references.add(ocr)
                    numbers.add(found.value.lstrip("0"))
                    (w.labelled_numbers if found.labelled else w.numbers).append(found.value.lstrip("0"))
                elif found.kind in (ReferenceKind.INVOICE_NUMBER, ReferenceKind.NUMBER):
                    value = found.value.lstrip("0")
                    if value:
                        numbers.add(value)
                        (w.labelled_numbers if found.labelled else w.numbers).append(value)
        wanted.append(w)

    by_reference = _receivables(company_id, "payment_reference", references)
    by_number = _receivables(company_id, "number", numbers)

    matches: list[Match] = []
    unresolved: list[int] = []
    for index, (item, w) in enumerate(zip(incoming, wanted, strict=True)):
        match = _by_references(item, w, by_reference, by_number)
        matches.append(match)
        if match.method == MatchMethod.NONE:
            unresolved.append(index)
    if unresolved:
        _by_amount_and_payer(
            company_id,
            [incoming[i] for i in unresolved],
            [matches[i] for i in unresolved],
            lookups or Lookups(company_id),
        )
    return matches


def _receivables(company_id: int, column: str, values: set[str]) -> dict[str, list[_Found]]:
    found: dict[str, list[_Found]] = defaultdict(list)
    if not values:
        return found
    rows = Receivable.objects.filter(Q(company_id=company_id) & any_of(Receivable, sorted(values), column))
    for row in rows.values_list(column, *_FIELDS):
        found[row[0]].append(_Found(*row[1:]))
    return found


def _in_currency(candidates: list[_Found], currency: str, skipped: list[_Found]) -> list[_Found]:
    same = [c for c in candidates if c.currency == currency]
    skipped.extend(c for c in candidates if c.currency != currency)
    return same


def _by_references(
    item: Incoming, w: _Wanted, by_reference: dict[str, list[_Found]], by_number: dict[str, list[_Found]]
) -> Match:
    other_currency: list[_Found] = []
    # 1. The structured reference and the further references given with it.
    targets: list[tuple[_Found, Decimal | None]] = []
    method = ""
    for kind, value, amount in w.structured:
        found = by_reference.get(value, [])
        if not found and kind == MatchMethod.RF:
            found = by_number.get(value, [])
        for candidate in _in_currency(found, item.currency, other_currency)[:1]:
            if all(candidate.invoice_id != t.invoice_id for t, _a in targets):
                targets.append((candidate, amount))
                method = method or kind
    if targets:
        return _match(method, targets, {"reference": item.reference, "where": "reference"})
    # 2. The free text: OCR and RF references, then invoice numbers, labelled ones first.
    for kind, values, lookup in (
        (MatchMethod.OCR, w.text_ocr, by_reference),
        (MatchMethod.RF, w.text_rf, by_reference),
        (MatchMethod.INVOICE_NUMBER, w.labelled_numbers, by_number),
        (MatchMethod.INVOICE_NUMBER, w.numbers, by_number),
    ):
        found_here: list[tuple[_Found, Decimal | None]] = []
        for value in values:
            for candidate in _in_currency(lookup.get(value, []), item.currency, other_currency)[:1]:
                if all(candidate.invoice_id != t.invoice_id for t, _a in found_here):
                    found_here.append((candidate, None))
        if found_here:
            # Several invoices named in one message: paid oldest due first, the last takes the rest.
            found_here.sort(key=lambda pair: (pair[0].due_on, pair[0].invoice_id))
            return _match(kind, found_here, {"where": "message"})
    match = Match()
    if other_currency:
        match.details["suggestions"] = [_suggestion(c, ["currency"]) for c in other_currency[:MAX_SUGGESTIONS]]
    if w.structured or w.text_ocr or w.text_rf:
        match.details["reference_unknown"] = True
    return match


def _match(method: str, targets: list[tuple[_Found, Decimal | None]], details: dict[str, Any]) -> Match:
    details["invoices"] = [found.number for found, _amount in targets]
    return Match(
        method=method,
        targets=[Target(found.invoice_id, amount) for found, amount in targets],
        details=details,
        customer_id=targets[0][0].customer_id,
    )


def _suggestion(found: _Found, why: list[str]) -> dict[str, Any]:
    return {
        "invoice_id": found.invoice_id,
        "number": found.number,
        "customer_id": found.customer_id,
        "open_amount": str(found.open_amount),
        "currency": found.currency,
        "due_on": found.due_on.isoformat(),
        "why": why,
    }


def _by_amount_and_payer(company_id: int, items: list[Incoming], matches: list[Match], lookups: Lookups) -> None:
    """3. Amount and payer; else suggestions: same amount, the payer's open invoices."""
    amounts = sorted({item.amount for item in items})
    rows = Receivable.objects.filter(
        Q(company_id=company_id, state__in=OPEN_STATES) & any_of(Receivable, amounts, "open_amount")
    ).values_list(*_FIELDS)
    by_amount: dict[tuple[Decimal, str], list[_Found]] = defaultdict(list)
    for row in rows:
        found = _Found(*row)
        by_amount[(found.open_amount, found.currency)].append(found)
    names = customer_names(company_id, {f.customer_id for group in by_amount.values() for f in group})

    for item, match in zip(items, matches, strict=True):
        same_amount = sorted(by_amount.get((item.amount, item.currency), []), key=lambda f: (f.due_on, f.invoice_id))
        by_payer = [
            f for f in same_amount if item.payer_name and names_agree(item.payer_name, names.get(f.customer_id, ""))
        ]
        if len(by_payer) == 1:
            found = by_payer[0]
            match.method = MatchMethod.AMOUNT_PAYER
            match.targets = [Target(found.invoice_id)]
            match.customer_id = found.customer_id
            match.details.update(invoices=[found.number], payer=item.payer_name, amount=str(item.amount))
            match.details.pop("suggestions", None)
            continue
        suggestions = list(match.details.get("suggestions", []))
        for found in by_payer or same_amount:
            why = ["amount", "payer"] if found in by_payer else ["amount"]
            suggestions.append(_suggestion(found, why))
        match.details["suggestions"] = suggestions[:MAX_SUGGESTIONS]
    _payer_suggestions(company_id, items, matches, lookups)


def _payer_suggestions(
    company_id: int,
    items: list[Incoming],
    matches: list[Match],
    lookups: Lookups,
) -> None:
    """Suggestions by the payer's name alone: that customer's oldest open invoices, for the
    payments the amount did not suggest enough for. The customers are read once per file."""
    wanting = [
        (item, match)
        for item, match in zip(items, matches, strict=True)
        if match.method == MatchMethod.NONE
        and item.payer_name
        and len(match.details.get("suggestions", [])) < MAX_SUGGESTIONS
    ]
    if not wanting:
        return
    everyone = lookups.names()
    payer_customers = {payer: everyone.agreeing(payer, limit=20) for payer in {item.payer_name for item, _m in wanting}}
    customer_ids = {pk for ids in payer_customers.values() for pk in ids}
    if not customer_ids:
        return
    open_by_customer: dict[int, list[_Found]] = defaultdict(list)
    rows = (
        Receivable.objects.filter(
            Q(company_id=company_id, state__in=OPEN_STATES) & any_of(Receivable, sorted(customer_ids), "customer_id")
        )
        .order_by("due_on", "invoice_id")
        .values_list(*_FIELDS)
    )
    for row in rows:
        open_by_customer[row[1]].append(_Found(*row))
    for item, match in wanting:
        suggestions = list(match.details.get("suggestions", []))
        seen = {s["invoice_id"] for s in suggestions}
        for customer_id in payer_customers.get(item.payer_name, []):
            for found in open_by_customer.get(customer_id, []):
                if found.invoice_id not in seen and found.currency == item.currency:
                    suggestions.append(_suggestion(found, ["payer"]))
                    seen.add(found.invoice_id)
        if suggestions:
            match.details["suggestions"] = suggestions[:MAX_SUGGESTIONS]
