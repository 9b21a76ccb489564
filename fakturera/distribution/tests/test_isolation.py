"""One bad delivery, company or channel fails alone: the rest of the round goes on.

Poison data is stored directly (a control character in a line's description or a
customer's name, written past the input checks with .update()), as an old row or
another path into the database could leave it; the worker must cope with it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.channels.email import EmailChannel, SmtpSession
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import CLAIM_SIZE, deliveries_claim, deliveries_work
from fakturera.documents.models import InvoiceDocument
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.tests.factories import basis_registered, issued_invoices_with_pdfs
from fakturera.parties.models import Channel, Customer
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.django_db


def later(seconds: int = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10, seconds=seconds)


def poisoned(invoice: Invoice, *, name: bool = False) -> Invoice:
    """The invoice's stored text made unprintable, and its documents gone (their rendering failed)."""
    InvoiceLine.objects.filter(invoice=invoice).update(description="Behandling\x0bdel 2")
    Invoice.objects.filter(pk=invoice.pk).update(buyer={**invoice.buyer, "name": "Anna\x0bAndersson"})
    if name:
        Customer.objects.filter(pk=invoice.customer_id).update(name="Anna\x0bAndersson")
    InvoiceDocument.objects.filter(invoice=invoice).delete()
    return invoice


@pytest.fixture
def other(db):
    company = CompanyFactory()
    return company, StaffFactory(company=company, role="admin").user


def by_directory(company) -> None:
    channel_setting_save(
        company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "directory", "directory": "ut"}
    )
    distribution_settings_save(
        company=company, default_channel=Channel.EXPORT, reserve_channel="", reminder_channel="", undo_minutes=5
    )


def test_an_invoice_whose_ubl_cannot_be_built_fails_alone_and_the_round_goes_on(
    company, admin_user, other, tmp_path, settings
):
    settings.EXPORT_ROOT = tmp_path
    other_company, other_user = other
    with SmtpServer() as smtp:
        # company A exports its invoices as files (UBL and PDF); company B sends by e-mail
        by_directory(company)
        email_channel(other_company, smtp.port)
        # company A: one poisoned invoice (no UBL can hold U+000B) and one good one; company B: a good one
        bad = poisoned(basis_registered(company, admin_user, "250.00"), name=True)
        good_a = basis_registered(company, admin_user, "300.00")
        good_b = basis_registered(other_company, other_user, "400.00")
        invoices_send(company=company, actor=admin_user, invoice_ids=[bad.pk, good_a.pk])
        invoices_send(company=other_company, actor=other_user, invoice_ids=[good_b.pk])

        done = deliveries_work(now=later())

        assert len(smtp.received) == 1
    assert (done.claimed, done.sent, done.failed) == (3, 2, 1)
    states = dict(Delivery.objects.values_list("invoice_id", "state"))
    assert states == {bad.pk: DeliveryState.FAILED, good_a.pk: DeliveryState.SENT, good_b.pk: DeliveryState.SENT}
    assert not Delivery.objects.filter(state=DeliveryState.SENDING).exists()
    assert sorted(p.name for p in (tmp_path / str(company.pk) / "ut").iterdir()) == [
        f"{company.pk}-{good_a.display_number}.pdf",
        f"{company.pk}-{good_a.display_number}.xml",
    ]
    statuses = sending_statuses(Invoice.objects.all())
    assert statuses == {bad.pk: SendingStatus.UNSENT, good_a.pk: SendingStatus.SENT, good_b.pk: SendingStatus.SENT}
    # the failure is in the invoice's history in plain words: no traceback, no server path
    failure = describe(bad.events.get(kind=SendingEvent.SEND_FAILED))
    assert "Peppol XML could not be made from its stored text" in failure
    assert "Traceback" not in failure
    assert "/" not in failure
    assert "could not be made" in Delivery.objects.get(invoice=bad).error


