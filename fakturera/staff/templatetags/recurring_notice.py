"""The notice of orders ready for generation (seed 002), as each user chose it: nothing,
an icon with a count in the menu, or the icon and a pop-up once per login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils import timezone

from fakturera.recurring.models import NoticeKind
from fakturera.recurring.selectors import recurring_due_count, recurring_notice_kind

register = template.Library()

# Set once the pop-up was shown; logging out (or in as someone else) empties the session.
POPUP_SHOWN = "recurring_popup_shown"


@dataclass(frozen=True)
class Notice:
    count: int = 0
    is_icon: bool = False
    is_popup: bool = False


@register.simple_tag(takes_context=True)
def recurring_notice(context: dict[str, Any]) -> Notice:
    request = context.get("request")
    company = context.get("company")
    if request is None or company is None or not request.user.is_authenticated:
        return Notice()
    kind = recurring_notice_kind(company=company, user=request.user)
    if kind == NoticeKind.NONE:
        return Notice()
    count = recurring_due_count(company=company, today=timezone.localdate())
    is_popup = bool(count) and kind == NoticeKind.POPUP and not request.session.get(POPUP_SHOWN)
    if is_popup:
        request.session[POPUP_SHOWN] = True
    return Notice(count=count, is_icon=bool(count), is_popup=is_popup)
