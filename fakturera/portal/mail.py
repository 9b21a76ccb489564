"""The login-link e-mail, in the person's language.

Sent by the company's own SMTP server when it has an active e-mail channel (the same
settings the invoices go by, distribution.mail.company_mail), so the link comes from the
company's address; else by the installation's server (Django's `get_connection()`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from fakturera.distribution.mail import company_mail
from fakturera.parties.models import Company, Customer


def portal_language(customer: Customer) -> str:
    """The portal speaks Swedish and English: Swedish to Swedish speakers, English to the others."""
    return "sv" if customer.language == "sv" else "en"


def send_login_link(*, company: Company, customer: Customer, url: str, minutes: int, connection: Any = None) -> None:
    with translation.override(portal_language(customer)):
        context = {"portal_company": company, "customer": customer, "url": url, "minutes": minutes}
        subject = render_to_string("portal/email/login_link_subject.txt", context).strip()
        body = render_to_string("portal/email/login_link.txt", context)
    from_email = company.email or settings.DEFAULT_FROM_EMAIL
    if connection is None:
        own = company_mail(company)
        if own is not None:
            connection, from_email = own.connection, own.from_email
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=from_email,
        to=[customer.email],
        connection=connection or get_connection(),
    )
    message.send()