def test_an_e_mail_with_a_control_character_in_its_text_still_goes(company, admin_user, other):
    other_company, other_user = other
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        email_channel(other_company, smtp.port)
        odd = poisoned(basis_registered(company, admin_user, "250.00"), name=True)
        good = basis_registered(other_company, other_user, "400.00")
        invoices_send(company=company, actor=admin_user, invoice_ids=[odd.pk])
        invoices_send(company=other_company, actor=other_user, invoice_ids=[good.pk])

        deliveries_work(now=later())

        assert len(smtp.received) == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_a_message_that_cannot_be_built_fails_alone(company, admin_user, other, monkeypatch):
    other_company, other_user = other
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        email_channel(other_company, smtp.port)
        broken = basis_registered(company, admin_user, "250.00")
        good = basis_registered(other_company, other_user, "400.00")
        invoices_send(company=company, actor=admin_user, invoice_ids=[broken.pk])
        invoices_send(company=other_company, actor=other_user, invoice_ids=[good.pk])
        real_message = SmtpSession.message

        def message(session, job):
            if job.invoice.company_id == company.pk:
                raise RuntimeError("a bug in building this company's message")
            return real_message(session, job)

        monkeypatch.setattr(SmtpSession, "message", message)

        deliveries_work(now=later())

        assert len(smtp.received) == 1
    assert Delivery.objects.get(invoice=good).state == DeliveryState.SENT
    failed = Delivery.objects.get(invoice=broken)
    assert failed.state == DeliveryState.FAILED
    assert "could not be put together" in failed.error
    assert not Delivery.objects.filter(state=DeliveryState.SENDING).exists()


def test_a_channel_that_cannot_be_opened_for_one_company_does_not_stop_the_others(
    company, admin_user, other, monkeypatch
):
    other_company, other_user = other
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        email_channel(other_company, smtp.port)
        broken = basis_registered(company, admin_user, "250.00")
        good = basis_registered(other_company, other_user, "400.00")
        invoices_send(company=company, actor=admin_user, invoice_ids=[broken.pk])
        invoices_send(company=other_company, actor=other_user, invoice_ids=[good.pk])
        real_open = EmailChannel.open

        def open_(channel, *, company, **kwargs):
            if company.pk == broken.company_id:
                raise RuntimeError("settings no session can be made of")
            return real_open(channel, company=company, **kwargs)

        monkeypatch.setattr(EmailChannel, "open", open_)

        deliveries_work(now=later())

        assert len(smtp.received) == 1
    assert Delivery.objects.get(invoice=good).state == DeliveryState.SENT
    waiting = Delivery.objects.get(invoice=broken)
    # never went: back in the queue with backoff and the reason, failed after the last attempt
    assert waiting.state == DeliveryState.QUEUED
    assert waiting.next_attempt_at > timezone.now()
    assert "failed unexpectedly" in waiting.error
    assert not Delivery.objects.filter(state=DeliveryState.SENDING).exists()


def test_a_session_that_raises_mid_chunk_leaves_only_the_one_in_flight_uncertain(
    company, admin_user, other, monkeypatch
):
    other_company, other_user = other
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        email_channel(other_company, smtp.port)
        first, second, third = (
            basis_registered(company, admin_user, price) for price in ("100.00", "200.00", "300.00")
        )
        good = basis_registered(other_company, other_user, "400.00")
        invoices_send(company=company, actor=admin_user, invoice_ids=[first.pk, second.pk, third.pk])
        invoices_send(company=other_company, actor=other_user, invoice_ids=[good.pk])
        real_send = SmtpSession.send

        def send(session, jobs):
            for outcome in real_send(session, jobs):
                if Delivery.objects.get(pk=outcome.delivery_id).invoice_id == second.pk:
                    raise RuntimeError("the session broke after the server took the second one")
                yield outcome

        monkeypatch.setattr(SmtpSession, "send", send)

        deliveries_work(now=later())

        assert len(smtp.received) == 3  # the first, the second (its answer lost) and company B's
    states = dict(Delivery.objects.values_list("invoice_id", "state"))
    assert states == {
        first.pk: DeliveryState.SENT,
        second.pk: DeliveryState.UNCERTAIN,
        third.pk: DeliveryState.QUEUED,  # never went: tried again later, with backoff
        good.pk: DeliveryState.SENT,
    }
    assert "failed unexpectedly" in Delivery.objects.get(invoice=third).error


def test_the_claim_takes_every_company_in_turn_not_the_largest_backlog_first(company, admin_user, other):
    other_company, other_user = other
    email_channel(company, 25, undo_minutes=0)
    email_channel(other_company, 25, undo_minutes=0)
    # company A: a backlog of 2,000, all due before company B's three
    backlog = issued_invoices_with_pdfs(company=company, actor=admin_user, n=2000)
    invoices_send(company=company, actor=admin_user, invoice_ids=backlog)
    small = [basis_registered(other_company, other_user, "200.00").pk for _n in range(3)]
    invoices_send(company=other_company, actor=other_user, invoice_ids=small)

    claimed = deliveries_claim(limit=CLAIM_SIZE, now=later())

    assert len(claimed) == CLAIM_SIZE
    assert set(Delivery.objects.filter(invoice__in=small).values_list("pk", flat=True)) <= set(claimed)


