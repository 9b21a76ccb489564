"""`fakturera scheduler [--once]`: run the installation's periodic jobs (core/scheduler.py),
as the apps registered them in their AppConfig.ready().

`make run` starts it beside the web server and the task worker; in production run
one (or more: every job is idempotent) as a service. `--once` runs what is due now
and exits (for cron, or to check a deployment).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from fakturera.core.scheduler import registered, run_due, seconds_to_next


class Command(BaseCommand):
    help = "Run the periodic jobs the apps registered: webhook retries, clean-up, the nightly recurring invoices."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due now, then exit")

    def handle(self, *args, once: bool = False, **options) -> None:
        jobs = registered()
        last_runs: dict = {}
        while True:
            for name, said in run_due(jobs, last_runs=last_runs, now=timezone.localtime()).items():
                self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {name}: {said}")
            if once:
                return
            close_old_connections()
            time.sleep(seconds_to_next(jobs, last_runs=last_runs, now=timezone.localtime()))
