"""The worklist's data in words, in the reader's language when shown: a task's title, the lines
of its history and the notifications' sentences. Nothing here is stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from fakturera.core.money import format_money
from fakturera.distribution.history import channel_label
from fakturera.distribution.reasons import worded
from fakturera.worklist import states
from fakturera.worklist.states import CloseReason, NotificationKind, TaskKind, TaskPriority

Params = Mapping[str, Any]


def _amount(params: Params) -> str:
    amount = params.get("amount")
    return format_money(amount, params.get("currency", "")) if amount not in (None, "") else ""


def task_title(*, kind: str, text: str, params: Params) -> str:
    """What to do, for a list: an automatic task worded from its kind and data, else its text."""
    if kind == TaskKind.BILLING:
        return _("Follow up invoice %(number)s to %(customer)s, %(amount)s, until it is paid") % {
            "number": params.get("number", ""),
            "customer": params.get("customer", ""),
            "amount": _amount(params),
        }
    if kind == TaskKind.REMINDER_CALL:
        return _("Call %(customer)s about invoice %(number)s (reminder %(level)s)") % {
            "number": params.get("number", ""),
            "customer": params.get("customer", ""),
            "level": params.get("level", ""),
        }
    return text


def close_reason_words(reason: str, params: Params) -> str:
    if reason == CloseReason.PAID:
        if params.get("amount"):
            return _("Closed: the invoice was paid (%(amount)s on %(date)s).") % {
                "amount": _amount(params),
                "date": params.get("paid_on", ""),
            }
        return _("Closed: the invoice was paid.")
    if reason == CloseReason.CREDITED:
        return _("Closed: the invoice was credited in full by credit note %(number)s.") % {
            "number": params.get("credit_note", "")
        }
    return _("Marked done.")


def task_event_words(kind: str, params: Params) -> str:
    """One line of a task's history."""
    if kind == states.OPENED:
        return _("Opened.")
    if kind == states.CLOSED:
        return close_reason_words(params.get("reason", CloseReason.DONE), params)
    if kind == states.REOPENED:
        return _("Opened again (done undone).")
    if kind == states.PRIORITY_RAISED:
        return _("Priority raised to %(priority)s: the due date %(due_on)s has passed.") % {
            "priority": TaskPriority(params.get("priority", TaskPriority.HIGH)).label,
            "due_on": params.get("due_on", ""),
        }
    return kind


def notification_words(kind: str, params: Params) -> str:
    """A notification's sentence (the page, the e-mails)."""
    facts = {
        "number": params.get("number", ""),
        "customer": params.get("customer", ""),
        "channel": channel_label(params.get("channel")),
        "to": params.get("recipient", ""),
    }
    if kind == NotificationKind.INVOICE_SENT:
        if facts["to"]:
            return _("Invoice %(number)s to %(customer)s was sent by %(channel)s to %(to)s.") % facts
        return _("Invoice %(number)s to %(customer)s was sent by %(channel)s.") % facts
    if kind == NotificationKind.REMINDER_SENT:
        if facts["to"]:
            return _("A reminder of invoice %(number)s to %(customer)s was sent by %(channel)s to %(to)s.") % facts
        return _("A reminder of invoice %(number)s to %(customer)s was sent by %(channel)s.") % facts
    if kind == NotificationKind.DELIVERY_FAILED:
        facts["error"] = worded(params.get("error") or params.get("reason"))
        if params.get("purpose") == "reminder":
            return _("Sending a reminder of invoice %(number)s to %(customer)s failed: %(error)s") % facts
        return _("Sending invoice %(number)s to %(customer)s failed: %(error)s") % facts
    if kind == NotificationKind.REMINDER_LEVEL:
        return _("%(customer)s reached reminder level %(level)s with invoice %(number)s.") % {
            **facts,
            "level": params.get("level", ""),
        }
    if kind == NotificationKind.TASK_ASSIGNED:
        title = task_title(kind=params.get("task_kind", ""), text=params.get("text", ""), params=params)
        return _("A task was assigned to you: %(title)s") % {"title": title}
    return kind
