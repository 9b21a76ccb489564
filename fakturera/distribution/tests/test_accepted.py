"""Each message's outcome is recorded as soon as the service accepts it, so a worker that
dies mid-chunk leaves at most the one message in flight uncertain (the kill test does it
with a real process; here the death is a BaseException thrown out of the session)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.channels.email import SmtpSession
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import deliveries_sweep, deliveries_work
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import basis_registered

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """What SIGKILL would be: nothing of the worker's own handling runs after it."""


def later(seconds: int = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10, seconds=seconds)


def test_a_worker_dying_mid_chunk_leaves_only_the_message_in_flight_uncertain(company, admin_user, monkeypatch):
    invoices = [basis_registered(company, admin_user, "100.00") for _n in range(5)]
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in invoices])
        real_send = SmtpSession.send

        def send(session, jobs):
            for number, outcome in enumerate(real_send(session, jobs), start=1):
                if number == 3:
                    raise Killed  # the server took the third message; its answer never came back
                yield outcome

        monkeypatch.setattr(SmtpSession, "send", send)
        with pytest.raises(Killed):
            deliveries_work(now=later())
        assert len(smtp.received) == 3

        # the two accepted are marked so (committed) though the chunk was never recorded
        marked = dict(Delivery.objects.filter(accepted_at__isnull=False).values_list("invoice_id", "reference"))
        assert set(marked) == {invoices[0].pk, invoices[1].pk}
        received_ids = {r.message["Message-ID"] for r in smtp.received}
        assert set(marked.values()) <= received_ids

        swept = deliveries_sweep(now=later(settings.DISTRIBUTION_LEASE_SECONDS + 1))

    assert swept == {"sent": 2, "uncertain": 1, "requeued": 2}
    states = dict(Delivery.objects.values_list("invoice_id", "state"))
    assert [states[i.pk] for i in invoices] == [
        DeliveryState.SENT,
        DeliveryState.SENT,
        DeliveryState.UNCERTAIN,
        DeliveryState.QUEUED,
        DeliveryState.QUEUED,
    ]
    assert Counter(sending_statuses(Invoice.objects.all()).values()) == {
        SendingStatus.SENT: 2,
        SendingStatus.UNCERTAIN: 1,
        SendingStatus.QUEUED: 2,
    }
    # the sent ones have their history with the Message-ID the server got
    event = invoices[0].events.get(kind=SendingEvent.SENT)
    assert event.params["reference"] == marked[invoices[0].pk]


def test_after_a_death_the_next_worker_sends_the_rest_once(company, admin_user, monkeypatch):
    invoices = [basis_registered(company, admin_user, "100.00") for _n in range(3)]
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in invoices])
        real_send = SmtpSession.send

        def dying(session, jobs):
            for outcome in real_send(session, jobs):
                yield outcome
                raise Killed

        monkeypatch.setattr(SmtpSession, "send", dying)
        with pytest.raises(Killed):
            deliveries_work(now=later())
        monkeypatch.setattr(SmtpSession, "send", real_send)
        deliveries_sweep(now=later(settings.DISTRIBUTION_LEASE_SECONDS + 1))
        deliveries_work(now=later(settings.DISTRIBUTION_LEASE_SECONDS + 2))

        received = Counter(r.message["Message-ID"] for r in smtp.received)
    # the first accepted; the second handed over when the worker died (uncertain: it might have
    # gone); the third never handed over, so the next worker sent it, once
    assert set(received.values()) == {1}
    assert len(received) == 2
    states = dict(Delivery.objects.values_list("invoice_id", "state"))
    assert [states[i.pk] for i in invoices] == [DeliveryState.SENT, DeliveryState.UNCERTAIN, DeliveryState.SENT]


@pytest.mark.postgres
def test_marks_skip_the_disk_wait_but_never_a_synchronous_standby():
    """Without a synchronous standby the marks commit without waiting for the disk; with one
    they wait for the standby (remote_write), so a failover loses none (`make ha-drill` saw
    invoices e-mailed twice when they did not). Afterwards the session's setting is back."""
    from django.db import connection

    from fakturera.distribution.worker import _fast_commits

    def setting(name: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT current_setting('{name}')")
            return cursor.fetchone()[0]

    before = setting("synchronous_commit")
    with _fast_commits():
        inside = setting("synchronous_commit")
    standby = setting("synchronous_standby_names")
    assert inside == ("off" if standby == "" else "remote_write")
    assert setting("synchronous_commit") == before
