"""VAT categories and rates: what a line may carry.

Categories are the EN 16931 / UNCL5305 codes that UBL uses, so nothing is mapped
later: S standard rate, Z zero rated, E exempt (such as healthcare, ML 3 kap.),
AE reverse charge, K intra-community supply, G export outside the EU, O outside
the scope of VAT. Only S has a rate above zero (BR-S-05, BR-Z-05, BR-E-05,
BR-AE-05, BR-IC-05, BR-G-05, BR-O-05).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.core.errors import DomainError


class VatCategory(models.TextChoices):
    STANDARD = "S", gettext_lazy("Standard rate")
    ZERO = "Z", gettext_lazy("Zero rated")
    EXEMPT = "E", gettext_lazy("Exempt from VAT")
    REVERSE_CHARGE = "AE", gettext_lazy("Reverse charge")
    INTRA_COMMUNITY = "K", gettext_lazy("Intra-community supply")
    EXPORT = "G", gettext_lazy("Export outside the EU")
    OUTSIDE_SCOPE = "O", gettext_lazy("Outside the scope of VAT")


# Standard rates in force per seller country (percent).
STANDARD_RATES: dict[str, tuple[Decimal, ...]] = {
    "SE": (Decimal("25"), Decimal("12"), Decimal("6")),
    "DK": (Decimal("25"),),
    "NO": (Decimal("25"), Decimal("15"), Decimal("12")),
    "FI": (Decimal("25.5"), Decimal("14"), Decimal("10")),
}


# Why a line carries no VAT (BT-120/BT-121, required by BR-E-10, BR-AE-10, BR-IC-10,
# BR-G-10, BR-O-10): the CEF VATEX code where one exists, and the text printed on
# the PDF. Z needs none (BR-Z-10 forbids one).
EXEMPTION_REASONS: dict[str, tuple[str, str]] = {
    "E": ("", gettext_lazy("Exempt from VAT (Mervärdesskattelagen 10 kap.)")),
    "AE": ("VATEX-EU-AE", gettext_lazy("Reverse charge: the buyer accounts for the VAT")),
    "K": ("VATEX-EU-IC", gettext_lazy("Intra-community supply exempt from VAT")),
    "G": ("VATEX-EU-G", gettext_lazy("Export outside the EU, exempt from VAT")),
    "O": ("VATEX-EU-O", gettext_lazy("Not subject to VAT")),
}


@dataclass(frozen=True, order=True)
class VatKey:
    """One VAT breakdown group: BR-CO-17 computes tax once per category and rate."""

    category: str
    rate: Decimal

    @property
    def label(self) -> str:
        if self.category == VatCategory.STANDARD:
            return f"{self.rate.normalize():f} %"
        return str(VatCategory(self.category).label)


def clean_vat(category: str, rate: object, *, country: str = "SE", field: str = "vat_rate") -> VatKey:
    """The checked (category, rate) pair, or a DomainError saying what is wrong."""
    if category not in VatCategory.values:
        raise DomainError(
            _("“%(category)s” is not a VAT category; use one of %(known)s.")
            % {"category": category, "known": ", ".join(VatCategory.values)},
            field="vat_category",
            code="unknown_vat_category",
        )
    try:
        rate_value = Decimal(str(rate)) if rate not in (None, "") else Decimal("0")
    except InvalidOperation:
        raise DomainError(_("The VAT rate must be a number."), field=field) from None
    if category == VatCategory.STANDARD:
        allowed = STANDARD_RATES.get(country, ())
        if rate_value not in allowed:
            raise DomainError(
                _("%(rate)s %% is not a VAT rate in %(country)s; the rates are %(allowed)s.")
                % {
                    "rate": rate_value.normalize(),
                    "country": country,
                    "allowed": ", ".join(f"{r.normalize():f} %" for r in allowed),
                },
                field=field,
                code="unknown_vat_rate",
            )
    elif rate_value != 0:
        raise DomainError(
            _("Lines with “%(category)s” carry no VAT; the rate must be 0.")
            % {"category": VatCategory(category).label},
            field=field,
        )
    return VatKey(category, rate_value.quantize(Decimal("0.01")))


def check_vat_mix(keys: Iterable[VatKey]) -> None:
    """EN 16931 BR-O-11..14: an invoice with lines outside the scope of VAT has no other lines."""
    categories = {key.category for key in keys}
    if VatCategory.OUTSIDE_SCOPE in categories and len(categories) > 1:
        raise DomainError(
            _("Lines outside the scope of VAT cannot share an invoice with other lines; invoice them separately."),
            field="vat_category",
            code="vat_mix",
        )


def vat_choices(country: str) -> list[tuple[str, str]]:
    """Combined choices for forms: "S:25", "S:12", ..., "E:0", "AE:0"."""
    options = [(f"S:{r.normalize():f}", f"{r.normalize():f} %") for r in STANDARD_RATES.get(country, ())]
    options += [(f"{c}:0", str(label)) for c, label in VatCategory.choices if c != VatCategory.STANDARD]
    return options


def split_vat_choice(value: str) -> tuple[str, str]:
    category, _sep, rate = (value or "").partition(":")
    return category, rate or "0"
