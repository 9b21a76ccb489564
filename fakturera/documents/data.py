"""What a document shows, read once from the stored invoice: the input of the PDF
and UBL builders, which are pure functions of it.

Everything comes from the figures and snapshots stored at issue; nothing is
recomputed, so the PDF, the UBL and every export agree to the öre.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import translation

from fakturera.catalog.vat import EXEMPTION_REASONS
from fakturera.core.payment_facts import payment_facts
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.rules import cash_discount
from fakturera.invoicing.states import InvoiceKind


@dataclass(frozen=True)
class Party:
    """Seller or buyer as stored on the invoice at issue (Invoice.seller / Invoice.buyer)."""

    name: str
    org_number: str = ""
    vat_number: str = ""
    peppol_id: str = ""  # "0007:5567321707"
    gln: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "SE"
    kind: str = "organisation"  # buyer: "person" or "organisation"
    reference_name: str = ""  # buyer: the organisation's invoice reference person
    customer_number: int | None = None
    # Seller only.
    is_f_tax_approved: bool = False
    bankgiro: str = ""
    iban: str = ""
    bic: str = ""
    logo: str = ""  # path in the media storage
    brand_colour: str = "#1f4e79"

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> Party:
        known = {name for name in cls.__dataclass_fields__}
        data = {key: value for key, value in snapshot.items() if key in known and value is not None}
        if "number" in snapshot:
            data["customer_number"] = snapshot["number"]
        return cls(**data)


@dataclass(frozen=True)
class Line:
    position: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net_amount: Decimal
    vat_category: str
    vat_rate: Decimal
    period_start: dt.date | None = None
    period_end: dt.date | None = None


@dataclass(frozen=True)
class VatBreakdown:
    vat_category: str
    vat_rate: Decimal
    taxable_amount: Decimal
    vat_amount: Decimal
    exemption_code: str = ""  # VATEX code (BT-121)
    exemption_reason: str = ""  # text (BT-120), in the document's language


@dataclass(frozen=True)
class DocumentData:
    kind: str  # "invoice" or "credit_note"
    number: str
    issued_on: dt.date
    due_on: dt.date | None
    currency: str
    language: str
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat: tuple[VatBreakdown, ...]
    net_amount: Decimal
    vat_amount: Decimal
    rounding_amount: Decimal
    total_amount: Decimal
    payment_reference: str = ""
    payment_terms_days: int = 30
    # The early-payment cash discount (seed 004), as invoicing.rules.cash_discount gives it
    # from the stored total: the percent, the last day and what to pay until then.
    cash_discount_percent: Decimal = Decimal("0")
    cash_discount_until: dt.date | None = None
    cash_discount_amount: Decimal | None = None
    cash_discount_payable_amount: Decimal | None = None
    # Paid from the customer's credit balance before the document was made (BT-113): what is
    # left to pay is the total less it (core.payment_facts, answered by payments).
    prepaid_amount: Decimal = Decimal("0.00")
    buyer_reference: str = ""
    order_reference: str = ""
    seller_reference: str = ""
    note: str = ""
    credit_reason: str = ""
    credited_number: str = ""
    credited_issued_on: dt.date | None = None
    # Who the paper is addressed to (the window envelope's address): the buyer, or the
    # organisation a person's invoice goes to (parties.recipients, stored at issue).
    addressee: Party | None = None
    # A Swedish seller's document in another currency with VAT: the rate fixed at issue (SEK per
    # unit, its date) and the VAT in SEK it gave (ML 17 kap. 29 §; BT-6 and BT-111 in UBL).
    exchange_rate: Decimal | None = None
    exchange_rate_on: dt.date | None = None
    sek_vat_amount: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def address_block(self) -> Party:
        return self.addressee or self.buyer

    @property
    def payable_amount(self) -> Decimal:
        return self.total_amount - self.prepaid_amount

    @property
    def is_settled(self) -> bool:
        """Nothing to pay: the credit balance covered it (not sent as a demand to pay)."""
        return not self.is_credit_note and self.prepaid_amount > 0 and self.payable_amount <= 0

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        """The invoice period (BG-14): from the earliest line start to the latest line end."""
        starts = [line.period_start for line in self.lines if line.period_start]
        ends = [line.period_end for line in self.lines if line.period_end]
        return (min(starts), max(ends)) if starts and ends else None


def document_data(invoice: Invoice, *, prepaid_amount: Decimal | None = None) -> DocumentData:
    """Read one issued invoice (lines and VAT prefetched if you have many; `prepaid_amount` from
    `prepaid_amounts` of them all, or asked here)."""
    if invoice.number is None:
        raise ValueError("Only issued invoices have documents")
    if prepaid_amount is None:
        prepaid_amount = prepaid_amounts([invoice]).get(invoice.pk, Decimal("0.00"))
    credited = invoice.credited_invoice
    with translation.override(invoice.language):
        vat = tuple(
            VatBreakdown(
                vat_category=row.vat_category,
                vat_rate=row.vat_rate,
                taxable_amount=row.taxable_amount,
                vat_amount=row.vat_amount,
                exemption_code=EXEMPTION_REASONS.get(row.vat_category, ("", ""))[0],
                exemption_reason=str(EXEMPTION_REASONS.get(row.vat_category, ("", ""))[1]),
            )
            for row in invoice.vat_breakdown.all()
        )
    discount = (
        cash_discount(
            total_amount=invoice.total_amount,
            vat_rows=[(row.vat_category, row.vat_rate, row.taxable_amount, row.vat_amount) for row in vat],
            currency=invoice.currency,
            percent=invoice.cash_discount_percent,
            until=invoice.cash_discount_until,
        )
        # Payments grants the discount only on a payment of the whole invoice: none once the
        # credit balance paid part of it.
        if invoice.kind == InvoiceKind.INVOICE and invoice.cash_discount_until is not None and not prepaid_amount
        else None
    )
    return DocumentData(
        kind=invoice.kind,
        number=invoice.display_number,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        currency=invoice.currency,
        language=invoice.language,
        seller=Party.from_snapshot(invoice.seller),
        buyer=Party.from_snapshot(invoice.buyer),
        lines=tuple(
            Line(
                position=line.position,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                period_start=line.period_start,
                period_end=line.period_end,
            )
            for line in invoice.lines.all()
        ),
        vat=vat,
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        rounding_amount=invoice.rounding_amount,
        total_amount=invoice.total_amount,
        payment_reference=invoice.payment_reference,
        payment_terms_days=invoice.payment_terms_days,
        cash_discount_percent=discount.percent if discount else Decimal("0"),
        cash_discount_until=discount.until if discount else None,
        cash_discount_amount=discount.discount_amount if discount else None,
        cash_discount_payable_amount=discount.payable_amount if discount else None,
        prepaid_amount=prepaid_amount,
        buyer_reference=invoice.buyer_reference,
        order_reference=invoice.order_reference,
        seller_reference=invoice.seller_reference,
        note=invoice.note,
        credit_reason=invoice.credit_reason,
        credited_number=credited.display_number if credited else "",
        credited_issued_on=credited.issued_on if credited else None,
        addressee=addressee(invoice.buyer),
        exchange_rate=invoice.exchange_rate,
        exchange_rate_on=invoice.exchange_rate_on,
        sek_vat_amount=invoice.sek_vat_amount,
    )


def prepaid_amounts(invoices: Iterable[Invoice]) -> dict[int, Decimal]:
    """What the customers' credit balances paid of each invoice, at most its total (credit
    notes: nothing), in one question to core.payment_facts."""
    totals = {invoice.pk: invoice.total_amount for invoice in invoices if invoice.kind == InvoiceKind.INVOICE}
    facts = payment_facts(totals)
    return {pk: min(fact.prepaid_amount, totals[pk]) for pk, fact in facts.items() if fact.prepaid_amount > 0}


def addressee(buyer: dict[str, Any]) -> Party | None:
    """The address block stored at issue (the buyer snapshot's "recipient"); None for an
    invoice issued before it was stored, whose paper is addressed to the buyer."""
    recipient = buyer.get("recipient")
    if not recipient:
        return None
    return Party(
        name=recipient.get("name", ""),
        reference_name=recipient.get("attention", ""),
        address_line1=recipient.get("address_line1", ""),
        address_line2=recipient.get("address_line2", ""),
        postal_code=recipient.get("postal_code", ""),
        city=recipient.get("city", ""),
        country=recipient.get("country") or buyer.get("country") or "SE",
        email=recipient.get("email", ""),
    )
