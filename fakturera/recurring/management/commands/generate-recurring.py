# ruff: noqa: N999 - the command is named as the issue asks: `fakturera generate-recurring`
"""`fakturera generate-recurring [--date YYYY-MM-DD] [--daily]`: generate the orders of
recurring invoices due on or before the date (default today), for every company.

Run it once a day (cron: `5 0 * * * fakturera generate-recurring`), or leave
`--daily` running beside the task worker, as `make run` does: it generates now and
then every night shortly after midnight. A run that was missed is caught up by the
next one (one order per missed date), and two runs at once make each order once,
so running it on more than one machine is harmless.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from fakturera.recurring.services import recurring_generate

# Minutes after midnight for the daily run: clear of the date change itself.
DAILY_AT = dt.time(0, 5)


def seconds_until_next_run(now: dt.datetime) -> float:
    """Seconds from `now` (aware, local) to DAILY_AT on the next day."""
    tomorrow = now.date() + dt.timedelta(days=1)
    at = dt.datetime.combine(tomorrow, DAILY_AT, tzinfo=now.tzinfo)
    return max((at - now).total_seconds(), 60.0)


class Command(BaseCommand):
    help = "Generate the orders of recurring invoices due on or before a date (default today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="generate what is due up to this date")
        parser.add_argument("--daily", action="store_true", help="keep running: generate now and every night")

    def handle(self, *args, date: dt.date | None = None, daily: bool = False, **options) -> None:
        if not daily:
            self._generate(date or timezone.localdate())
            return
        while True:
            self._generate(timezone.localdate())
            close_old_connections()
            time.sleep(seconds_until_next_run(timezone.localtime()))

    def _generate(self, today: dt.date) -> None:
        result = recurring_generate(today=today)
        orders = f"{result.orders} order{'' if result.orders == 1 else 's'}"
        sources = f"{result.recurring_invoices} recurring invoice{'' if result.recurring_invoices == 1 else 's'}"
        self.stdout.write(f"{orders} from {sources} up to {today.isoformat()}")
