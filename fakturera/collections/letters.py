"""The reminder letters (core.reminder_letters): what distribution's worker attaches to a
reminder delivery, made from its reminder row when the worker sends it (as invoices' PDFs are
rendered by the workers), in bulk for a chunk of deliveries.

The letter prints what the row says (the open amount, fee, interest period by period and new
due date decided by the run), the invoice's own snapshots (letterhead, customer, address) and
the level's letter text in the invoice's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fakturera.collections.law import FeeKind
from fakturera.collections.models import Reminder
from fakturera.collections.selectors import policies_of
from fakturera.core.bulk import any_of
from fakturera.core.reminder_letters import Letter
from fakturera.distribution.channels.email import variables
from fakturera.distribution.mail import fill
from fakturera.distribution.models import Delivery
from fakturera.documents import reminders as document
from fakturera.documents.data import Party, addressee
from fakturera.documents.services import reminder_pdfs
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Company

# The law's fee kinds as the letter names them (documents.reminders.FEE_KINDS).
FEE_KINDS = {FeeKind.REMINDER_FEE: "reminder_fee", FeeKind.LATE_COMPENSATION: "late_payment_compensation"}
FILE_PREFIX = {"sv": "paminnelse", "en": "reminder", "da": "rykker", "nb": "purring"}


def letters_of(delivery_ids: list[int]) -> dict[int, Letter]:
    """The letters of the reminder deliveries among `delivery_ids` that collections queued."""
    rows = list(Reminder.objects.filter(any_of(Reminder, delivery_ids, "delivery_id")).order_by("pk"))
    if not rows:
        return {}
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.filter(any_of(Invoice, sorted({row.invoice_id for row in rows})))
    }
    templates = dict(Delivery.objects.filter(any_of(Delivery, delivery_ids)).values_list("pk", "template"))
    kinds = dict((invoice.pk, (invoice.buyer or {}).get("kind", "organisation")) for invoice in invoices.values())
    companies = {company.pk: company for company in Company.objects.filter(pk__in={row.company_id for row in rows})}
    policies = {company_id: policies_of(company=company) for company_id, company in companies.items()}
    made: list[tuple[Reminder, document.Reminder, str]] = []
    for row in rows:
        invoice = invoices[row.invoice_id]
        policy = policies[row.company_id].get(kinds[invoice.pk])
        level = policy.level(row.level) if policy is not None else None
        texts = (level.texts if level is not None else {}).get(invoice.language, {})
        words = fill(texts.get("letter", ""), variables(invoice, recipient=(invoice.buyer or {}).get("name", "")))
        made.append((row, _letter(row, invoice, words), templates[row.delivery_id]))
    pdfs: dict[int, bytes] = {}
    for template in sorted({template for _row, _made, template in made}):
        rows_of = [row for row, _made, each in made if each == template]
        letters_of_template = [letter for _row, letter, each in made if each == template]
        rendered = reminder_pdfs(reminders=letters_of_template, template=template)
        pdfs.update((row.pk, pdf) for row, pdf in zip(rows_of, rendered, strict=True))
    found: dict[int, Letter] = {}
    for row, letter, _template in made:
        invoice = invoices[row.invoice_id]
        policy = policies[row.company_id].get(kinds[invoice.pk])
        level = policy.level(row.level) if policy is not None else None
        own = {
            language: (words["subject"], words["body"])
            for language, words in (level.texts if level is not None else {}).items()
            if words.get("subject") and words.get("body")
        }
        prefix = FILE_PREFIX.get(invoice.language, "reminder")
        found[row.delivery_id] = Letter(
            pdf=pdfs[row.pk],
            filename=f"{prefix}-{invoice.display_number}-{row.level}.pdf",
            amount=letter.total_amount,
            due_on=letter.due_on,
            texts=own,
        )
    return found


def _letter(row: Reminder, invoice: Invoice, text: str) -> document.Reminder:
    interest = tuple(
        document.ReminderInterest(
            invoice_number=invoice.display_number,
            principal_amount=row.open_amount,
            rate=Decimal(piece["rate"]),
            from_on=dt.date.fromisoformat(piece["from"]),
            to_on=dt.date.fromisoformat(piece["to"]),
            amount=Decimal(piece["amount"]),
        )
        for piece in row.interest_periods or []
        if Decimal(piece["amount"]) > 0
    )
    fees = ()
    if row.fee_amount > 0 and row.fee_kind in FEE_KINDS:
        fees = (document.ReminderFee(kind=FEE_KINDS[row.fee_kind], amount=row.fee_amount),)
    assert invoice.due_on is not None
    assert invoice.issued_on is not None
    assert row.new_due_on is not None
    return document.Reminder(
        language=invoice.language,
        currency=invoice.currency,
        level=row.level,
        reminded_on=row.assessed_on,
        due_on=row.new_due_on,
        seller=Party.from_snapshot(invoice.seller or {}),
        buyer=Party.from_snapshot(invoice.buyer or {}),
        addressee=addressee(invoice.buyer or {}),
        invoices=(
            document.ReminderInvoice(
                number=invoice.display_number,
                issued_on=invoice.issued_on,
                due_on=invoice.due_on,
                total_amount=invoice.total_amount,
                paid_amount=invoice.total_amount - row.open_amount,
                payment_reference=invoice.payment_reference,
            ),
        ),
        fees=fees,
        interest=interest,
        text=text,
    )