def test_a_company_that_used_its_share_of_the_round_gives_back_the_rest_untried(company, admin_user, other, settings):
    # every message takes longer than the share (as a slow service's would): after the first,
    # the group hands nothing more over, and the next company still gets its turn
    settings.DISTRIBUTION_GROUP_SECONDS = 0
    other_company, other_user = other
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        email_channel(other_company, smtp.port)
        slow = [basis_registered(company, admin_user, "100.00") for _n in range(3)]
        good = basis_registered(other_company, other_user, "400.00")
        invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in slow])
        invoices_send(company=other_company, actor=other_user, invoice_ids=[good.pk])

        done = deliveries_work(now=later())

        assert len(smtp.received) == 2
    assert (done.sent, done.deferred) == (2, 2)
    assert Delivery.objects.get(invoice=good).state == DeliveryState.SENT
    given_back = Delivery.objects.filter(invoice__in=slow[1:])
    assert {(d.state, d.attempts) for d in given_back} == {(DeliveryState.QUEUED, 0)}
    assert all(d.next_attempt_at <= timezone.now() for d in given_back)


def _round_robin(deliveries: list[Delivery]) -> list[int]:
    """The claim's order, computed here: every company's first due delivery, then every second ..."""
    turns: dict[int, int] = {}
    ordered = []
    for delivery in sorted(deliveries, key=lambda d: (d.next_attempt_at, d.pk)):
        turns[delivery.company_id] = turns.get(delivery.company_id, 0) + 1
        ordered.append((turns[delivery.company_id], delivery.next_attempt_at, delivery.pk))
    return [pk for _turn, _at, pk in sorted(ordered)]


@pytest.mark.postgres
def test_the_claim_reads_the_queue_company_by_company_not_all_of_it(company, admin_user, other):
    from django.db import connection

    from fakturera.distribution.worker import _CANDIDATES_SQL, CANDIDATES_PER_CLAIM

    other_company, other_user = other
    third = CompanyFactory()
    for each in (company, other_company, third):
        email_channel(each, 25, undo_minutes=0)
    backlog = issued_invoices_with_pdfs(company=company, actor=admin_user, n=1500)
    invoices_send(company=company, actor=admin_user, invoice_ids=backlog)
    few = [basis_registered(other_company, other_user, "200.00").pk for _n in range(4)]
    invoices_send(company=other_company, actor=other_user, invoice_ids=few)
    third_user = StaffFactory(company=third, role="admin").user
    one = basis_registered(third, third_user, "300.00").pk
    invoices_send(company=third, actor=third_user, invoice_ids=[one])
    queued = list(Delivery.objects.filter(state=DeliveryState.QUEUED))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Delivery._meta.db_table}")
        # what the candidates' statement reads of the table: its plan, run
        table = connection.ops.quote_name(Delivery._meta.db_table)
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + _CANDIDATES_SQL.format(table=table, queued="'queued'"),
            {"now": later(), "candidates": 10 * CANDIDATES_PER_CLAIM},
        )
        plan = cursor.fetchone()[0]

    claimed = deliveries_claim(limit=10, now=later())

    # the order the window over the whole queue gave, from the three companies in turn
    assert len(queued) == 1505
    assert claimed == _round_robin(queued)[:10]
    # and read with index probes: each company's share, not the 1,505 queued
    read = 0
    nodes = [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if node.get("Relation Name") == Delivery._meta.db_table:
            read += node["Actual Rows"] * node["Actual Loops"]
        nodes.extend(node.get("Plans", []))
    assert 0 < read <= 10 * CANDIDATES_PER_CLAIM + 3 * 2, plan


@pytest.mark.postgres
def test_the_claim_is_not_compiled_by_jit(company, admin_user):
    # JIT compiling the candidates' statement cost 90 ms a claim at a month-end's queue, for a
    # statement that runs in 2: the claim's transaction turns it off, whatever the server's setting.
    from django.db import connection, transaction

    email_channel(company, 25, undo_minutes=0)
    invoices_send(company=company, actor=admin_user, invoice_ids=[basis_registered(company, admin_user, "100.00").pk])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")

        assert len(deliveries_claim(now=later())) == 1

        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
