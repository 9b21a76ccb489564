"""Issued invoices for portal tests, made through the services as staff would."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoice_create_draft, invoice_issue

ISSUED_ON = dt.date(2026, 11, 20)
LINK = re.compile(r"https?://\S+/portal/\d+/login/\S+")


def issued(company: Any, actor: Any, customer: Any, price: str = "800", description: str = "Behandling") -> Invoice:
    draft = invoice_create_draft(
        company=company,
        customer=customer,
        actor=actor,
        lines=[{"description": description, "quantity": "1", "unit_price": price, "vat_rate": "25"}],
    )
    return invoice_issue(invoice=draft, actor=actor, issued_on=ISSUED_ON)


def link_in(text: str) -> str:
    [url] = LINK.findall(text)
    return url
