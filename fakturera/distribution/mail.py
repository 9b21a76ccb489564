"""E-mail texts: the company's templates per purpose and language, with built-in
defaults, and the variables they may use.

Variables are replaced by name ({invoice_number}); anything else in braces stays as
it is, so a template can never reach into Python objects (str.format could).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.numbers import format_currency

from fakturera.core.mail import Outbox, SmtpServer
from fakturera.distribution.models import ChannelSetting, Purpose
from fakturera.parties.models import Company

VARIABLES = ("customer_name", "invoice_number", "amount", "due_date", "ocr", "portal_link", "company_name")
_VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


DEFAULTS: dict[tuple[str, str], Text] = {
    (Purpose.INVOICE, "sv"): Text(
        "Faktura {invoice_number} från {company_name}",
        "Hej {customer_name},\n\nHär kommer faktura {invoice_number} på {amount}, att betala senast {due_date}"
        " med OCR {ocr}.\nFakturan finns som PDF i detta mejl.\n\nVänliga hälsningar\n{company_name}\n",
    ),
    (Purpose.INVOICE, "en"): Text(
        "Invoice {invoice_number} from {company_name}",
        "Dear {customer_name},\n\nPlease find invoice {invoice_number} of {amount} attached, due on {due_date}"
        " (payment reference {ocr}).\n\nKind regards\n{company_name}\n",
    ),
    (Purpose.REMINDER, "sv"): Text(
        "Påminnelse: faktura {invoice_number} från {company_name}",
        "Hej {customer_name},\n\nVi har ännu inte fått betalt för faktura {invoice_number} på {amount}, som förföll"
        " {due_date}. Betala gärna snarast med OCR {ocr}. Fakturan finns som PDF i detta mejl.\n\n"
        "Vänliga hälsningar\n{company_name}\n",
    ),
    (Purpose.REMINDER, "en"): Text(
        "Reminder: invoice {invoice_number} from {company_name}",
        "Dear {customer_name},\n\nWe have not yet received payment of invoice {invoice_number} of {amount},"
        " due on {due_date}. Please pay at your earliest convenience (payment reference {ocr}).\n\n"
        "Kind regards\n{company_name}\n",
    ),
    (Purpose.PORTAL_NOTICE, "sv"): Text(
        "Ny faktura {invoice_number} från {company_name}",
        "Hej {customer_name},\n\nDu har en ny faktura på {amount} att betala senast {due_date}.\n"
        "Logga in och se den här: {portal_link}\n\nVänliga hälsningar\n{company_name}\n",
    ),
    (Purpose.PORTAL_NOTICE, "en"): Text(
        "New invoice {invoice_number} from {company_name}",
        "Dear {customer_name},\n\nYou have a new invoice of {amount}, due on {due_date}.\n"
        "Log in to see it here: {portal_link}\n\nKind regards\n{company_name}\n",
    ),
}


def default_text(purpose: str, language: str) -> Text:
    # Danish and Norwegian customers read the English text until the company writes its own.
    return DEFAULTS.get((purpose, language)) or DEFAULTS[(purpose, "en")]


def fill(template: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda match: values.get(match.group(1), ""), template)


def amount_text(amount: object, currency: str, language: str) -> str:
    locale = {"sv": "sv_SE", "en": "en_GB", "da": "da_DK", "nb": "nb_NO"}.get(language, "sv_SE")
    return format_currency(amount, currency, locale=locale)


def smtp_outbox(setting: ChannelSetting | None, company: Company) -> Outbox | None:
    """The company's SMTP server (host, port, TLS, login) and sender as its e-mail channel
    settings have them, for core.mail; None when they name no server or no sender."""
    options = setting.options if setting else {}
    if setting is None or not options.get("host") or not options.get("from_email"):
        return None
    username = options.get("username") or ""
    server = SmtpServer(
        host=options["host"],
        port=int(options.get("port") or 25),
        security=options.get("security", "starttls"),
        username=username,
        password=setting.secret if username else "",
    )
    return Outbox(server, sender=(options.get("from_name") or company.name, options["from_email"]))
