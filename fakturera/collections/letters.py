"""The reminder letters (core.reminder_letters): what distribution's worker attaches to a
reminder delivery, made from its reminder row when the worker sends it (as invoices' PDFs are
rendered by the workers), in bulk for a chunk of deliveries.

The letter prints what the row says (the open amount, fee, interest period by period and new
due date decided by the run), the invoice's own snapshots (letterhead, customer, address) and
the level's letter text in the invoice's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fakturera.collections.law import LAWS, FeeKind, RateMissing, fee_for_reminder
from fakturera.collections.models import Reminder
from fakturera.collections.rules import Level
from fakturera.collections.run import interest_pieces
from fakturera.collections.selectors import (
    collection_rate_on,
    collection_settings_of,
    fee_agreed_by_customer,
    interest_rate_periods,
    policies_of,
)
from fakturera.collections.states import TaskMode
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
from fakturera.payments.selectors import receivable_of_invoice

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
    level_texts: dict[int, dict[str, dict[str, str]]] = {}  # reminder row -> its level's texts
    for row in rows:
        invoice = invoices[row.invoice_id]
        policy = policies[row.company_id].get(kinds[invoice.pk])
        level = policy.level(row.level) if policy is not None else None
        level_texts[row.pk] = level.texts if level is not None else {}
        texts = level_texts[row.pk].get(invoice.language, {})
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
        own = {
            language: (words["subject"], words["body"])
            for language, words in level_texts[row.pk].items()
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


def letter_preview(
    *, company: Company, invoice: Invoice, level: Level, customer_kind: str, language: str, on: dt.date
) -> bytes:
    """A level's letter as it would go out for `invoice` today, from the editor's unsaved
    level (nothing is stored or sent): the open amount as payments has it, the fee the law
    allows (law.fee_for_reminder, as if no reminder had gone before), the interest to today
    with the rates in force (none where the table has a gap) and the level's letter text in
    `language`. An invoice not yet overdue, or paid, is shown as if its whole total were
    overdue the day after its due date: the preview is of the letter, not of a claim."""
    assert invoice.due_on is not None
    assert invoice.issued_on is not None
    receivable = receivable_of_invoice(company=company, invoice_id=invoice.pk)
    open_amount = receivable.open_amount if receivable is not None else invoice.total_amount
    if open_amount <= 0:
        open_amount = invoice.total_amount
    reminded_on = max(on, invoice.due_on + dt.timedelta(days=1))
    fee = Decimal("0.00")
    fee_kind = FeeKind.NONE
    if company.country in LAWS and level.task_mode != TaskMode.INSTEAD:
        settings = collection_settings_of(company=company)
        decision = fee_for_reminder(
            country=company.country,
            customer_kind=customer_kind,
            currency=invoice.currency,
            level_fee=level.fee_amount,
            is_fee_agreed=fee_agreed_by_customer(company=company, customer_ids=[invoice.customer_id]).get(
                invoice.customer_id, False
            ),
            is_claiming_late_compensation=settings.is_claiming_late_compensation,
            due_on=invoice.due_on,
            today=reminded_on,
            earlier=(),
            collection_rate=collection_rate_on(country=company.country, on=reminded_on),
        )
        fee, fee_kind = decision.amount, decision.kind
    interest: tuple[document.ReminderInterest, ...] = ()
    if level.is_claiming_interest and company.country in LAWS:
        try:
            pieces = interest_pieces(
                principal=open_amount,
                due_on=invoice.due_on,
                on=reminded_on,
                rates=interest_rate_periods(country=company.country, customer_kind=customer_kind),
                currency=invoice.currency,
            )
        except RateMissing:
            pieces = ()
        interest = tuple(
            document.ReminderInterest(
                invoice_number=invoice.display_number,
                principal_amount=open_amount,
                rate=piece.rate,
                from_on=piece.from_on,
                to_on=piece.to_on,
                amount=piece.amount,
            )
            for piece in pieces
            if piece.amount > 0
        )
    recipient = (invoice.buyer or {}).get("name", "")
    text = fill((level.texts.get(language) or {}).get("letter", ""), variables(invoice, recipient=recipient))
    letter = document.Reminder(
        language=language,
        currency=invoice.currency,
        level=level.number,
        reminded_on=reminded_on,
        # A reminder's new due date comes after its date (documents.reminders).
        due_on=reminded_on + dt.timedelta(days=max(1, level.new_due_days)),
        seller=Party.from_snapshot(invoice.seller or {}),
        buyer=Party.from_snapshot(invoice.buyer or {}),
        addressee=addressee(invoice.buyer or {}),
        invoices=(
            document.ReminderInvoice(
                number=invoice.display_number,
                issued_on=invoice.issued_on,
                due_on=invoice.due_on,
                total_amount=invoice.total_amount,
                paid_amount=invoice.total_amount - open_amount,
                payment_reference=invoice.payment_reference,
            ),
        ),
        fees=(document.ReminderFee(kind=FEE_KINDS[fee_kind], amount=fee),) if fee > 0 and fee_kind in FEE_KINDS else (),
        interest=interest,
        text=text,
    )
    [pdf] = reminder_pdfs(reminders=[letter], template=company.pdf_template)
    return pdf
