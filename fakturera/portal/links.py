"""Links into the client portal, for notices sent by other parts (distribution)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def portal_invoice_url(invoice: Any) -> str:
    """The absolute address of an invoice in the portal; the portal asks its client to log in first."""
    return f"{settings.SITE_URL}/portal/{invoice.company_id}/invoices/{invoice.pk}/"
