"""The customer statement (kontoutdrag) as a PDF in the customer's language and as an e-mail
with that PDF attached, recorded (`StatementSent`) so staff see that it went and to whom.

The figures are the selector's (`selectors.customer_statement`); here they are only worded
and laid out (Typst, `pdf/statement.typ`, with the invoices' bundled fonts and their number
and date formats per language: documents.pdf.content.formats_for). The words are kept here,
not in the gettext catalogue, for the reason the invoice's are (documents/pdf/labels.py): the
PDF speaks the customer's language whatever the staff UI speaks, Danish and Norwegian too.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import typst
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from fakturera.core import mail
from fakturera.core.errors import DomainError
from fakturera.documents.pdf.content import formats_for
from fakturera.documents.pdf.render import FONTS_DIR
from fakturera.invoicing.history import actor_id_of
from fakturera.parties.models import Company, Customer
from fakturera.payments.models import StatementSent
from fakturera.payments.selectors import EntryKind, Statement

TEMPLATE = Path(__file__).resolve().parent / "pdf" / "statement.typ"

LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Kontoutdrag",
        "customer": "Kund",
        "customer_number": "Kundnummer",
        "currency": "Valuta",
        "made_on": "Datum",
        "period": "{start} – {end}",
        "date": "Datum",
        "reference": "Nummer",
        "text": "Händelse",
        "amount": "Belopp",
        "balance": "Saldo",
        "opening": "Ingående saldo",
        "closing": "Utgående saldo",
        "open_title": "Obetalda fakturor {date}",
        "none_open": "Inga obetalda fakturor.",
        "invoice_number": "Faktura",
        "invoice_date": "Fakturadatum",
        "due_date": "Förfallodatum",
        "total": "Belopp",
        "open": "Att betala",
        "open_total": "Summa att betala",
        "balance_note": "Ett negativt saldo är ert tillgodohavande hos oss.",
        EntryKind.INVOICE: "Faktura",
        EntryKind.CREDIT_NOTE: "Kreditfaktura",
        EntryKind.PAYMENT: "Betalning",
        EntryKind.PAYMENT_REVERSED: "Betalning återförd",
        EntryKind.REFUND: "Återbetalning",
        EntryKind.CREDIT_APPLIED: "Tillgodohavande använt {amount}",
        EntryKind.CASH_DISCOUNT: "Kassarabatt",
        "subject": "Kontoutdrag från {company}",
        "body": "Hej!\n\nBifogat finns ert kontoutdrag för perioden {period}.\n"
        "Utgående saldo: {closing}.\n\nMed vänliga hälsningar\n{company}\n",
    },
    "en": {
        "title": "Statement",
        "customer": "Customer",
        "customer_number": "Customer number",
        "currency": "Currency",
        "made_on": "Date",
        "period": "{start} – {end}",
        "date": "Date",
        "reference": "Number",
        "text": "Transaction",
        "amount": "Amount",
        "balance": "Balance",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "open_title": "Unpaid invoices on {date}",
        "none_open": "No unpaid invoices.",
        "invoice_number": "Invoice",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "total": "Amount",
        "open": "To pay",
        "open_total": "Total to pay",
        "balance_note": "A negative balance is your credit with us.",
        EntryKind.INVOICE: "Invoice",
        EntryKind.CREDIT_NOTE: "Credit note",
        EntryKind.PAYMENT: "Payment",
        EntryKind.PAYMENT_REVERSED: "Payment reversed",
        EntryKind.REFUND: "Refund",
        EntryKind.CREDIT_APPLIED: "Credit applied {amount}",
        EntryKind.CASH_DISCOUNT: "Cash discount",
        "subject": "Statement from {company}",
        "body": "Hello,\n\nPlease find attached your statement for {period}.\n"
        "Closing balance: {closing}.\n\nKind regards\n{company}\n",
    },
    "da": {
        "title": "Kontoudtog",
        "customer": "Kunde",
        "customer_number": "Kundenummer",
        "currency": "Valuta",
        "made_on": "Dato",
        "period": "{start} – {end}",
        "date": "Dato",
        "reference": "Nummer",
        "text": "Postering",
        "amount": "Beløb",
        "balance": "Saldo",
        "opening": "Primosaldo",
        "closing": "Ultimosaldo",
        "open_title": "Ubetalte fakturaer {date}",
        "none_open": "Ingen ubetalte fakturaer.",
        "invoice_number": "Faktura",
        "invoice_date": "Fakturadato",
        "due_date": "Forfaldsdato",
        "total": "Beløb",
        "open": "At betale",
        "open_total": "I alt at betale",
        "balance_note": "En negativ saldo er jeres tilgodehavende hos os.",
        EntryKind.INVOICE: "Faktura",
        EntryKind.CREDIT_NOTE: "Kreditnota",
        EntryKind.PAYMENT: "Betaling",
        EntryKind.PAYMENT_REVERSED: "Betaling tilbageført",
        EntryKind.REFUND: "Tilbagebetaling",
        EntryKind.CREDIT_APPLIED: "Tilgodehavende anvendt {amount}",
        EntryKind.CASH_DISCOUNT: "Kontantrabat",
        "subject": "Kontoudtog fra {company}",
        "body": "Hej,\n\nVedhæftet er jeres kontoudtog for perioden {period}.\n"
        "Ultimosaldo: {closing}.\n\nMed venlig hilsen\n{company}\n",
    },
    "nb": {
        "title": "Kontoutskrift",
        "customer": "Kunde",
        "customer_number": "Kundenummer",
        "currency": "Valuta",
        "made_on": "Dato",
        "period": "{start} – {end}",
        "date": "Dato",
        "reference": "Nummer",
        "text": "Transaksjon",
        "amount": "Beløp",
        "balance": "Saldo",
        "opening": "Inngående saldo",
        "closing": "Utgående saldo",
        "open_title": "Ubetalte fakturaer {date}",
        "none_open": "Ingen ubetalte fakturaer.",
        "invoice_number": "Faktura",
        "invoice_date": "Fakturadato",
        "due_date": "Forfallsdato",
        "total": "Beløp",
        "open": "Å betale",
        "open_total": "Sum å betale",
        "balance_note": "En negativ saldo er deres tilgodehavende hos oss.",
        EntryKind.INVOICE: "Faktura",
        EntryKind.CREDIT_NOTE: "Kreditnota",
        EntryKind.PAYMENT: "Betaling",
        EntryKind.PAYMENT_REVERSED: "Betaling tilbakeført",
        EntryKind.REFUND: "Tilbakebetaling",
        EntryKind.CREDIT_APPLIED: "Tilgodehavende brukt {amount}",
        EntryKind.CASH_DISCOUNT: "Kontantrabatt",
        "subject": "Kontoutskrift fra {company}",
        "body": "Hei,\n\nVedlagt er deres kontoutskrift for perioden {period}.\n"
        "Utgående saldo: {closing}.\n\nMed vennlig hilsen\n{company}\n",
    },
}

_compiler: typst.Compiler | None = None
_lock = threading.Lock()


def statement_language(customer: Customer) -> str:
    return customer.language if customer.language in LABELS else "sv"


def statement_content(*, company: Company, statement: Statement) -> dict[str, Any]:
    """Every text of the PDF, worded and formatted in the customer's language."""
    language = statement_language(statement.customer)
    words = LABELS[language]
    formats = formats_for(language)
    currency = statement.currency

    def money(value: Any) -> str:
        return formats.money(value, currency)

    period = words["period"].format(start=formats.date(statement.starts_on), end=formats.date(statement.ends_on))
    customer = statement.customer
    entries = [
        [
            formats.date(entry.on),
            entry.reference,
            words[entry.kind].format(amount=money(entry.moved)),
            money(entry.amount) if entry.amount else "",
            money(entry.balance),
        ]
        for entry in statement.entries
    ]
    return {
        "lang": language,
        "title": words["title"],
        "period": period,
        "seller": company.name,
        "seller-lines": [*company.address_lines(), company.org_number],
        "customer-label": words["customer"],
        "customer": customer.name,
        "customer-lines": customer.address_lines(),
        "meta": [
            [words["customer_number"], str(customer.number)],
            [words["made_on"], formats.date(statement.made_on)],
            [words["currency"], currency],
        ],
        "headings": [words["date"], words["reference"], words["text"], words["amount"], words["balance"]],
        "opening-date": formats.date(statement.starts_on),
        "opening-label": words["opening"],
        "opening": money(statement.opening_balance),
        "entries": entries,
        "closing-date": formats.date(statement.ends_on),
        "closing-label": words["closing"],
        "closing": money(statement.closing_balance),
        "open-title": words["open_title"].format(date=formats.date(statement.made_on)),
        "none-open": words["none_open"],
        "open-headings": [
            words["invoice_number"],
            words["invoice_date"],
            words["due_date"],
            words["total"],
            words["open"],
        ],
        "open": [
            [
                row.number,
                formats.date(row.issued_on),
                formats.date(row.due_on),
                money(row.total_amount),
                money(row.open_amount),
            ]
            for row in statement.open_invoices
        ],
        "open-total-label": words["open_total"],
        "open-total": money(statement.open_total),
        "footer": f"{company.name} · {words['balance_note']}",
    }


