"""The delivery worker and the sweeper across a restart of the PostgreSQL server (issue 17,
`make chaos`). A restart ends every session; pg_terminate_backend ends the worker's own, which
is what the worker sees of a restart. The marks are durable (committed to disk before the
message goes), so a delivery claimed before the server started and never marked was never
handed over: back to the queue, not uncertain. Only a message in flight when its worker died
is uncertain, and a worker that lives reconnects and records what it knows."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution import worker
from fakturera.distribution.channels.email import SmtpSession
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import _mark, deliveries_claim, deliveries_sweep, deliveries_work
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import basis_registered

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Killed(BaseException):
    """What SIGKILL would be: nothing of the worker's own handling runs after it."""


def later(seconds: float = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10, seconds=seconds)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """From another session, as the server's shutdown would: the worker's connection ends."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0]
    finally:
        other.close()


def queued(company, admin_user, n: int) -> list[Invoice]:
    invoices = [basis_registered(company, admin_user, "100.00") for _n in range(n)]
    invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in invoices])
    return invoices


def test_a_worker_whose_connection_ends_mid_send_reconnects_and_records_what_it_knows(company, admin_user, monkeypatch):
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices = queued(company, admin_user, 6)
        real_send = SmtpSession.send
        terminated = []

        def send(session, jobs):
            for number, outcome in enumerate(real_send(session, jobs), start=1):
                if number == 3:
                    # The server restarts while the third message is at the SMTP server: its
                    # acceptance can only be written on a new connection.
                    pid = backend_pid()
                    terminate(pid)
                    terminated.append(pid)
                yield outcome

        monkeypatch.setattr(SmtpSession, "send", send)
        done = deliveries_work(now=later())
        received = Counter(r.message["Message-ID"] for r in smtp.received)

    assert terminated
    assert backend_pid() != terminated[0]
    assert (done.claimed, done.sent, done.retried, done.failed) == (6, 6, 0, 0)
    assert len(received) == 6
    assert set(received.values()) == {1}
    deliveries = list(Delivery.objects.all())
    assert {(d.state, d.attempts) for d in deliveries} == {(DeliveryState.SENT, 1)}
    assert {d.reference for d in deliveries} == set(received)
    assert set(sending_statuses(Invoice.objects.filter(pk__in=[i.pk for i in invoices])).values()) == {
        SendingStatus.SENT
    }


def test_a_worker_that_loses_the_database_before_sending_gives_its_claim_back_untouched(
    company, admin_user, monkeypatch
):
    """The connection ends while the chunk is being prepared (nothing handed over yet): once the
    database answers again the claim goes back to the queue, due now, no attempt used up."""
    email_channel(company, 25)
    queued(company, admin_user, 4)
    real_prepare = worker._prepare

    def prepare(*args, **kwargs):
        terminate(backend_pid())
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(worker, "_prepare", prepare)
    done = deliveries_work(now=later())

    assert (done.claimed, done.deferred, done.sent, done.retried) == (4, 4, 0, 0)
    assert set(Delivery.objects.values_list("state", "attempts", "handed_over_at", "lease_until")) == {
        (DeliveryState.QUEUED, 0, None, None)
    }


def test_a_worker_killed_after_its_connection_ended_leaves_only_its_message_in_flight_uncertain(
    company, admin_user, monkeypatch
):
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices = queued(company, admin_user, 5)
        real_send = SmtpSession.send

        def send(session, jobs):
            for number, outcome in enumerate(real_send(session, jobs), start=1):
                if number == 3:
                    terminate(backend_pid())
                    raise Killed  # the third message reached the server; the worker died then
                yield outcome

        monkeypatch.setattr(SmtpSession, "send", send)
        with pytest.raises(Killed):
            deliveries_work(now=later())
        connection.close()
        assert len(smtp.received) == 3
        swept = deliveries_sweep(now=later(settings.DISTRIBUTION_LEASE_SECONDS + 1))

    assert swept == {"sent": 2, "uncertain": 1, "requeued": 2}
    states = {d.invoice_id: (d.state, d.attempts) for d in Delivery.objects.all()}
    assert [states[i.pk] for i in invoices] == [
        (DeliveryState.SENT, 1),
        (DeliveryState.SENT, 1),
        (DeliveryState.UNCERTAIN, 1),
        (DeliveryState.QUEUED, 0),
        (DeliveryState.QUEUED, 0),
    ]


def test_claims_older_than_the_server_are_judged_by_their_marks(company, admin_user):
    """Deliveries claimed before the server (re)started: the marks survived it (durable), so the
    never marked go back to the queue without using an attempt and only the one marked handed
    over is uncertain (before issue 17 every one of them was uncertain)."""
    email_channel(company, 25)
    in_flight, *untried = queued(company, admin_user, 3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        started = cursor.fetchone()[0]
    assert len(deliveries_claim(now=later())) == 3
    assert _mark(None, hand_over=Delivery.objects.get(invoice=in_flight).pk)
    # claimed (and marked) a lease before the server started, the lease ending just before it
    Delivery.objects.update(lease_until=started - dt.timedelta(seconds=1))

    swept = deliveries_sweep()

    assert swept == {"requeued": 2, "uncertain": 1, "sent": 0}
    states = {d.invoice_id: (d.state, d.attempts) for d in Delivery.objects.all()}
    assert states == {
        in_flight.pk: (DeliveryState.UNCERTAIN, 1),
        untried[0].pk: (DeliveryState.QUEUED, 0),
        untried[1].pk: (DeliveryState.QUEUED, 0),
    }
