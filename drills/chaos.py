"""`make chaos`: a month-end (bench/month_end.py, 20,000 invoices; `--n`) run by the product's
own processes while things fail, then checked (README, "Proven under faults").

While the month-end runs, the drill
- kills (SIGKILL) a random task worker or delivery worker every few seconds (`--kill-every`)
  and starts a new one in its place;
- restarts PostgreSQL once (`--postgres-restart`, default `pg_ctlcluster 15 main restart`;
  `--no-postgres-restart` leaves the server alone), when a quarter of the invoices are sent
  or half the time for faults is over, whichever comes first;
- has the SMTP sink answer 421 (try again later) to the messages of one connection in five
  and stall another one in five for five seconds before its greeting.
Leases are short (FAKTURERA_DISTRIBUTION_LEASE_SECONDS=90, above the 60 s a group may take of
a round), so a killed delivery worker's claim is swept within the run.

When every invoice's delivery has ended (or two minutes before the time limit, `--limit`, 480 s
from the trigger) it stops the faults, lets the workers finish what is left (at most until the
limit), stops them and checks, printing each check:
- every invoice issued, numbered 1..N without a gap;
- every invoice delivered exactly once (sent, its message at the sink once) or marked
  uncertain, and no more uncertain than delivery workers killed (each had at most its one
  message in flight; the restart adds none: the delivery marks are durable, and a worker
  whose connection ended reconnects and writes the outcome it holds);
- no delivery left claimed (sending) or queued;
- every stored document's SHA-256 matching its bytes, a PDF and a UBL for every invoice;
- no task lost: none left ready or running, none failed for good.
Exits 1 on any violation, 0 when all hold. Runs in its own database (`fakturera_chaos`;
`--database`) on the server of `CHAOS_SERVER_URL` (default postgres://postgres@127.0.0.1:5432/).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"
ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "var" / "chaos.log"
# The last part of the time limit is left for finishing what the faults left (retries, swept tasks).
SETTLE_SECONDS = 120.0


def _say(started: float, text: str) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {text}", flush=True)


def _prepare(server_url: str, database: str) -> str:
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "fakturera.settings",
            "FAKTURERA_OUTBOUND_ALLOW_PRIVATE": "1",  # the sink listens on loopback
            "FAKTURERA_DEBUG": "0",
            "FAKTURERA_SSL_REDIRECT": "0",
            "FAKTURERA_SITE_URL": "http://127.0.0.1",
            # Short, so a killed worker's claim comes back within the run; longer than a group's
            # share of a round (DISTRIBUTION_GROUP_SECONDS, 60), so a living worker keeps its claim.
            "FAKTURERA_DISTRIBUTION_LEASE_SECONDS": "90",
        }
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    from fakturera.core.secrets import new_key

    os.environ.setdefault("FAKTURERA_SECRET_KEYS", new_key())
    return url


class Faults:
    """The product's processes, and the faults done to them."""

    def __init__(self, *, workers: int, rng: random.Random) -> None:
        from bench.month_end import start

        self.start = start
        self.rng = rng
        self.workers = {"tasks": [start("tasks", log=LOG) for _ in range(workers)]}
        self.workers["deliver"] = [start("deliver", log=LOG) for _ in range(workers)]
        self.born = {process.pid: time.monotonic() for processes in self.workers.values() for process in processes}
        self.scheduler: subprocess.Popen | None = None
        self.killed: Counter = Counter()
        self.restarted_postgres = False

    def kill_one(self, *, min_age: float) -> str:
        """Kill -9 a random worker that has run `min_age` seconds at least (one still importing
        Django is not at work yet), and start another in its place. '' when none is that old."""
        now = time.monotonic()
        grown = [(role, index) for role, processes in self.workers.items() for index, process in enumerate(processes)
                 if now - self.born.get(process.pid, now) >= min_age]  # fmt: skip
        if not grown:
            return ""
        role, index = self.rng.choice(grown)
        victim = self.workers[role][index]
        if victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            self.killed[role] += 1
        self._replace(role, index)
        return role

    def _replace(self, role: str, index: int) -> None:
        process = self.workers[role][index] = self.start(role, log=LOG)
        self.born[process.pid] = time.monotonic()

    def keep_alive(self) -> None:
        """A worker that stopped by itself (it should not) is started again, and counted."""
        for role, processes in self.workers.items():
            for index, process in enumerate(processes):
                if process.poll() is not None:
                    self.killed[f"{role} exited {process.returncode}"] += 1
                    self._replace(role, index)
        if self.scheduler is not None and self.scheduler.poll() is not None:
            self.killed[f"scheduler exited {self.scheduler.returncode}"] += 1
            self.scheduler = self.start("scheduler", log=LOG)

    def stop(self) -> None:
        from bench.loopback import stop_processes

        stop_processes(
            [*self.workers["tasks"], *self.workers["deliver"], *([self.scheduler] if self.scheduler else [])]
        )


