"""Formatting for staff pages: money and numbers in the user's language (babel)."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "sv")


@register.filter
def money(amount: Decimal | None, currency: str = "SEK") -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=_locale())


@register.filter
def quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format_decimal(value.normalize(), locale=_locale())


@register.filter
def price(value: Decimal | None) -> str:
    """Unit prices keep up to four decimals but show at least two."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.00##", locale=_locale())


@register.filter
def rate(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{format_decimal(value.normalize(), locale=_locale())} %"


@register.filter
def field_errors(errors: dict, name: str) -> list:
    return errors.get(name, []) if errors else []
