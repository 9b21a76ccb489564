"""`fakturera deliver [--until-idle] [--claim N]`: the delivery worker.

A separate process beside the task worker (scripts/serve starts one; start more for
more throughput, on any machine: they share the work through row locks). It loops:
judge expired leases (the sweeper), claim a batch of due deliveries, deliver, record;
it sleeps a little when nothing is due. `--until-idle` stops when nothing is left
to do now (tests, benchmarks, a cron run).
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from fakturera.distribution.worker import CLAIM_SIZE, deliveries_sweep, deliveries_work

log = logging.getLogger(__name__)

IDLE_SLEEP_SECONDS = 1.0
ERROR_SLEEP_SECONDS = 10.0
SWEEP_EVERY_SECONDS = 30.0


class Command(BaseCommand):
    help = "Deliver queued invoices (e-mail, letter, Peppol, export ...) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until-idle", action="store_true", help="stop when nothing is due")
        parser.add_argument("--claim", type=int, default=CLAIM_SIZE, help="deliveries claimed at a time")

    def handle(self, *args: Any, until_idle: bool = False, claim: int = CLAIM_SIZE, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True  # finish the round in hand, then leave

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop)
        last_sweep = 0.0
        while not stopping:
            try:
                if time.monotonic() - last_sweep > SWEEP_EVERY_SECONDS:
                    swept = deliveries_sweep()
                    if any(swept.values()):
                        self.stdout.write(
                            f"swept {swept['requeued']} back to the queue, {swept['sent']} accepted as sent, "
                            f"{swept['uncertain']} uncertain"
                        )
                    last_sweep = time.monotonic()
                done = deliveries_work(limit=claim)
            except Exception:
                # One bad round (a lost database, a bug in a channel) must not stop delivery,
                # nor take the web server down with it (scripts/serve stops all when one ends).
                # What was claimed stays leased; the sweeper judges it when the lease runs out.
                log.exception("A delivery round failed; trying again shortly")
                if until_idle:
                    raise
                close_old_connections()
                time.sleep(ERROR_SLEEP_SECONDS)
                continue
            if done.claimed:
                self.stdout.write(
                    f"claimed {done.claimed}: {done.sent} sent, {done.failed} failed, "
                    f"{done.retried} to retry, {done.stopped} stopped, {done.deferred} deferred"
                )
                continue
            if until_idle:
                return
            close_old_connections()
            time.sleep(IDLE_SLEEP_SECONDS)
