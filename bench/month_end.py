"""`month_end`: a whole month-end as an operator runs it. N recurring invoices of two lines,
due this month, for customers with an e-mail address, are generated, issued, rendered (PDF
and UBL, stored with their SHA-256) and delivered by e-mail with the PDF to an SMTP sink on
loopback, by the product's own processes: the scheduler (its generation job is due at
start-up), W task workers (`fakturera db_worker`) and W delivery workers (`fakturera
deliver`).

Setup writes the company (its e-mail channel pointing at the sink, no undo window), N
customers, N recurring invoices that issue automatically and 2N lines with bulk inserts and
is not timed; the task and delivery workers are started and idle before the clock starts.
The timed part runs from starting the scheduler (the trigger) until the sink accepted the
last of the N messages. The stages' times come from the database afterwards: generation and
issue (orders' `created_at` to the last `issued_at`), documents (the stored documents'
`created_at`) and delivery (the deliveries' `accepted_at`); they overlap, as the stages run
side by side. `month_end_verify` checks numbers 1..N without a gap, N stored PDFs and N UBL
files whose SHA-256 matches their bytes, N sent deliveries, one per invoice, and N messages
at the sink, each once.

`drills/chaos.py` runs the same month-end while it kills workers; both start the product's
processes through `product_command`.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone
from stdnum import luhn

from bench.loopback import LeanSmtp, email_to_sink, machine_cpu_seconds, stop_processes
from fakturera.core.bulk import bulk_insert
from fakturera.core.models import ScheduledRun
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import documents_verify
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.services import company_create
from fakturera.recurring.models import RecurringInvoice, RecurringLine

ROOT = Path(__file__).resolve().parent.parent
ORG_NUMBER_BASE = "55990098"  # + the run's digit + the check digit: each run a company of its own
DEFAULT_WORKERS = (1, 2, 4)
TIMEOUT_SECONDS = 1800


def product_command(role: str) -> list[str]:
    """The command an operator starts for one of the product's processes: `fakturera serve --role
    tasks|deliver|scheduler` (README, "Production"), one process each, so a kill -9 of it is the
    kill of that worker."""
    return [sys.executable, "-m", "fakturera", "serve", "--role", role, "--processes", "1"]


def start(role: str, *, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        product_command(role), cwd=ROOT, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT
    )


@dataclass
class Sink:
    """An SMTP server on loopback that accepts every message and counts its Message-ID. For the
    chaos drill it refuses (421) the messages of every n-th connection and stalls others a while."""

    refuse_every: int = 0  # every n-th connection's messages get 421 (try again later); 0: none
    stall_every: int = 0  # every n-th connection (another) waits `stall_seconds` before its greeting
    stall_seconds: float = 5.0
    connections: int = 0
    message_ids: Counter = field(default_factory=Counter)
    with_pdf: int = 0
    refused_messages: int = 0
    stalled: int = 0
    last_accepted: float = 0.0  # time.time() of the last 250
    lock: threading.Lock = field(default_factory=threading.Lock)

    def connected(self) -> tuple[bool, float]:
        """`LeanSmtp`'s question for each new connection: refuse its messages, stall it?"""
        with self.lock:
            self.connections += 1
            number = self.connections
            refusing = bool(self.refuse_every) and number % self.refuse_every == 1
            stalling = bool(self.stall_every) and not refusing and number % self.stall_every == self.stall_every // 2
            self.stalled += stalling
        return refusing, self.stall_seconds if stalling else 0.0

    def refused(self) -> None:
        with self.lock:
            self.refused_messages += 1

    def accepted(self, content: bytes) -> None:
        begin = content.find(b"Message-ID: ", 0, content.find(b"\r\n\r\n"))  # in the header
        message_id = content[begin + 12 : content.find(b"\r\n", begin)] if begin >= 0 else b""
        with_pdf = b"Content-Type: application/pdf" in content
        with self.lock:
            self.message_ids[message_id] += 1
            self.with_pdf += with_pdf
            self.last_accepted = time.time()

    @property
    def received(self) -> int:
        with self.lock:
            return len(self.message_ids)


@dataclass
class MonthEndCase:
    company: Company
    n: int
    sink: Sink
    smtp: LeanSmtp
    started: float = 0.0  # time.time() of the trigger
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the product's processes (user + system)
    machine_cpu_seconds: float = 0.0  # every process on the machine (PostgreSQL, others' work too)
    role_cpu_seconds: Counter = field(default_factory=Counter)  # per role, at the last message, start-up included
    extra: dict[str, str] = field(default_factory=dict)


def month_end_setup(*, n: int, run: int = 0, sink: Sink | None = None) -> MonthEndCase:
    """A company with N customers and their recurring invoices, due between the 1st and today."""
    actor, _created = get_user_model().objects.get_or_create(username="bench-month-end")
    base = ORG_NUMBER_BASE + str(run % 10)
    org_number = base + luhn.calc_check_digit(base)
    company = company_create(
        actor=actor,
        name=f"Månadsskiftet {run} AB",
        org_number=org_number,
        vat_number=f"SE{org_number}01",
        bankgiro="991-2346",
        address_line1="Bokslutsgatan 1",
        postal_code="111 22",
        city="Stockholm",
    )
    sink = sink or Sink()
    smtp = LeanSmtp(sink).start()
    email_to_sink(company, smtp.port, from_email="faktura@manad.example")
    bulk_insert(
        Customer,
        ("company_id", "kind", "number", "name", "email", "address_line1", "postal_code", "city"),
        (
            (company.pk, CustomerKind.PERSON, 1001 + index, f"Kund {index}", f"kund{index}@post.example",
             f"Gatan {index % 200 + 1}", "123 45", "Västerås")
            for index in range(n)
        ),
    )  # fmt: skip
    customer_ids = list(Customer.objects.filter(company=company).order_by("pk").values_list("pk", flat=True))
    bulk_insert(
        RecurringInvoice,
        ("company_id", "customer_id", "description", "currency", "is_issued_automatically", "created_by_id"),
        ((company.pk, customer_id, "Webbhotell", "SEK", True, actor.pk) for customer_id in customer_ids),
    )
    recurring_ids = list(RecurringInvoice.objects.filter(company=company).order_by("pk").values_list("pk", flat=True))
    today = timezone.localdate()
    columns = (
        "recurring_invoice_id", "position", "product_id", "description", "quantity", "unit", "unit_price",
        "vat_category", "vat_rate", "account_code", "pricing", "frequency", "factor", "start_on", "next_on",
    )  # fmt: skip

    def rows():
        for index, recurring_id in enumerate(recurring_ids):
            day = today.replace(day=1 + index % today.day)  # due this month, up to today
            yield (recurring_id, 1, None, "Webbhotell", Decimal("1"), "mån", Decimal("199.0000"), "S",
                   Decimal("25.00"), "3001", "fixed", "monthly", 1, day, day)  # fmt: skip
            yield (recurring_id, 2, None, "Domänavgift", Decimal("1"), "st", Decimal("150.0000"), "S",
                   Decimal("25.00"), "3001", "fixed", "yearly", 1, day, day)  # fmt: skip

    bulk_insert(RecurringLine, columns, rows())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return MonthEndCase(company=company, n=n, sink=sink, smtp=smtp)


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread) a running process has used so far, its start-up
    included; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


LOG = ROOT / "var" / "month_end.log"


def month_end_run(case: MonthEndCase, *, workers: int) -> float:
    """Seconds from the scheduler's start (the generation job is due) until the sink accepted
    the N-th message, with `workers` task workers and as many delivery workers. The processes'
    output goes to var/month_end.log."""
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_bytes(b"")
    processes = [start("tasks", log=LOG) for _ in range(workers)] + [start("deliver", log=LOG) for _ in range(workers)]
    try:
        time.sleep(3)  # the workers have imported everything and found nothing to do
        cpu_before, machine_before = _children_cpu(), machine_cpu_seconds()
        # Each run is a month-end of its own: the daily generation job is due again, as on the
        # next month's day (an earlier run in this database has done today's).
        ScheduledRun.objects.all().delete()
        case.started = time.time()
        processes.append(start("scheduler", log=LOG))
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while case.sink.received < case.n:
            if time.monotonic() > deadline:
                raise AssertionError(f"{case.sink.received} of {case.n} messages after {TIMEOUT_SECONDS} s (see {LOG})")
            dead = [process.args for process in processes if process.poll() is not None]
            if dead:
                raise AssertionError(f"a worker stopped: {dead}")
            time.sleep(0.2)
        case.seconds = case.sink.last_accepted - case.started
        roles = [*["tasks"] * workers, *["deliver"] * workers, "scheduler"]
        case.role_cpu_seconds = Counter()
        for role, process in zip(roles, processes, strict=True):
            case.role_cpu_seconds[role] += _process_cpu(process.pid)
    finally:
        stop_processes(processes)
    case.cpu_seconds = _children_cpu() - cpu_before
    case.machine_cpu_seconds = machine_cpu_seconds() - machine_before
    case.extra = _stages(case)
    return case.seconds


def _stages(case: MonthEndCase) -> dict[str, str]:
    """Each stage's window (first to last of its timestamps), from the trigger, in seconds."""
    started = dt.datetime.fromtimestamp(case.started, tz=dt.UTC)
    invoices = Invoice.objects.filter(company=case.company).aggregate(first=Min("created_at"), last=Max("issued_at"))
    documents = InvoiceDocument.objects.filter(invoice__company=case.company).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    deliveries = Delivery.objects.filter(company=case.company).aggregate(
        first=Min("accepted_at"), last=Max("accepted_at")
    )
    extra = {}
    for name, window in (("issue", invoices), ("documents", documents), ("delivery", deliveries)):
        first, last = ((window[key] - started).total_seconds() for key in ("first", "last"))
        extra[f"{name}_s"] = f"{first:.0f}-{last:.0f}"
        extra[f"{name}_share"] = f"{(last - first) / case.seconds:.0%}"
    extra["cpu_s"] = f"{case.cpu_seconds:.0f}"
    for role in ("tasks", "deliver", "scheduler"):
        extra[f"{role}_cpu_s"] = f"{case.role_cpu_seconds[role]:.1f}"
    extra["machine_cpu_s"] = f"{case.machine_cpu_seconds:.0f}"
    return extra


def documents_mismatched(documents) -> list[int]:
    """The ids of stored documents whose SHA-256 does not match their bytes (streamed, in chunks,
    read as every reader reads them: documents.services.document_bytes, the row or the S3 store)."""
    return documents_verify(documents, chunk_size=2000)[1]


def numbering_problem(company: Company, n: int) -> str:
    """'' when the company's invoices are numbered 1..n, each number once; else what is wrong."""
    invoices = Invoice.objects.filter(company=company).exclude(status=InvoiceStatus.DRAFT)
    summary = invoices.aggregate(count=Count("pk"), distinct=Count("number", distinct=True), first=Min("number"),
                                 last=Max("number"))  # fmt: skip
    expected = {"count": n, "distinct": n, "first": 1, "last": n}
    return "" if summary == expected else f"invoices {summary}, expected {expected}"


def month_end_verify(case: MonthEndCase) -> None:
    try:
        problems = [numbering_problem(case.company, case.n)]
        for fmt in (DocumentFormat.PDF, DocumentFormat.UBL):
            documents = InvoiceDocument.objects.filter(invoice__company=case.company, format=fmt)
            count = documents.values("invoice_id").distinct().count()
            wrong = documents_mismatched(documents)
            if count != case.n or wrong:
                problems.append(f"{count} invoices with a {fmt} of {case.n}; {len(wrong)} hashes wrong")
        deliveries = Delivery.objects.filter(company=case.company)
        states = Counter(deliveries.values_list("state", flat=True))
        once = deliveries.values("invoice_id").distinct().count()
        if states != {DeliveryState.SENT: case.n} or once != case.n:
            problems.append(f"deliveries {dict(states)} for {once} invoices, expected {case.n} sent")
        with case.sink.lock:
            counts, with_pdf = case.sink.message_ids, case.sink.with_pdf
            received, most = len(counts), max(counts.values(), default=0)
        if received != case.n or most != 1 or with_pdf != case.n:
            problems.append(f"the sink received {received} messages ({with_pdf} with a PDF), one {most} times")
        problems = [problem for problem in problems if problem]
        if problems:
            raise AssertionError("; ".join(problems))
    finally:
        case.smtp.stop()


def month_end_measure(
    n: int, workers: tuple[int, ...] = DEFAULT_WORKERS
) -> Iterator[tuple[int, float, dict[str, str]]]:
    """One month-end of N invoices for each number of workers, each with a company of its own;
    each result as soon as its run is verified (a run at 100,000 takes ten minutes)."""
    for run, count in enumerate(workers):
        case = month_end_setup(n=n, run=run)
        month_end_run(case, workers=count)
        month_end_verify(case)
        yield count, case.seconds, {"workers": str(count), **case.extra}
