"""The login-link e-mail, in the person's language.

Sent through core.mail by the company's own SMTP server when it has an active e-mail
channel (the same settings the invoices go by, distribution.selectors.mail_outbox_for),
so the link comes from the company's address; else by the installation's server
(Django's e-mail settings), from the company's e-mail address or DEFAULT_FROM_EMAIL.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from fakturera.core import mail
from fakturera.distribution.selectors import mail_outbox_for
from fakturera.parties.models import Company, Customer


def portal_language(customer: Customer) -> str:
    """The portal speaks Swedish and English: Swedish to Swedish speakers, English to the others."""
    return "sv" if customer.language == "sv" else "en"


def send_login_link(*, company: Company, customer: Customer, url: str, minutes: int) -> None:
    with translation.override(portal_language(customer)):
        context = {"portal_company": company, "customer": customer, "url": url, "minutes": minutes}
        subject = render_to_string("portal/email/login_link_subject.txt", context).strip()
        body = render_to_string("portal/email/login_link.txt", context)
    outbox = mail_outbox_for(company)
    sender = outbox.sender or company.email or settings.DEFAULT_FROM_EMAIL
    mail.send(mail.Message(sender=sender, to=[customer.email], subject=subject, body=body), outbox=outbox)
