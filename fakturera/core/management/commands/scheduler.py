"""`fakturera scheduler [--once]`: run the installation's periodic jobs (core/scheduler.py),
as the apps registered them in their AppConfig.ready().

`make run` starts it beside the web server and the task worker; in production run one on
each of several machines if you like (`fakturera serve --role scheduler`): each due time
of a job runs once across all of them. `--once` runs what is due now and exits (for cron,
or to check a deployment). SIGTERM or SIGINT: the job in hand finishes (and is recorded),
then it exits. A database that is briefly away (a restart, a failover) is waited for, as
the task worker does (core/management/commands/db_worker.py); a run it interrupted is taken
again after the scheduler's lease.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone

from fakturera.core.db import is_unavailable
from fakturera.core.scheduler import registered, run_due, seconds_to_next

logger = logging.getLogger(__name__)

MAX_PAUSE = 30.0


class Command(BaseCommand):
    help = "Run the periodic jobs the apps registered: webhook retries, clean-up, the nightly recurring invoices."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due now, then exit")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        stopping = threading.Event()
        if not once and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stopping.set())
        jobs = registered()
        unavailable = 0
        while not stopping.is_set():
            try:
                done = run_due(jobs, now=timezone.localtime())
            except (OperationalError, InterfaceError) as exc:
                if once or not is_unavailable(exc):
                    raise
                unavailable += 1
                logger.warning("The database is unavailable; the scheduler waits for it: %s", exc)
                connections.close_all()
                stopping.wait(random.uniform(0.5, 1.0) * min(MAX_PAUSE, 2.0 ** (unavailable - 1)))  # noqa: S311 - jitter
                continue
            unavailable = 0
            for name, said in done.items():
                self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {name}: {said}")
            if once:
                return
            close_old_connections()
            stopping.wait(seconds_to_next(jobs, now=timezone.localtime()))