def _progress(company) -> dict[str, int]:
    from django.db import connection

    from fakturera.distribution.models import Delivery

    connection.close_if_unusable_or_obsolete()
    return dict(Counter(Delivery.objects.filter(company=company).values_list("state", flat=True)))


def _tasks_open() -> int:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).count()


def _run(args: argparse.Namespace, started: float) -> list[str]:
    import django
    from django.core.management import call_command
    from django.db import OperationalError, connection

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from bench.month_end import Sink, month_end_setup

    sink = Sink(refuse_every=5, stall_every=5, stall_seconds=5.0)
    case = month_end_setup(n=args.n, sink=sink)
    _say(started, f"set up: {args.n} recurring invoices due, the sink on port {case.smtp.port}")
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_bytes(b"")
    connection.close()
    rng = random.Random(args.seed)  # noqa: S311 - not a secret
    faults = Faults(workers=args.workers, rng=rng)
    try:
        time.sleep(3)
        faults.scheduler = faults.start("scheduler", log=LOG)
        _say(started, f"month-end triggered: the scheduler, {args.workers} task and {args.workers} delivery workers")
        triggered = time.monotonic()
        deadline = triggered + args.limit
        faults_until = deadline - SETTLE_SECONDS
        next_kill = time.monotonic() + args.kill_every
        final = {"sent", "uncertain", "failed", "stopped", "undone"}
        while True:
            now = time.monotonic()
            if now > faults_until:
                _say(started, "time limit of the faults reached")
                break
            try:
                states = _progress(case.company)
            except OperationalError:
                connection.close()
                time.sleep(1)
                continue
            ended = sum(count for state, count in states.items() if state in final)
            if ended >= args.n:
                break
            if now >= next_kill:
                role = faults.kill_one(min_age=args.min_age)
                next_kill = now + args.kill_every * rng.uniform(0.5, 1.5)
                if role:
                    _say(started, f"kill -9 a {role} worker; deliveries {states}")
            halfway = now >= faults_until - (faults_until - triggered) / 2
            if (
                args.postgres_restart
                and not faults.restarted_postgres
                and (states.get("sent", 0) >= args.n // 4 or halfway)
            ):
                _say(started, f"restarting PostgreSQL: {args.postgres_restart}")
                restart = subprocess.run(args.postgres_restart, shell=True, capture_output=True, text=True)  # noqa: S602 - the operator's command
                faults.restarted_postgres = True
                connection.close()
                _say(started, f"PostgreSQL restarted (exit {restart.returncode}) {restart.stderr.strip()[:200]}")
            faults.keep_alive()
            time.sleep(0.5)
        # The faults stop; what is left (retries after backoff, tasks of killed workers) finishes.
        _say(started, "faults stopped; waiting for the workers to finish what is left")
        while time.monotonic() < deadline:
            faults.keep_alive()
            try:
                states = _progress(case.company)
                open_tasks = _tasks_open()
            except OperationalError:
                connection.close()
                time.sleep(1)
                continue
            if not states.get("queued") and not states.get("sending") and not open_tasks:
                break
            time.sleep(1)
    finally:
        faults.stop()
        time.sleep(0.5)
    _say(started, f"stopped: killed {dict(faults.killed)}; sink refused {sink.refused_messages} messages, "
         f"stalled {sink.stalled}")  # fmt: skip
    try:
        return _check(case, faults)
    finally:
        case.smtp.stop()


def _check(case, faults: Faults) -> list[str]:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from bench.month_end import documents_mismatched, numbering_problem
    from fakturera.core.tasks import tasks_failed
    from fakturera.distribution.models import Delivery, DeliveryState
    from fakturera.documents.models import DocumentFormat, InvoiceDocument

    violations: list[str] = []

    def check(ok: bool, text: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {text}", flush=True)
        if not ok:
            violations.append(text)

    n = case.n
    problem = numbering_problem(case.company, n)
    check(not problem, problem or f"{n} invoices issued, numbered 1..{n} without a gap")

    deliveries = Delivery.objects.filter(company=case.company)
    states = Counter(deliveries.values_list("state", flat=True))
    per_invoice = deliveries.values("invoice_id").distinct().count()
    sent, uncertain = states.get(DeliveryState.SENT, 0), states.get(DeliveryState.UNCERTAIN, 0)
    check(
        sent + uncertain == n and per_invoice == n and deliveries.count() == n,
        f"deliveries {dict(states)} of {per_invoice} invoices: each invoice sent once or uncertain",
    )
    references = set(deliveries.filter(state=DeliveryState.SENT).values_list("reference", flat=True))
    with case.sink.lock:
        received = {message_id.decode() for message_id in case.sink.message_ids}
        repeated = sum(1 for count in case.sink.message_ids.values() if count > 1)
    missing = len(references - received)
    extra = len(received - references)
    check(
        missing == 0 and repeated == 0 and extra <= uncertain,
        f"the sink received {len(received)} messages: every sent one ({missing} missing), none twice ({repeated}),"
        f" {extra} more than sent (at most the {uncertain} uncertain)",
    )
    killed_delivery = faults.killed["deliver"]
    check(uncertain <= killed_delivery, f"{uncertain} uncertain, at most the {killed_delivery} delivery workers killed")
    claimed = states.get(DeliveryState.SENDING, 0) + states.get(DeliveryState.QUEUED, 0)
    check(claimed == 0, f"{claimed} deliveries left claimed or queued")

    for fmt in (DocumentFormat.PDF, DocumentFormat.UBL):
        documents = InvoiceDocument.objects.filter(invoice__company=case.company, format=fmt)
        count = documents.values("invoice_id").distinct().count()
        wrong = documents_mismatched(documents)
        check(count == n and not wrong, f"{count} of {n} invoices have a stored {fmt}; {len(wrong)} hashes wrong")

    open_tasks = DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).count()
    failed_for_good = tasks_failed().count()
    retried = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() - failed_for_good
    check(
        open_tasks == 0 and failed_for_good == 0,
        f"no task lost: {open_tasks} left ready or running, {failed_for_good} failed for good ({retried} retried)",
    )
    return violations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drills.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="recurring invoices in the month-end (20,000)")
    parser.add_argument("--workers", type=int, default=2, help="task workers, and as many delivery workers (2)")
    parser.add_argument("--kill-every", type=float, default=6.0, help="seconds between kills, on average (6)")
    parser.add_argument("--min-age", type=float, default=30.0, help="seconds a worker runs before it may be killed")
    parser.add_argument(
        "--limit", type=float, default=480.0, help="seconds from the trigger until the checks, at most (480)"
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--server-url", default=os.environ.get("CHAOS_SERVER_URL", DEFAULT_SERVER_URL))
    parser.add_argument("--database", default="fakturera_chaos")
    parser.add_argument(
        "--postgres-restart", default="pg_ctlcluster 15 main restart", help="the command that restarts PostgreSQL"
    )
    parser.add_argument("--no-postgres-restart", dest="postgres_restart", action="store_const", const="")
    args = parser.parse_args(argv)
    # Stopped from outside (a timeout, Ctrl-C): the workers it started are stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    started = time.monotonic()
    _prepare(args.server_url, args.database)
    violations = _run(args, started)
    _say(started, "chaos passed" if not violations else f"chaos FAILED: {len(violations)} violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
