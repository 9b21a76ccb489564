"""Each message's outcome is recorded as soon as the service accepts it, so a worker that
dies mid-chunk leaves at most the one message in flight uncertain (the kill test does it
with a real process; here the death is a BaseException thrown out of the session)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.channels.base import Outcome
from fakturera.distribution.channels.email import SmtpSession
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import _MARK_SQL, _mark, deliveries_claim, deliveries_sweep, deliveries_work
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


def test_a_claim_swept_back_before_any_message_went_does_not_use_up_an_attempt(company, admin_user):
    """Claimed, never handed over (the worker died, or lost its database, before sending it):
    certainly not at the service, so back to the queue, due now, and the claim's attempt given back."""
    invoices = [basis_registered(company, admin_user, "100.00") for _n in range(2)]
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in invoices])
    claimed = deliveries_claim(now=later())
    assert len(claimed) == 2
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}

    swept = deliveries_sweep(now=later(settings.DISTRIBUTION_LEASE_SECONDS + 1))

    assert swept == {"requeued": 2, "uncertain": 0, "sent": 0}
    assert set(Delivery.objects.values_list("state", "attempts", "handed_over_at", "lease_until")) == {
        (DeliveryState.QUEUED, 0, None, None)
    }
    assert set(sending_statuses(Invoice.objects.all()).values()) == {SendingStatus.QUEUED}


def test_a_claim_swept_back_again_and_again_never_fails_for_lack_of_attempts(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    for round_ in range(7):
        at = later(round_ * 1000)
        assert deliveries_claim(now=at)
        assert deliveries_sweep(now=at + dt.timedelta(seconds=settings.DISTRIBUTION_LEASE_SECONDS + 1))["requeued"] == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.QUEUED, 0)


def test_a_claim_handed_over_without_an_answer_is_uncertain_and_its_attempt_counts(company, admin_user):
    """The mark written just before the message's SMTP conversation begins: the message may have
    gone, so uncertain (never sent twice silently); the claim beside it, never marked, is queued."""
    in_flight, untried = (basis_registered(company, admin_user, "100.00") for _n in range(2))
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[in_flight.pk, untried.pk])
    deliveries_claim(now=later())
    handed = Delivery.objects.get(invoice=in_flight)
    assert _mark(None, hand_over=handed.pk)

    swept = deliveries_sweep(now=later(2 * settings.DISTRIBUTION_LEASE_SECONDS + 1))

    assert swept == {"requeued": 1, "uncertain": 1, "sent": 0}
    states = {d.invoice_id: (d.state, d.attempts) for d in Delivery.objects.all()}
    assert states == {in_flight.pk: (DeliveryState.UNCERTAIN, 1), untried.pk: (DeliveryState.QUEUED, 0)}
    assert sending_statuses(Invoice.objects.all()) == {
        in_flight.pk: SendingStatus.UNCERTAIN,
        untried.pk: SendingStatus.QUEUED,
    }


def test_a_mark_records_the_acceptance_and_hands_over_the_next_but_leaves_what_the_sweeper_judged(company, admin_user):
    """_mark, one statement per message: the accepted one gets its time and reference (its state
    follows with the chunk's record), the next is handed over. After the sweeper judged both (their
    lease ran out), a late mark changes neither and says the next is not ours to send."""
    first, second, third = (basis_registered(company, admin_user, "100.00") for _n in range(3))
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[first.pk, second.pk, third.pk])
    deliveries_claim(now=later())
    by_invoice = {d.invoice_id: d for d in Delivery.objects.all()}
    assert _mark(None, hand_over=by_invoice[first.pk].pk)

    assert _mark(Outcome(by_invoice[first.pk].pk, reference="<1@sink>"), hand_over=by_invoice[second.pk].pk)

    marked = {d.invoice_id: d for d in Delivery.objects.all()}
    assert (marked[first.pk].accepted_at is not None, marked[first.pk].reference) == (True, "<1@sink>")
    assert marked[second.pk].handed_over_at is not None
    assert (marked[third.pk].handed_over_at, marked[third.pk].accepted_at) == (None, None)

    deliveries_sweep(now=later(2 * settings.DISTRIBUTION_LEASE_SECONDS + 1))
    judged = {d.invoice_id: (d.state, d.accepted_at, d.reference) for d in Delivery.objects.all()}

    assert not _mark(Outcome(by_invoice[second.pk].pk, reference="<2@sink>"), hand_over=by_invoice[third.pk].pk)
    assert {d.invoice_id: (d.state, d.accepted_at, d.reference) for d in Delivery.objects.all()} == judged
    assert judged[second.pk][2] == ""
    assert Delivery.objects.get(invoice=third).handed_over_at is None


def test_a_failed_send_still_counts_its_attempt(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    with SmtpServer(refuse_with="451 Try again later") as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        assert deliveries_work(now=later()).retried == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.handed_over_at) == (DeliveryState.QUEUED, 1, None)


@pytest.mark.postgres
def test_marks_wait_for_the_disk_and_for_a_synchronous_standby():
    """The marks commit durably: on the local disk (local), and with a synchronous standby also
    in its memory (remote_write; `make ha-drill` saw invoices e-mailed twice when they did not),
    so a mark survives a worker's death, a restart or crash of the server and a failover. An
    operator's synchronous_commit = off does not reach them. Afterwards the session has the server's setting again."""
    from django.db import connection

    from fakturera.distribution.worker import _durable_marks

    def setting(name: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT current_setting('{name}')")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    with _durable_marks():
        inside = setting("synchronous_commit")
    standby = setting("synchronous_standby_names")
    assert inside == ("local" if standby == "" else "remote_write")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'")
        assert setting("synchronous_commit") == cursor.fetchone()[0]


OLD_MARK_WHERE = " WHERE id IN (%(first)s, %(last)s) AND state = %(sending)s"


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["as it is", "with the state in the WHERE"])
def test_a_mark_finds_its_two_rows_by_primary_key_on_statistics_older_than_the_queue(company, where):
    """The statistics of a table whose deliveries had all ended (as ANALYZE last saw it), then a
    month-end's queue: the per-message mark still reads its two rows through the primary key. With
    the state in the WHERE (as it was), PostgreSQL scanned the partial index of every active
    delivery for each message (perf on the month-end at 100,000)."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (company_id, batch_id, invoice_id, purpose, channel, template, recipient, address,"  # noqa: S608
            " state, attempts, next_attempt_at, idempotency_key, previous_sending_status, previous_reminder_count,"
            " error, reference, created_at)"
            " SELECT %s, 0, n, 'invoice', 'email', 'standard', '', '{}', 'sent', 1, now(), gen_random_uuid(), '', 0,"
            " '', '', now() FROM generate_series(1, 50000) n",
            [company.pk],
        )
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"UPDATE {table} SET state = 'queued' WHERE invoice_id > 5000")  # noqa: S608
        cursor.execute(f"SELECT min(id) FROM {table}")  # noqa: S608
        first = cursor.fetchone()[0]
        sql = _MARK_SQL.format(table=table)
        params = {
            "sending": "sending", "hand_over": first + 1, "now": timezone.now(), "lease_until": later(),
            "refused": None, "accepted": first, "reference": "<1@sink>", "first": first, "last": first + 1,
        }  # fmt: skip
        if where != "as it is":
            sql = sql[: sql.index(" WHERE")] + OLD_MARK_WHERE + sql[sql.index(" RETURNING") :]
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    by_primary_key = "distribution_delivery_pkey" in plan
    assert by_primary_key == (where == "as it is"), plan
