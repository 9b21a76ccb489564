"""An early-payment discount's VAT share (seed 004): the discount lowers each VAT group of the
invoice in proportion to its gross amount, so the seller's output VAT falls with it
(Mervärdesskattelagen: a discount after the sale reduces the taxable amount)."""

from __future__ import annotations

from decimal import Decimal

from fakturera.invoicing.selectors import vat_breakdown_of
from fakturera.payments.rules import split_discount


def discount_vat_shares(invoice_id: int, discount: Decimal) -> list[dict[str, str]]:
    """[{"category", "rate", "net", "vat"}] adding up to `discount` exactly."""
    groups = vat_breakdown_of(invoice_id)
    return [
        {"category": category, "rate": str(rate), "net": str(net), "vat": str(vat)}
        for (category, rate), (net, vat) in split_discount(groups, discount).items()
    ]
