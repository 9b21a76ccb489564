# ruff: noqa: N999 - the command is named as the issue asks: `fakturera generate-recurring`
"""`fakturera generate-recurring [--date YYYY-MM-DD]`: generate the orders of recurring
invoices due on or before the date (default today), for every company.

The nightly run is a job of `fakturera scheduler` (core/scheduler.py; recurring/jobs.py,
registered in RecurringConfig.ready()), which `make run` starts; this command is the
same generation by hand or from cron. A run that was missed is caught up by the next
one (one order per missed date), and two runs at once make each order once, so running
it on more than one machine is harmless.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from fakturera.recurring.services import recurring_generate


class Command(BaseCommand):
    help = "Generate the orders of recurring invoices due on or before a date (default today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="generate what is due up to this date")

    def handle(self, *args, date: dt.date | None = None, **options) -> None:
        today = date or timezone.localdate()
        result = recurring_generate(today=today)
        orders = f"{result.orders} order{'' if result.orders == 1 else 's'}"
        sources = f"{result.recurring_invoices} recurring invoice{'' if result.recurring_invoices == 1 else 's'}"
        self.stdout.write(f"{orders} from {sources} up to {today.isoformat()}")
