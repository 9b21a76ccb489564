"""The recurring app's periodic job, registered with core's scheduler in RecurringConfig.ready()."""

from __future__ import annotations

from django.utils import timezone

from fakturera.recurring.services import recurring_generate


def recurring_generate_today() -> str:
    """The nightly run: every company's orders due up to today (a missed night is caught up)."""
    result = recurring_generate(today=timezone.localdate())
    return f"{result.orders} orders from {result.recurring_invoices} recurring invoices"
