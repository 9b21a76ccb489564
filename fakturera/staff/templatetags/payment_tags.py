"""The payment pages' template helpers: state labels, the unmatched queue's count in the menu,
and why an invoice is suggested, in words."""

from __future__ import annotations

from typing import Any

from django import template

from fakturera.payments.selectors import unmatched_count
from fakturera.payments.states import ReceivableState
from fakturera.payments.wording import why_words

register = template.Library()


@register.filter
def receivable_state(value: str | None) -> str:
    """An invoice's payment state ("partly_paid") as its label ("Partly paid")."""
    if value in ReceivableState.values:
        return str(ReceivableState(value).label)
    return ""


@register.filter
def why(codes: list[str]) -> str:
    return why_words(codes)


@register.simple_tag(takes_context=True)
def unmatched_payments(context: dict[str, Any]) -> int:
    """How many payments wait in the company's unmatched queue (one COUNT per page)."""
    company = context.get("company")
    request = context.get("request")
    if company is None or request is None or not request.user.is_authenticated:
        return 0
    return unmatched_count(company=company)
