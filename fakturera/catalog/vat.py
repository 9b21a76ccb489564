"""VAT categories and rates: what a line may carry.

Categories are the EN 16931 / UNCL5305 codes that UBL uses, so nothing is mapped
later: S standard rate, Z zero rated, E exempt (such as healthcare, ML 3 kap.),
AE reverse charge, K intra-community supply, G export outside the EU, O outside
the scope of VAT. Only S has a rate above zero (BR-S-05, BR-Z-05, BR-E-05,
BR-AE-05, BR-IC-05, BR-G-05, BR-O-05).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.core.errors import DomainError, ValidationFailed


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


# --- each category's conditions (EN 16931 BR-S/Z/E/AE/IC/G/O-02..04) ----------------------------------

# The EU member states by ISO 3166 code (intra-community supply, export).
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})  # fmt: skip


def _has(party: Mapping[str, Any], name: str) -> bool:
    return bool((party.get(name) or "").strip())


def vat_problems(categories: Iterable[str], *, seller: Mapping[str, Any], buyer: Mapping[str, Any]) -> dict[str, str]:
    """What each VAT category of an invoice lacks, in words: category -> problem, empty when every
    category's conditions hold. Pure: `seller` is the company's fields (country, vat_number,
    is_f_tax_approved), `buyer` the customer's (name, kind, country, vat_number).

    - S, Z, E: the seller's VAT number, or (a Swedish seller) its F-tax approval as its tax
      registration (BR-S-02, BR-Z-02, BR-E-02 take BT-31 or BT-32; SE-R-005 words BT-32).
    - AE reverse charge: the seller's and the buyer's VAT numbers (BR-AE-02..04; the buyer
      accounts for the VAT, so the law wants its number, not only a registration).
    - K intra-community supply: both VAT numbers (BR-IC-02..04), a seller in the EU and a buyer
      in another EU country. The delivery date and country (BR-IC-11/12) are written by the
      UBL builder from the invoice date or period and the buyer's address.
    - G export: the seller's VAT number (BR-G-02) and a buyer outside the seller's VAT area
      (outside the EU for an EU seller, abroad for the others).
    - O outside the scope: never beside another category (check_vat_mix); the document then
      names no VAT number at all (BR-O-02..04), which the builder sees to.
    """
    seller_country = (seller.get("country") or "SE").upper()
    buyer_country = (buyer.get("country") or "SE").upper()
    seller_vat = _has(seller, "vat_number")
    seller_registered = seller_vat or (seller_country == "SE" and bool(seller.get("is_f_tax_approved")))
    buyer_vat = _has(buyer, "vat_number")
    buyer_name = buyer.get("name") or _("the customer")
    problems: dict[str, str] = {}
    for category in sorted(set(categories)):
        label = VatCategory(category).label if category in VatCategory.values else category
        wanted: list[str] = []
        if category in (VatCategory.STANDARD, VatCategory.ZERO, VatCategory.EXEMPT) and not seller_registered:
            wanted.append(_("the company's VAT number (company settings)"))
        if category in (VatCategory.REVERSE_CHARGE, VatCategory.INTRA_COMMUNITY, VatCategory.EXPORT) and not seller_vat:
            wanted.append(_("the company's VAT number (company settings)"))
        if category in (VatCategory.REVERSE_CHARGE, VatCategory.INTRA_COMMUNITY) and not buyer_vat:
            wanted.append(_("the VAT number of %(name)s") % {"name": buyer_name})
        if category == VatCategory.INTRA_COMMUNITY:
            if seller_country not in EU_COUNTRIES:
                wanted.append(_("a seller in the EU"))
            elif buyer_country not in EU_COUNTRIES or buyer_country == seller_country:
                wanted.append(
                    _("a buyer in another EU country (%(name)s is in %(country)s)")
                    % {"name": buyer_name, "country": buyer_country}
                )
        if category == VatCategory.EXPORT:
            same_area = buyer_country == seller_country or (
                seller_country in EU_COUNTRIES and buyer_country in EU_COUNTRIES
            )
            if same_area:
                wanted.append(
                    _("a buyer outside the company's VAT area (%(name)s is in %(country)s)")
                    % {"name": buyer_name, "country": buyer_country}
                )
        if wanted:
            problems[category] = _("“%(category)s” needs %(what)s.") % {"category": label, "what": "; ".join(wanted)}
    return problems


def check_vat_conditions(
    lines: Sequence[tuple[str, str]],
    *,
    seller: Mapping[str, Any],
    buyer: Mapping[str, Any],
    prefix: str | None = "lines",
) -> None:
    """vat_problems for an invoice's lines, (description, category) in order: a DomainError
    (ValidationFailed) naming each line whose category's conditions do not hold."""
    problems = vat_problems((category for _d, category in lines), seller=seller, buyer=buyer)
    if not problems:
        return
    errors: dict[str, list[str]] = {}
    for index, (description, category) in enumerate(lines):
        if category in problems:
            errors[f"{prefix}.{index}.vat_category" if prefix else "vat_category"] = [
                _("Line %(n)s (“%(line)s”): %(problem)s")
                % {"n": index + 1, "line": description, "problem": problems[category]}
            ]
    raise ValidationFailed(errors)


VAT_FACT_FIELDS = ("name", "kind", "country", "vat_number", "is_f_tax_approved")


def vat_facts(party: Any) -> dict[str, Any]:
    """What vat_problems reads of a party: a Company, a Customer or an invoice's snapshot dict."""
    if isinstance(party, Mapping):
        return {name: party.get(name) for name in VAT_FACT_FIELDS}
    return {name: getattr(party, name, None) for name in VAT_FACT_FIELDS}


def check_document_vat(
    categories: Iterable[str], *, seller: Mapping[str, Any], buyer: Mapping[str, Any], what: str
) -> None:
    """vat_problems for a document about to be issued (`what` names it: "The invoice to X"):
    one DomainError that says every category's problem."""
    problems = vat_problems(categories, seller=seller, buyer=buyer)
    if problems:
        raise DomainError(
            _("%(what)s cannot be issued: %(problems)s") % {"what": what, "problems": " ".join(problems.values())},
            field="vat_category",
            code="vat_conditions",
        )
