"""Invoice arithmetic: the one documented rule, pure and without the ORM.

EN 16931 order, as the UBL, the PDF and every export read it back:
1. Each line's net amount = quantity x unit price, rounded half-up to the
   currency's minor unit (BR-LIN-04 / BR-DEC-23).
2. The document net total is the sum of those rounded line amounts (BR-CO-10).
3. VAT is computed once per VAT category and rate on the sum of that group's
   line amounts (BR-CO-17), rounded half-up; the VAT total is the sum of those.
4. Total = net + VAT. With rounding to whole units, the difference to the nearest
   whole unit (half-up) is its own rounding amount (BT-114), and the amount due
   is total + rounding. Only currencies settled in whole units are rounded so
   (core.money.is_rounded_to_whole_units: SEK and NOK, never EUR).
Nothing is recomputed after issuing: the figures are stored on the invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from fakturera.catalog.vat import VatKey
from fakturera.core.money import ZERO, is_rounded_to_whole_units, round_money, round_whole


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    vat_key: VatKey


@dataclass(frozen=True)
class VatGroup:
    key: VatKey
    taxable_amount: Decimal
    vat_amount: Decimal


@dataclass(frozen=True)
class Totals:
    line_net_amounts: tuple[Decimal, ...]
    vat_groups: tuple[VatGroup, ...]
    net_amount: Decimal
    vat_amount: Decimal
    rounding_amount: Decimal
    total_amount: Decimal

    def as_fields(self) -> dict[str, Decimal]:
        return {
            "net_amount": self.net_amount,
            "vat_amount": self.vat_amount,
            "rounding_amount": self.rounding_amount,
            "total_amount": self.total_amount,
        }


def line_net_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    return round_money(quantity * unit_price, currency)


def compute_totals(*, lines: Iterable[LineInput], currency: str, round_to_whole: bool = False) -> Totals:
    """The document's figures. `round_to_whole` is the company's setting; it applies only to
    a currency settled in whole units."""
    nets: dict[VatKey, Decimal] = defaultdict(Decimal)
    line_nets = []
    for line in lines:
        # BR-CO-10: document totals add up already rounded line amounts.
        net = line_net_amount(line.quantity, line.unit_price, currency)
        line_nets.append(net)
        nets[line.vat_key] += net
    # BR-CO-17: VAT once per category and rate, not per line.
    groups = tuple(
        VatGroup(key, round_money(net, currency), round_money(net * key.rate / 100, currency))
        for key, net in sorted(nets.items(), key=lambda item: (-item[0].rate, item[0].category))
    )
    net_amount = round_money(sum((g.taxable_amount for g in groups), ZERO), currency)
    vat_amount = round_money(sum((g.vat_amount for g in groups), ZERO), currency)
    gross = net_amount + vat_amount
    if is_rounded_to_whole_units(currency, is_company_rounding=round_to_whole):
        rounding = round_whole(gross, currency) - gross
    else:
        rounding = round_money(ZERO, currency)
    return Totals(
        line_net_amounts=tuple(line_nets),
        vat_groups=groups,
        net_amount=net_amount,
        vat_amount=vat_amount,
        rounding_amount=rounding,
        total_amount=gross + rounding,
    )
