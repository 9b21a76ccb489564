"""An early-payment discount's VAT share (seed 004): the discount lowers each VAT group of the
invoice in proportion to its gross amount, so the seller's output VAT falls with it
(Mervärdesskattelagen 7 kap.: a discount after the sale reduces the taxable amount). The split
is invoicing's rule (invoicing.rules.cash_discount), read from the stored breakdown."""

from __future__ import annotations

from fakturera.invoicing.models import Invoice
from fakturera.invoicing.selectors import invoice_cash_discount


def discount_vat_shares(invoice_id: int) -> list[dict[str, str]]:
    """[{"category", "rate", "net", "vat"}] adding up to the invoice's discount exactly."""
    invoice = Invoice.objects.prefetch_related("vat_breakdown").get(pk=invoice_id)
    terms = invoice_cash_discount(invoice)
    if terms is None:
        return []
    return [
        {
            "category": part.vat_category,
            "rate": str(part.vat_rate),
            "net": str(part.net_amount),
            "vat": str(part.vat_amount),
        }
        for part in terms.parts
    ]
