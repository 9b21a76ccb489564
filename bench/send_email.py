"""`send_email`: N queued invoices, their PDFs already stored, delivered by e-mail with the
PDF attached to an SMTP server on loopback by two worker processes.

Setup (not timed) makes the company with its e-mail channel (undo window 0), N issued
invoices with their stored PDF (rendering is what `pdf` measures) and queues them all
with one `invoices_send`, as the Send dialog does. The timed part starts two
`fakturera deliver --until-idle` processes and waits until both are done: they claim
batches with row locks, send over one SMTP connection per batch and record outcomes
in bulk. `send_email_verify` checks that every invoice is sent, and that the server
received each one exactly once, with its PDF.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from stdnum import luhn

from bench.loopback import email_to_sink, smtp_sink
from fakturera.distribution.models import Delivery, DeliveryState, InvoiceSending, SendBatch
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingStatus
from fakturera.invoicing.tests.factories import issued_invoices_with_pdfs
from fakturera.parties.models import Company
from fakturera.parties.services import company_create

BENCH_ORG_NUMBER_BASE = "559900789"
WORKERS = 2


@dataclass
class Counting:
    """Counts Message-IDs as the server receives them; parsing is left to verify."""

    message_ids: Counter = field(default_factory=Counter)
    with_pdf: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        content = envelope.content
        head = content[: content.find(b"\r\n\r\n")]
        start = head.find(b"Message-ID: ")
        message_id = head[start + 12 : head.find(b"\r\n", start)] if start >= 0 else b""
        with self.lock:
            self.message_ids[message_id] += 1
            self.with_pdf += b"Content-Type: application/pdf" in content
        return "250 OK"


@dataclass
class SendEmailCase:
    company: Company
    batch: SendBatch
    n: int
    smtp: Controller
    counting: Counting


def send_email_setup(*, n: int) -> SendEmailCase:
    actor, _created = get_user_model().objects.get_or_create(username="bench")
    org_number = BENCH_ORG_NUMBER_BASE + luhn.calc_check_digit(BENCH_ORG_NUMBER_BASE)
    company = company_create(
        actor=actor,
        name="Utskicket AB",
        org_number=org_number,
        vat_number=f"SE{org_number}01",
        bankgiro="991-2346",
        address_line1="Postvägen 1",
        postal_code="111 22",
        city="Stockholm",
    )
    counting = Counting()
    smtp = smtp_sink(counting)
    email_to_sink(company, smtp.port, from_email="faktura@utskicket.example")
    ids = issued_invoices_with_pdfs(company=company, actor=actor, n=n)
    batch = invoices_send(company=company, actor=actor, invoice_ids=ids)
    if batch.queued_count != n:
        raise AssertionError(f"{batch.queued_count} queued, expected {n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return SendEmailCase(company=company, batch=batch, n=n, smtp=smtp, counting=counting)


def send_email_run(case: SendEmailCase) -> float:
    """Seconds from starting the workers until both have nothing left to deliver."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fakturera.settings"}
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "django", "deliver", "--until-idle"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        _out, errors = worker.communicate()
        if worker.returncode != 0:
            raise AssertionError(f"a worker failed: {errors.decode()[-2000:]}")
    return time.perf_counter() - started


def send_email_verify(case: SendEmailCase) -> None:
    try:
        states = Counter(Delivery.objects.filter(batch=case.batch).values_list("state", flat=True))
        if states != {DeliveryState.SENT: case.n}:
            raise AssertionError(f"deliveries {dict(states)}, expected {case.n} sent")
        sent = InvoiceSending.objects.filter(invoice__company=case.company, status=SendingStatus.SENT).count()
        if sent != case.n:
            raise AssertionError(f"{sent} invoices sent, expected {case.n}")
        with case.counting.lock:
            received, repeats, with_pdf = (
                len(case.counting.message_ids),
                max(case.counting.message_ids.values()),
                case.counting.with_pdf,
            )
        if received != case.n or repeats != 1 or with_pdf != case.n:
            raise AssertionError(
                f"the server received {received} messages ({with_pdf} with a PDF), most {repeats} times"
            )
    finally:
        case.smtp.stop()
