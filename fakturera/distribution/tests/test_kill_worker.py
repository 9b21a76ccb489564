"""Delivery workers killed (SIGKILL) in the middle of a 2,000-invoice e-mail batch, then
restarted: every invoice arrives exactly once or is marked uncertain; none is lost,
none arrives twice, and at most the one message each dead worker had in flight is
uncertain: every message the server accepted is recorded as sent. Counted by what the
SMTP server received (PostgreSQL: real row locks, real processes)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import deliveries_sweep
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import issued_invoices_with_pdfs

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 2000


def worker(*args: str) -> subprocess.Popen:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "fakturera.settings",
        # Its SMTP server listens on loopback, which production refuses (core/net.py).
        "FAKTURERA_OUTBOUND_ALLOW_PRIVATE": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", "deliver", "--claim", "200", *args],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.05)


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(company, admin_user):
    ids = issued_invoices_with_pdfs(company=company, actor=admin_user, n=N)
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, undo_minutes=0)
        batch = invoices_send(company=company, actor=admin_user, invoice_ids=ids)
        assert batch.queued_count == N

        # when two workers are killed mid-way through the batch
        workers = [worker(), worker()]
        wait_for(lambda: len(smtp.received) >= 425 or any(w.poll() is not None for w in workers), seconds=120)
        for each in workers:
            each.send_signal(signal.SIGKILL)
            each.wait()
        killed_at = len(smtp.received)
        assert killed_at < N, "the workers finished before they could be killed"

        # and, once their leases have run out, the sweeper and a new worker carry on
        # (425: inside a chunk of 50, so some of it has arrived and the rest has not)
        swept = deliveries_sweep(now=timezone.now() + dt.timedelta(seconds=settings.DISTRIBUTION_LEASE_SECONDS + 1))
        second = worker("--until-idle")
        _out, errors = second.communicate(timeout=300)
        assert second.returncode == 0, errors.decode()
        received = Counter(r.message["Message-ID"] for r in smtp.received)

    # then nothing arrived twice, every sent one arrived once, and only uncertain ones may be missing
    assert max(received.values()) == 1
    deliveries = list(Delivery.objects.filter(batch=batch))
    states = Counter(d.state for d in deliveries)
    assert set(states) <= {DeliveryState.SENT, DeliveryState.UNCERTAIN}, states
    assert states[DeliveryState.UNCERTAIN] == swept["uncertain"]
    host = "127.0.0.1"
    for delivery in deliveries:
        arrived = received[f"<{delivery.idempotency_key}@{host}>"]
        if delivery.state == DeliveryState.SENT:
            assert arrived == 1, delivery.pk
        else:
            assert arrived <= 1
    assert sum(received.values()) == len(received) >= N - states[DeliveryState.UNCERTAIN]
    # the uncertain ones are at most the message each dead worker had in flight, and every
    # message the server received is sent but those
    assert states[DeliveryState.UNCERTAIN] <= len(workers)
    arrived_not_sent = [
        d for d in deliveries if received[f"<{d.idempotency_key}@{host}>"] and d.state != DeliveryState.SENT
    ]
    assert len(arrived_not_sent) <= len(workers)
    statuses = Counter(sending_statuses(Invoice.objects.filter(pk__in=ids)).values())
    assert statuses == {
        SendingStatus.SENT: states[DeliveryState.SENT],
        **({SendingStatus.UNCERTAIN: states[DeliveryState.UNCERTAIN]} if states[DeliveryState.UNCERTAIN] else {}),
    }