def statement_pdf(*, company: Company, statement: Statement) -> bytes:
    global _compiler  # one Typst world per process, made on first use
    data = json.dumps(statement_content(company=company, statement=statement), ensure_ascii=False)
    with _lock:
        if _compiler is None:
            _compiler = typst.Compiler(str(TEMPLATE), font_paths=[str(FONTS_DIR)], ignore_system_fonts=True)
        return _compiler.compile(sys_inputs={"data": data}, pdf_tags=False)


def statement_recipient(customer: Customer) -> str:
    """Where a statement goes: the customer's invoice address (a person's invoice e-mail, else
    their e-mail; an organisation's e-mail is where its invoices go)."""
    return customer.invoice_email or customer.email


def statements_sent(*, company: Company, customer: Customer, limit: int = 10) -> list[StatementSent]:
    return list(
        StatementSent.objects.filter(company=company, customer=customer)
        .select_related("sent_by")
        .order_by("-sent_at", "-pk")[:limit]
    )


def statement_send(
    *, company: Company, statement: Statement, actor: Any, outbox: mail.Outbox = mail.INSTALLATION
) -> StatementSent:
    """E-mail the statement's PDF to the customer's invoice address through `outbox` (the
    company's own SMTP server where it has one: the caller passes the distribution's), and
    record it. Nothing is recorded when the mail cannot go."""
    customer = statement.customer
    recipient = statement_recipient(customer)
    if not recipient:
        raise DomainError(_("The customer has no e-mail address to send the statement to."), code="no_address")
    content = statement_content(company=company, statement=statement)
    words = LABELS[content["lang"]]
    pdf = statement_pdf(company=company, statement=statement)
    message = mail.Message(
        sender=outbox.sender or company.email or settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        subject=words["subject"].format(company=company.name),
        body=words["body"].format(period=content["period"], closing=content["closing"], company=company.name),
        attachments=[mail.Attachment(f"{words['title']}-{statement.ends_on.isoformat()}.pdf", pdf, "application/pdf")],
    )
    try:
        message_id = mail.send(message, outbox=outbox)
    except mail.MailError as exc:
        raise DomainError(_("The statement could not be sent: %(error)s") % {"error": exc}, code="mail_failed") from exc
    with transaction.atomic():
        return StatementSent.objects.create(
            company=company,
            customer=customer,
            sent_by_id=actor_id_of(actor),
            recipient=recipient,
            starts_on=statement.starts_on,
            ends_on=statement.ends_on,
            currency=statement.currency,
            closing_balance=statement.closing_balance,
            message_id=message_id,
        )
