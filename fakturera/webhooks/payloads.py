"""What each webhook event's `data` says: built from the publishers' event data
(core.events) by the subscribers, and stored in the delivery as it is sent."""

from __future__ import annotations

import base64
from typing import Any


def invoice_payload(invoice: Any) -> dict[str, Any]:
    """What an invoice event says about an invoice or credit note."""
    return {
        "id": invoice.pk,
        "kind": invoice.kind,
        "number": invoice.display_number,
        "status": invoice.status,
        "customer_id": invoice.customer_id,
        "currency": invoice.currency,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "net_amount": invoice.net_amount,
        "vat_amount": invoice.vat_amount,
        "total_amount": invoice.total_amount,
        "payment_reference": invoice.payment_reference,
        "credited_invoice_id": invoice.credited_invoice_id,
    }


def invoice_credited_payload(*, invoice: Any, credit_note: Any, is_full: bool) -> dict[str, Any]:
    return {"invoice": invoice_payload(invoice), "credit_note": invoice_payload(credit_note), "is_full": is_full}


def invoice_exported_payload(invoice: Any, ubl: bytes | None) -> dict[str, Any]:
    """The invoice handed to an accounting system: the invoice event's fields and its UBL."""
    return {
        **invoice_payload(invoice),
        "ubl": base64.b64encode(ubl or b"").decode(),
        "ubl_filename": f"{invoice.display_number}.xml",
    }


def course_basis_payload(*, scope: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The basis report's choice (occurrence, dates ...) and its rows."""
    return {**scope, "rows": rows}
