"""Links into the client portal, for notices sent by other parts (distribution)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from fakturera.core.urls import absolute_url


def portal_invoice_url(invoice: Any) -> str:
    """The absolute address of an invoice in the portal; the portal asks its client to log in first."""
    path = reverse("portal:invoice_detail", kwargs={"company_id": invoice.company_id, "invoice_id": invoice.pk})
    return absolute_url(path)
