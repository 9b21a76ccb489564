"""A sample reminder letter, for the tests and for a preview of a policy level's text
before any invoice is overdue (`sample_reminder(company=..., text=...)`): the company's own
letterhead over made-up invoices. It reads nothing from the database but the company given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from fakturera.core.money import round_money
from fakturera.core.ocr import ocr_reference
from fakturera.documents.data import Party
from fakturera.documents.reminders import Reminder, ReminderFee, ReminderInterest, ReminderInvoice
from fakturera.invoicing.models import NumberSeries
from fakturera.invoicing.snapshots import seller_snapshot
from fakturera.parties.models import Company

REMINDED_ON = dt.date(2026, 12, 20)

SAMPLE_SELLER = Party(
    name="Klinik Åkerö AB",
    org_number="556732-1707",
    vat_number="SE556732170701",
    is_f_tax_approved=True,
    address_line1="Storgatan 1",
    postal_code="111 22",
    city="Stockholm",
    bankgiro="991-2346",
    iban="SE4550000000058398257466",
    bic="ESSESESS",
    email="faktura@example.se",
    phone="08-123 45 67",
)
SAMPLE_BUYER = Party(
    name="Örjan Ødegård",
    kind="person",
    address_line1="Vägen 2",
    postal_code="222 20",
    city="Lund",
    customer_number=1042,
)
SAMPLE_TEXT = {
    "sv": "Vi har ännu inte fått betalt för fakturan nedan. Vänligen betala det förfallna beloppet senast det nya "
    "förfallodatumet.",
    "en": "We have not yet received payment for the invoice below. Please pay the overdue amount by the new due date.",
    "da": "Vi har endnu ikke modtaget betaling for fakturaen nedenfor. Betal venligst det forfaldne beløb senest den "
    "nye forfaldsdato.",
    "nb": "Vi har ennå ikke mottatt betaling for fakturaen nedenfor. Vennligst betal det forfalte beløpet innen den "
    "nye forfallsdatoen.",
}


def company_seller(company: Company) -> Party:
    """The company's letterhead as an invoice issued now would carry it."""
    return Party.from_snapshot(seller_snapshot(company, NumberSeries(company=company)))


def sample_invoice(number: int, *, total: str, paid: str = "0.00", due_on: dt.date) -> ReminderInvoice:
    return ReminderInvoice(
        number=str(number),
        issued_on=due_on - dt.timedelta(days=30),
        due_on=due_on,
        total_amount=Decimal(total),
        paid_amount=Decimal(paid),
        payment_reference=ocr_reference(str(number), with_length_digit=True),
    )


def sample_interest(
    invoice: ReminderInvoice, *, rate: str, from_on: dt.date, to_on: dt.date, currency: str = "SEK"
) -> ReminderInterest:
    """Interest on what is left of `invoice` at `rate` percent a year, day by day over a
    365-day year (räntelagen), rounded once by core.money."""
    principal = invoice.remaining_amount
    days = (to_on - from_on).days + 1
    amount = round_money(principal * Decimal(rate) / 100 * days / 365, currency)
    return ReminderInterest(
        invoice_number=invoice.number,
        principal_amount=principal,
        rate=Decimal(rate),
        from_on=from_on,
        to_on=to_on,
        amount=amount,
    )


def sample_reminder(
    *,
    language: str = "sv",
    company: Company | None = None,
    invoices: int = 1,
    has_fee: bool = True,
    has_interest: bool = True,
    **overrides: Any,
) -> Reminder:
    """A second reminder dated 2026-12-20: invoice 1001, partly paid (or `invoices` of them),
    a 60 kr påminnelseavgift and interest at 10 % a year; the second invoice's interest runs
    over two rates (a made-up change to 10.25 % on 2026-12-01), as a rate table gives them.
    `overrides` replace any field."""
    rows = [sample_invoice(1001, total="2241.84", paid="1000.00", due_on=dt.date(2026, 11, 20))]
    if invoices > 1:
        rows.append(sample_invoice(1017, total="950.00", due_on=dt.date(2026, 11, 25)))
    for extra in range(2, invoices):
        rows.append(sample_invoice(1017 + extra, total="100.00", due_on=dt.date(2026, 12, 1)))
    interest: list[ReminderInterest] = []
    if has_interest:
        interest.append(sample_interest(rows[0], rate="10", from_on=dt.date(2026, 11, 21), to_on=REMINDED_ON))
        if invoices > 1:
            interest += [
                sample_interest(rows[1], rate="10", from_on=dt.date(2026, 11, 26), to_on=dt.date(2026, 11, 30)),
                sample_interest(rows[1], rate="10.25", from_on=dt.date(2026, 12, 1), to_on=REMINDED_ON),
            ]
    reminder = Reminder(
        language=language,
        currency="SEK",
        level=2,
        reminded_on=REMINDED_ON,
        due_on=REMINDED_ON + dt.timedelta(days=10),
        seller=company_seller(company) if company is not None else SAMPLE_SELLER,
        buyer=SAMPLE_BUYER,
        invoices=tuple(rows),
        fees=(ReminderFee(kind="reminder_fee", amount=Decimal("60.00")),) if has_fee else (),
        interest=tuple(interest),
        text=SAMPLE_TEXT.get(language, ""),
    )
    return replace(reminder, **overrides) if overrides else reminder
