"""The only rounding in Fakturera.

Every amount that is stored on a document goes through `round_money`: half-up to
the currency's minor unit. All four supported currencies have two decimals, so the
table is short, but callers never assume it.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError

CURRENCIES: dict[str, int] = {"SEK": 2, "DKK": 2, "NOK": 2, "EUR": 2}
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]

ZERO = Decimal("0")


class UnknownCurrency(ValueError):
    pass


# Computed once: registering a month's basis rounds hundreds of thousands of amounts.
_MINOR_UNITS: dict[str, Decimal] = {code: Decimal(1).scaleb(-decimals) for code, decimals in CURRENCIES.items()}


def minor_unit(currency: str) -> Decimal:
    try:
        return _MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (EN 16931 amounts have two decimals)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


# The currencies settled in whole units, the only ones whose totals are rounded to whole
# units (BT-114) when the company asks for it:
# - SEK: the Riksbank withdrew the 50-öre coin in 2010; cash is rounded to whole kronor
#   (öresavrundning), and so are Swedish invoices of companies that round.
# - NOK: Norges Bank withdrew the 50-øre coin in 2012; cash is rounded to whole kroner.
# Not DKK: Danish cash is rounded to 50 øre (the 50-øre coin is still legal tender), not to
# whole kroner, so a whole-krone rounding would charge up to 50 øre that nobody owes.
# Never EUR (or USD): settled in cents. ISK, which has no minor unit in use, is not invoiced.
WHOLE_UNIT_CURRENCIES = frozenset({"SEK", "NOK"})


def is_rounded_to_whole_units(currency: str, *, is_company_rounding: bool) -> bool:
    """Whether a document in `currency` gets a rounding amount to whole units: only where the
    company rounds and the currency is settled in whole units. The one rule, asked by
    invoicing.totals (drafts, previews, recurring orders and issued documents alike)."""
    return is_company_rounding and currency in WHOLE_UNIT_CURRENCIES


def round_whole(amount: Decimal, currency: str) -> Decimal:
    """Half-up to whole units of the currency (öresavrundning), kept at minor-unit scale."""
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(minor_unit(currency))


# Bounds for what a person may type as a price or a quantity. A line above these
# is a typing mistake (an extra zero run, a pasted account number), not a sale.
MAX_UNIT_PRICE = Decimal("10000000")
MAX_QUANTITY = Decimal("100000")


def clean_unit_price(value: object, *, field: str = "unit_price") -> Decimal:
    amount = to_decimal(value, field=field, what=_("The price"))
    if amount < 0:
        raise DomainError(_("The price cannot be negative; credit an invoice instead."), field=field)
    if amount > MAX_UNIT_PRICE:
        raise DomainError(
            _("%(amount)s is not a plausible price (at most %(max)s).") % {"amount": amount, "max": MAX_UNIT_PRICE},
            field=field,
        )
    if amount != amount.quantize(Decimal("0.0001")):
        raise DomainError(_("A price has at most four decimals."), field=field)
    return amount


def clean_quantity(value: object, *, field: str = "quantity") -> Decimal:
    quantity = to_decimal(value, field=field, what=_("The quantity"))
    if quantity <= 0:
        raise DomainError(_("The quantity must be more than zero."), field=field)
    if quantity > MAX_QUANTITY:
        raise DomainError(_("%(q)s is not a plausible quantity.") % {"q": quantity}, field=field)
    if quantity != quantity.quantize(Decimal("0.001")):
        raise DomainError(_("A quantity has at most three decimals."), field=field)
    return quantity


def to_decimal(value: object, *, field: str, what: str) -> Decimal:
    """A number as people and integrations write it ("1 250,50", "1250.5", 1250), never a float's
    binary approximation; DomainError on `field` when it is none."""
    if isinstance(value, float):
        # Floats never carry money: 0.1 is not 0.1.
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise DomainError(_("%(what)s must be a number.") % {"what": what}, field=field) from None
    if not amount.is_finite():
        raise DomainError(_("%(what)s must be a number.") % {"what": what}, field=field)
    return amount


def format_money(amount: Decimal | str | int, currency: str) -> str:
    """An amount with its currency in the active language ("1 234,50 kr", "SEK 1,234.50"), for
    sentences built outside templates (an invoice's history, a refusal)."""
    from babel.numbers import format_currency
    from django.utils.translation import get_language, to_locale

    if not currency:
        return str(amount)
    return format_currency(Decimal(str(amount)), currency, locale=to_locale(get_language() or "sv"))
