"""The worklist's rules: pure functions over plain values, no ORM (see DESIGN.md, "Rules")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fakturera.worklist.states import BillingTasks, EmailMode, NotificationKind, TaskPriority, TaskState


def billing_task_wanted(
    *,
    setting: str,
    min_amount: Decimal,
    company_currency: str,
    total_amount: Decimal,
    currency: str,
) -> bool:
    """Does issuing this invoice open a billing task (the company's setting)?

    Nothing to collect (a total of zero or less) opens none. `above` compares the total with
    the amount, which is in the company's default currency; an invoice in another currency
    cannot be compared without an exchange rate, so it opens a task rather than be missed."""
    if total_amount <= 0 or setting == BillingTasks.OFF:
        return False
    if setting == BillingTasks.ABOVE and currency == company_currency:
        return total_amount > min_amount
    return True


def is_overdue(*, state: str, due_on: dt.date | None, today: dt.date) -> bool:
    """An open task past its due date (the due date itself is still in time)."""
    return state == TaskState.OPEN and due_on is not None and due_on < today


def raised_priority(priority: int) -> int:
    """The priority of a task whose due date has passed: at least high."""
    return max(priority, TaskPriority.HIGH)


def notification_kind(*, event: str, purpose: str) -> str | None:
    """Which notification a move of distribution's sending state gives the relationship manager."""
    if event == "invoice.delivery_failed":
        return NotificationKind.DELIVERY_FAILED
    if event == "invoice.reminded" or (event == "invoice.sent" and purpose == "reminder"):
        return NotificationKind.REMINDER_SENT
    if event == "invoice.sent":
        return NotificationKind.INVOICE_SENT
    return None


def emails_at_once(mode: str | None) -> bool:
    return mode == EmailMode.IMMEDIATELY


def emails_in_digest(mode: str | None) -> bool:
    # No preference saved: the daily digest (the default).
    return mode in (None, "", EmailMode.DIGEST)
