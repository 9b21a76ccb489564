"""E-mail texts: the company's templates per purpose and language, with built-in
defaults, and the variables they may use.

Variables are replaced by name ({invoice_number}), so a template can never reach into
Python objects (str.format could). This module is the template language's one rule:
saving refuses anything written as a variable that is not one of VARIABLES exactly as
{name} ({foo}, {{ customer_name }}, {Customer_Name}), naming it, since it would reach
the customer as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.numbers import format_currency
from django.utils.translation import gettext as _

from fakturera.core.mail import Outbox, SmtpServer
from fakturera.distribution.models import ChannelSetting, Purpose
from fakturera.parties.models import Company

VARIABLES = ("customer_name", "invoice_number", "amount", "due_date", "ocr", "portal_link", "company_name")
_VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")
# Whatever is written as a variable: a name in one or more braces, spaces allowed.
_WRITTEN_AS_VARIABLE = re.compile(r"\{+\s*([A-Za-z_][\w.-]*)\s*\}+")


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


def variables_text() -> str:
    return ", ".join("{" + name + "}" for name in VARIABLES)


def unknown_variables(template: str) -> list[str]:
    """What the template writes as a variable that is not one, as written, each once."""
    unknown: list[str] = []
    for match in _WRITTEN_AS_VARIABLE.finditer(template):
        written = match.group(0)
        is_variable = match.group(1) in VARIABLES and written == "{" + match.group(1) + "}"
        if not is_variable and written not in unknown:
            unknown.append(written)
    return unknown


def template_problems(*, subject: str, body: str) -> dict[str, list[str]]:
    """Each field's unknown variables, worded for the person who wrote them."""
    problems: dict[str, list[str]] = {}
    for field, template in (("subject", subject), ("body", body)):
        for written in unknown_variables(template):
            problems.setdefault(field, []).append(
                _("Unknown variable %(variable)s: the variables you can use are %(variables)s.")
                % {"variable": written, "variables": variables_text()}
            )
    return problems


def fill_text(text: Text, values: dict[str, str]) -> Text:
    return Text(fill(text.subject, values), fill(text.body, values))


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
