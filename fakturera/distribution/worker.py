"""The delivery worker: claim due deliveries in batches, deliver them channel by channel,
record the outcomes in bulk; and the sweeper for leases that ran out.

At most once, never lost:
- A claim takes due deliveries with row locks (SELECT ... FOR UPDATE SKIP LOCKED on
  PostgreSQL, so workers never wait for or take each other's rows) and gives them a
  lease (state sending, lease_until).
- The claim is fair: due deliveries are taken round-robin across companies (each
  company's oldest first, then each one's second ...), so one company's backlog of
  thousands never keeps another's three waiting for a later round.
- Before a message goes to the channel's service, its delivery is marked handed over
  (committed durably: on disk, and in a synchronous standby), and as soon as the service
  accepts it, accepted with its reference (in the same statement that hands over the next
  one). A lease that runs out before hand-over means the service never had it, whatever
  happened to the database server meanwhile: the sweeper queues it again, the claim's
  attempt given back.
  Accepted means sent. Handed over but not accepted (the one message in flight when a
  worker died) may have arrived: a channel whose service takes an idempotency key is
  tried again with the same key; any other delivery becomes uncertain, for staff to
  confirm or resend. Never a silent second send, and at most one uncertain per worker.
- Failures stay where they happen: an invoice whose document cannot be built fails its
  own delivery (reason document_failed); a channel that cannot be opened or breaks
  mid-way fails (transiently, with backoff) only its own company's group; a group that
  takes longer than its share of the round (DISTRIBUTION_GROUP_SECONDS) gives back what
  it has not handed over yet, so a slow service does not hold up other companies.
- Channels that deliver by writing our own tables (export's webhook outbox, print,
  direct debit) do it in the transaction that records the outcome, so they are never
  uncertain.
- Outcomes are recorded only for deliveries still leased (state sending): a delivery
  the sweeper has already judged is not overwritten.
- A lost database connection (a restart of the server, a failover) is waited out for a while
  (reconnect_seconds): the outcome in hand is written on a new connection and the worker goes
  on; a group that failed because the database went away gives its untried deliveries back.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.core import logs
from fakturera.core.bulk import any_of
from fakturera.core.db import is_unavailable
from fakturera.core.reminder_letters import Letter, reminder_letters
from fakturera.distribution import selectors
from fakturera.distribution.channels import REGISTRY
from fakturera.distribution.channels.base import (
    Channel,
    Job,
    Outcome,
    PermanentError,
    Session,
    TransientError,
    TransportError,
)
from fakturera.distribution.models import Delivery, DeliveryState, Purpose
from fakturera.distribution.reasons import Reason, reason, text
from fakturera.distribution.services import rollback_moves
from fakturera.distribution.states import SendingEvent, SendingMove, SendingStatus, move_deliveries, move_sending
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import STORE_ERRORS, document_bytes, document_get, documents_bytes, documents_render
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceKind
from fakturera.parties.models import Company

log = logging.getLogger(__name__)

CLAIM_SIZE = 500
MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=1)


def group_budget() -> float:
    """Seconds one company's channel may take of a round before it gives back the rest."""
    return float(getattr(django_settings, "DISTRIBUTION_GROUP_SECONDS", 60))


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(django_settings, "DISTRIBUTION_LEASE_SECONDS", 600))


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min ... after the n-th transient failure, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


@dataclass
class Round:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    stopped: int = 0
    deferred: int = 0  # given back to the queue untried: their group used up its share of the round


def deliveries_claim(*, limit: int = CLAIM_SIZE, now: dt.datetime | None = None) -> list[int]:
    """Take up to `limit` due deliveries for this worker: state sending, leased.

    Round-robin across companies: every company's first due delivery comes before any
    company's second (ROW_NUMBER per company), so a large backlog of one company never
    fills the claim while another's few wait. On PostgreSQL the rows are locked with
    FOR UPDATE SKIP LOCKED below the LIMIT: two workers take different deliveries, and
    neither waits for the other."""
    now = now or timezone.now()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.features.has_select_for_update_skip_locked:
            ids = _claim_locked(cursor, table, limit=limit, now=now)
        else:
            # Only the model's own table name is formatted in; every value is a parameter.
            cursor.execute(
                f"SELECT d.id FROM {table} d JOIN ("  # noqa: S608
                f"  SELECT id, ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY next_attempt_at, id) AS turn"
                f"  FROM {table} WHERE state = %s AND next_attempt_at <= %s"
                f") r ON r.id = d.id WHERE d.state = %s ORDER BY r.turn, d.next_attempt_at, d.id LIMIT %s",
                [DeliveryState.QUEUED, now, DeliveryState.QUEUED, limit],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if ids:
            move_deliveries(
                ids=ids,
                expected=DeliveryState.QUEUED,
                to=DeliveryState.SENDING,
                lease_until=now + lease(),
                attempts=F("attempts") + 1,
                handed_over_at=None,
                accepted_at=None,
            )
    return ids


# Candidates read per claim, for the rows other workers hold locked (skipped) to leave enough.
CANDIDATES_PER_CLAIM = 4


def _claim_locked(cursor: Any, table: str, *, limit: int, now: dt.datetime) -> list[int]:
    """PostgreSQL: the round-robin order read first without a lock (_CANDIDATES_SQL), then those
    candidates locked in that order through their primary key, SKIP LOCKED. One statement joining
    the order to the table was planned as a nested loop when the statistics were older than a
    month-end's queue (one row expected, a hundred thousand found): a claim took minutes.

    Without JIT compilation, for this transaction: the planner cannot know the per-company
    LIMIT, so it costs the statement for a million rows, and at a month-end's queue past
    jit_optimize_above_cost PostgreSQL compiled and optimised it at every claim: 90 to 105 ms,
    for a statement that runs in 2 (19.8 of the month-end's 19.9 s of JIT, pg_stat_statements)."""
    cursor.execute("SET LOCAL jit = off")
    cursor.execute(
        _CANDIDATES_SQL.format(table=table, queued=f"'{DeliveryState.QUEUED}'"),
        {"now": now, "candidates": limit * CANDIDATES_PER_CLAIM},
    )
    candidates = [row[0] for row in cursor.fetchall()]
    if not candidates:
        return []
    cursor.execute(
        f"SELECT d.id FROM unnest(%s::bigint[]) WITH ORDINALITY AS c(id, turn)"  # noqa: S608
        f" JOIN {table} d ON d.id = c.id WHERE d.state = %s"
        f" ORDER BY c.turn LIMIT %s FOR UPDATE OF d SKIP LOCKED",
        [candidates, DeliveryState.QUEUED, limit],
    )
    return [row[0] for row in cursor.fetchall()]


# The claim's candidates in round-robin order (every company's first due delivery before any
# company's second), read from the partial index of queued deliveries by company
# (delivery_queued_by_company) in steps that do not grow with the queue:
# - the companies with queued deliveries, one index probe each (a loose index scan: a recursive
#   step finds the next company after the last);
# - from each, its earliest due ones, in index order, at most its share of the candidates
#   (all of them for one company, a few each for many);
# - only those numbered and sorted.
# Numbering every due delivery of the queue instead cost a sort of the whole queue per claim:
# 135 to 160 ms at a month-end's 100,000 against 2 to 3.5 ms (without JIT, below), and ten times
# that for ten such companies. A company whose share is smaller than its backlog gives a smaller claim,
# never an unfair one: the next claim, the small companies' deliveries sending, takes more.
# The state is written into the statement as the partial index's own condition.
_CANDIDATES_SQL = (
    "WITH RECURSIVE companies(company_id) AS ("
    "  (SELECT company_id FROM {table} WHERE state = {queued} ORDER BY company_id LIMIT 1)"
    "  UNION ALL"
    "  SELECT (SELECT d.company_id FROM {table} d WHERE d.state = {queued} AND d.company_id > c.company_id"
    "          ORDER BY d.company_id LIMIT 1)"
    "  FROM companies c WHERE c.company_id IS NOT NULL"
    "), queued AS (SELECT company_id FROM companies WHERE company_id IS NOT NULL)"
    " SELECT id FROM ("
    "  SELECT q.id, q.next_attempt_at,"
    "    ROW_NUMBER() OVER (PARTITION BY queued.company_id ORDER BY q.next_attempt_at, q.id) AS turn"
    "  FROM queued CROSS JOIN LATERAL ("
    "    SELECT d.id, d.next_attempt_at FROM {table} d"
    "    WHERE d.company_id = queued.company_id AND d.state = {queued} AND d.next_attempt_at <= %(now)s"
    "    ORDER BY d.next_attempt_at, d.id"
    "    LIMIT (SELECT ceil(%(candidates)s::numeric / greatest(count(*), 1))::bigint FROM queued)"
    "  ) q"
    " ) r ORDER BY turn, next_attempt_at, id LIMIT %(candidates)s"
)


def deliveries_work(*, limit: int = CLAIM_SIZE, now: dt.datetime | None = None) -> Round:
    """One round: claim, deliver, record. Returns what happened (claimed 0: nothing due).

    Each company's channel is a group of its own: whatever goes wrong in one (a channel
    that cannot be opened, a bug, a slow service) is recorded for that group's deliveries
    and the round goes on with the next. Small groups go first, so a company with a few
    invoices is not behind another's thousands."""
    ids = deliveries_claim(limit=limit, now=now)
    result = Round(claimed=len(ids))
    if not ids:
        return result
    deliveries = list(Delivery.objects.filter(any_of(Delivery, ids)).order_by("pk"))
    result.stopped = _stop_credited(deliveries)
    stopped = {d.pk for d in deliveries if d.state == DeliveryState.STOPPED}
    groups: dict[tuple[int, str], list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        if delivery.pk not in stopped:
            groups[(delivery.company_id, delivery.channel)].append(delivery)
    companies = Company.objects.in_bulk(sorted({company_id for company_id, _code in groups}))
    for (company_id, channel), group in sorted(groups.items(), key=lambda item: (len(item[1]), item[0])):
        try:
            # Every line logged for this group carries its company (core/logs.py).
            with logs.bound(company_id=company_id, channel=channel):
                _deliver_group(companies[company_id], channel, group, result)
        except Exception as exc:
            # A backstop: _deliver_group records its own failures. Whatever is still leased
            # and not handed over fails for now (retried with backoff); the rest of the round goes on.
            log.exception("Delivery of company %s by %s failed: %s", company_id, channel, type(exc).__name__)
            _give_back_failed(channel, group, result, error=exc)
    return result


def _stop_credited(deliveries: list[Delivery]) -> int:
    """Seed 003: crediting an invoice inside the undo window stops its delivery."""
    invoice_deliveries = [d for d in deliveries if d.purpose == Purpose.INVOICE]
    if not invoice_deliveries:
        return 0
    queued_at = {d.invoice_id: d.created_at for d in invoice_deliveries}
    credited = {
        invoice_id
        for invoice_id, created_at in Invoice.objects.filter(
            any_of(Invoice, list(queued_at), "credited_invoice"), kind=InvoiceKind.CREDIT_NOTE
        ).values_list("credited_invoice_id", "created_at")
        if created_at >= queued_at[invoice_id]
    }
    stopping = [d for d in invoice_deliveries if d.invoice_id in credited]
    if not stopping:
        return 0
    now = timezone.now()
    with transaction.atomic():
        still = set(
            Delivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in stopping], state=DeliveryState.SENDING)
            .values_list("pk", flat=True)
        )
        stopping = [d for d in stopping if d.pk in still]
        move_deliveries(
            ids=list(still), expected=DeliveryState.SENDING, to=DeliveryState.STOPPED, finished_at=now, lease_until=None
        )
        for _target, moves in rollback_moves(
            stopping,
            event_of=lambda d: SendingEvent.SEND_STOPPED,
        ).items():
            move_sending(moves, expected=SendingStatus.QUEUED, actor=None, at=now)
    for delivery in stopping:
        delivery.state = DeliveryState.STOPPED
    return len(stopping)


def _deliver_group(company: Company, code: str, deliveries: list[Delivery], result: Round) -> None:
    """One company's deliveries by one channel: one session, chunk after chunk."""
    channel = REGISTRY[code]
    started = time.monotonic()
    try:
        session = channel.open(
            company=company,
            settings=selectors.channel_settings(company=company.pk),
            texts=selectors.email_texts(company=company.pk),
        )
    except Exception as exc:
        log.exception("Opening the channel %s of company %s failed: %s", code, company.pk, type(exc).__name__)
        _record_failure(deliveries, reason("channel_failed"), result)
        return
    needs_pdf = bool(session.needs_pdf or channel.needs_pdf)
    try:
        for position in range(0, len(deliveries), channel.chunk_size):
            chunk = deliveries[position : position + channel.chunk_size]
            if position and not channel.is_local and time.monotonic() - started > group_budget():
                # This company's service has had its share of the round: the rest waits for
                # the next round (and the claim's round-robin), other companies go first.
                result.deferred += _defer(deliveries[position:])
                return
            jobs, unbuildable = _prepare(chunk, needs_pdf=needs_pdf, needs_ubl=channel.needs_ubl)
            if unbuildable:
                _record([Job(delivery=d, invoice=None) for d, _o in unbuildable], [o for _d, o in unbuildable], result)  # type: ignore[arg-type]
            if not jobs:
                continue
            if channel.is_local:
                try:
                    with transaction.atomic():
                        outcomes = list(session.send(jobs))
                        _record(jobs, outcomes, result)
                except Exception as exc:
                    # Rolled back as a whole: nothing of the chunk happened. Failed for now, tried again later.
                    log.exception("Local delivery by %s failed: %s", code, type(exc).__name__)
                    _record_failure([job.delivery for job in jobs], reason("channel_failed"), result)
                continue
            finished = _send_remote(channel, session, jobs, result, started=started)
            if not finished:
                result.deferred += _defer(deliveries[position + channel.chunk_size :])
                return
    finally:
        try:
            session.close()
        except Exception as exc:
            log.warning("Closing the channel %s of company %s failed: %s", code, company.pk, type(exc).__name__)


def _send_remote(channel: Channel, session: Session, jobs: list[Job], result: Round, *, started: float) -> bool:
    """Hand the chunk's messages to the service one at a time, each marked before it goes and
    its acceptance recorded before the next goes; then record the chunk's outcomes in one
    transaction. Returns False when the group should stop (broken session, used-up share)."""
    with _durable_marks():
        outcomes, broken, go_on = _stream(channel, session, jobs, started=started)
    done = jobs[: len(outcomes)]
    if done:
        # The outcomes are known here only: kept through a lost connection (a database restart).
        _reconnecting(lambda: _record(done, outcomes, result), doing="recording a chunk's outcomes")
    rest = jobs[len(outcomes) :]
    if broken and rest:
        # The one in flight may have gone: judged as the sweeper would judge it, now.
        in_flight, untried = rest[0], rest[1:]
        if channel.takes_idempotency_key:
            untried = rest  # tried again with the same key, as an attempt that failed
        else:
            _judge_lost([in_flight.delivery], now=timezone.now(), error=reason("channel_failed"))
        _record_failure([job.delivery for job in untried], reason("channel_failed"), result)
        return False
    if rest:
        result.deferred += _defer([job.delivery for job in rest])
    return go_on


def _stream(channel: Channel, session: Session, jobs: list[Job], *, started: float) -> tuple[list[Outcome], bool, bool]:
    """The messages one at a time: (the outcomes in order, whether the session broke, whether
    the group may go on)."""
    outcomes: list[Outcome] = []
    stream = iter(session.send(jobs))
    go_on = True
    previous: Outcome | None = None
    index = 0
    broken = False
    while index < len(jobs):
        job = jobs[index]
        if index and time.monotonic() - started > group_budget():
            go_on = False
            break
        if not _mark_reconnecting(previous, hand_over=job.delivery.pk):
            # Judged by the sweeper meanwhile (our lease ran out): not ours to send any more.
            previous = None
            go_on = False
            break
        previous = None
        try:
            with logs.bound(invoice_id=job.delivery.invoice_id, delivery_id=job.delivery.pk):
                outcome = next(stream)
        except StopIteration:
            log.error("The channel %s gave fewer outcomes than jobs", channel.code)
            broken = True
            break
        except Exception as exc:
            log.exception("Delivery by %s failed unexpectedly: %s", channel.code, type(exc).__name__)
            broken = True
            break
        if outcome.delivery_id != job.delivery.pk:
            log.error("The channel %s answered out of order", channel.code)
            broken = True
            break
        outcomes.append(outcome)
        previous = outcome
        index += 1
    if previous is not None:
        _mark_reconnecting(previous, hand_over=None)
    if hasattr(stream, "close"):
        stream.close()
    return outcomes, broken, go_on


def _mark(outcome: Outcome | None, *, hand_over: int | None) -> bool:
    """One committed statement: the last message's outcome (accepted with its reference, or
    refused: certainly not delivered, so no longer handed over) and the next one handed over.
    Returns whether the next one was still ours to hand over.

    On PostgreSQL it commits durably before the message goes (synchronous_commit local, or
    remote_write with a synchronous standby, set for the chunk by _durable_marks): neither a
    worker's death nor a crash or restart of the database server loses a mark, so a delivery
    without one was certainly never handed over, and one handed over without an outcome is the
    one message its worker had in flight."""
    if outcome is None and hand_over is None:
        return True
    now = timezone.now()
    accepted = outcome.delivery_id if outcome is not None and outcome.error is None else None
    refused = outcome.delivery_id if outcome is not None and outcome.error is not None else None
    reference = str(outcome.reference)[:200] if accepted is not None else ""
    ids = [pk for pk in (outcome.delivery_id if outcome else None, hand_over) if pk is not None]
    params = {
        "sending": DeliveryState.SENDING,
        "hand_over": hand_over,
        "now": now,
        "lease_until": now + lease(),
        "refused": refused,
        "accepted": accepted,
        "reference": reference,
        "first": ids[0],
        "last": ids[-1],
    }
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SQL.format(table=connection.ops.quote_name(Delivery._meta.db_table)), params)
        still_sending = {pk for pk, is_sending in cursor.fetchall() if is_sending}
    # Rare: the sweeper judged one of them (its lease ran out): left as it was; the next one
    # goes only if it is still ours.
    return hand_over is None or hand_over in still_sending


# One statement for two rows: no ORM compiling per message (it runs once per message sent).
# The rows are found by primary key alone, and a row no longer sending (judged by the sweeper)
# is left as it was by the CASEs rather than by the WHERE: with `state = 'sending'` in the WHERE,
# PostgreSQL planned the statement, on statistics older than a month-end's queue, as a scan of
# the partial index of every active delivery (delivery_one_active_per_invoice, one row expected,
# 100,000 found) filtered by id: per message. The workers' database sessions then used four
# times the CPU of the workers themselves, and one delivery worker sent 100 messages a second.
_MARK_SQL = (
    "UPDATE {table} SET"
    " handed_over_at = CASE WHEN state <> %(sending)s THEN handed_over_at"
    "   WHEN id = %(hand_over)s THEN %(now)s WHEN id = %(refused)s THEN NULL ELSE handed_over_at END,"
    " lease_until = CASE WHEN state <> %(sending)s THEN lease_until"
    "   WHEN id = %(hand_over)s THEN %(lease_until)s ELSE lease_until END,"
    " accepted_at = CASE WHEN state <> %(sending)s THEN accepted_at WHEN id = %(accepted)s THEN %(now)s"
    "   ELSE accepted_at END,"
    " reference = CASE WHEN state <> %(sending)s THEN reference WHEN id = %(accepted)s THEN %(reference)s"
    "   ELSE reference END"
    " WHERE id IN (%(first)s, %(last)s)"
    " RETURNING id, state = %(sending)s"
)


def _mark_reconnecting(outcome: Outcome | None, *, hand_over: int | None) -> bool:
    """_mark, carried through a lost connection (a database restart): the outcome in hand is
    known to this worker alone, so it is written once the database answers again, and the next
    message goes only after its mark is."""
    return _reconnecting(lambda: _mark(outcome, hand_over=hand_over), doing="marking a message", again=_durable_session)


def reconnect_seconds() -> float:
    """How long the worker waits for a lost database before giving up what it holds: well
    within the lease of the message handed over, so the sweeper does not judge it meanwhile."""
    return min(60.0, lease().total_seconds() / 3)


def _reconnecting(work: Any, *, doing: str, again: Any = None) -> Any:
    """`work()`, run again (after connecting anew, then `again()`) while the database is briefly
    away: a connection lost to a restart of the server, a terminated backend, a failover. At most
    reconnect_seconds(); then, or for any other error, the error goes to the caller. Inside a
    transaction it runs once (the transaction is lost with the connection)."""
    deadline = time.monotonic() + reconnect_seconds()
    pause = 0.1
    lost = False
    while True:
        try:
            if lost and again is not None:
                again()
            return work()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or not is_unavailable(exc) or time.monotonic() > deadline:
                raise
            if not lost:
                log.warning("The database connection was lost while %s; waiting for it: %s", doing, exc)
            lost = True
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def _durable_session() -> None:
    """This session's commits wait until they are durable: on the local disk, and with a
    synchronous standby in its memory too (remote_write). An operator's synchronous_commit = off
    for the server does not reach the marks."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('synchronous_commit',"
            " CASE WHEN current_setting('synchronous_standby_names') = '' THEN 'local' ELSE 'remote_write' END,"
            " false)"
        )


@contextmanager
def _durable_marks() -> Iterator[None]:
    """The marks of one chunk commit durably (PostgreSQL); see _mark.

    Durable on the local disk (local): a delivery without a hand-over mark was never handed
    over, whatever happened to the server, a crash included, so the sweeper puts it back in the
    queue. With a synchronous standby (README, "Database failover") in the standby's memory as
    well (remote_write, one network round trip): a promoted standby has every mark too. The
    wait for the disk is one fsync per message (DESIGN.md, "Performance")."""
    if connection.vendor != "postgresql":
        yield
        return
    _reconnecting(_durable_session, doing="starting a chunk")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # The connection is gone (a new one starts with the server's setting): nothing to reset.
            if not connection.in_atomic_block:
                connection.close()


def _defer(deliveries: Iterable[Delivery]) -> int:
    """Back to the queue untried, due now and without counting the attempt: those still leased
    and never handed over."""
    ids = [d.pk for d in deliveries]
    if not ids:
        return 0
    return move_deliveries(
        ids=ids,
        expected=DeliveryState.SENDING,
        to=DeliveryState.QUEUED,
        next_attempt_at=timezone.now(),
        attempts=F("attempts") - 1,
        lease_until=None,
        handed_over_at=None,
        accepted_at=None,
    )


def _record_failure(deliveries: list[Delivery], why: Reason, result: Round) -> None:
    """Deliveries that never reached the service because something of ours failed: each gets a
    transient error (tried again with backoff, failed after MAX_ATTEMPTS) with `why`."""
    if not deliveries:
        return
    error = TransientError(why)
    jobs = [Job(delivery=d, invoice=None) for d in deliveries]  # type: ignore[arg-type]
    _record(jobs, [Outcome(d.pk, error=error) for d in deliveries], result)


def _give_back_failed(code: str, deliveries: list[Delivery], result: Round, *, error: BaseException) -> None:
    """After an unexpected error in a group: what is still leased and untried fails for now,
    what was handed over is judged as the sweeper judges it (accepted: sent). When the error was
    the database going away (a restart), the untried go back to the queue once it answers again,
    due now and without counting an attempt: nothing of theirs reached the service."""
    database_lost = is_unavailable(error)
    try:
        _reconnecting(
            lambda: _give_back(code, deliveries, result, database_lost=database_lost), doing="giving back a group"
        )
    except Exception:
        # The database itself may be gone: the leases run out and the sweeper judges them.
        log.exception("Recording a failed delivery group failed")


def _give_back(code: str, deliveries: list[Delivery], result: Round, *, database_lost: bool) -> None:
    """_give_back_failed's work, read afresh from the database (so it can run again)."""
    rows = list(
        Delivery.objects.filter(any_of(Delivery, [d.pk for d in deliveries]), state=DeliveryState.SENDING).values_list(
            "pk", "handed_over_at", "accepted_at", "reference"
        )
    )
    current = {pk: (handed, accepted) for pk, handed, accepted, _reference in rows}
    references = {pk: reference for pk, _handed, _accepted, reference in rows}
    # Not accepted and never handed over, or handed to a service that takes the key again.
    retry = {
        pk
        for pk, (handed_at, accepted_at) in current.items()
        if accepted_at is None and (handed_at is None or REGISTRY[code].takes_idempotency_key)
    }
    untried = [d for d in deliveries if d.pk in retry]
    handed = [d for d in deliveries if d.pk in current and d.pk not in retry]
    if database_lost:
        never = [d for d in untried if current[d.pk][0] is None]
        result.deferred += _defer(never)
        untried = [d for d in untried if current[d.pk][0] is not None]
    _record_failure(untried, reason("channel_failed"), result)
    if handed:
        for delivery in handed:
            delivery.handed_over_at, delivery.accepted_at = current[delivery.pk]
            delivery.reference = references[delivery.pk]
        _judge_lost(handed, now=timezone.now(), error=reason("channel_failed"))


def _prepare(
    deliveries: list[Delivery], *, needs_pdf: bool, needs_ubl: bool
) -> tuple[list[Job], list[tuple[Delivery, Outcome]]]:
    """The chunk's jobs with their documents, loaded in bulk; an invoice whose document cannot be
    made (stored text no PDF or UBL can hold) is left out with a permanent error of its own."""
    invoice_ids = [d.invoice_id for d in deliveries]
    invoices = {invoice.pk: invoice for invoice in Invoice.objects.filter(any_of(Invoice, invoice_ids))}
    jobs = [Job(delivery=d, invoice=invoices[d.invoice_id]) for d in deliveries]
    broken: dict[int, Outcome] = {}
    reminders = [job for job in jobs if job.delivery.purpose == Purpose.REMINDER]
    if reminders:
        letters = _letters([job.delivery.pk for job in reminders], broken)
        for job in reminders:
            job.letter = letters.get(job.delivery.pk)
            if job.letter is not None:
                job.pdf = job.letter.pdf
    if needs_pdf:
        stored = _stored_pdfs(invoice_ids)
        missing: dict[str, list[int]] = defaultdict(list)
        for job in jobs:
            key = (job.invoice.pk, job.delivery.template)
            if job.letter is None and job.delivery.pk not in broken and key not in stored:
                missing[job.delivery.template].append(job.invoice.pk)
        if missing:
            # Not rendered yet (the task worker has not come to them, or a layout staff picked
            # later): the chunk's rendered together, as the task worker does, not one compile
            # each (about five times the work); what still lacks one is tried alone below.
            for template, ids in missing.items():
                _render_missing(ids, template=template)
            stored.update(_stored_pdfs([pk for ids in missing.values() for pk in ids]))
        for job in jobs:
            if job.letter is not None or job.delivery.pk in broken:
                continue
            job.pdf = stored.get((job.invoice.pk, job.delivery.template))
            if job.pdf is None:
                # Not rendered in this layout yet: rendered now, and stored for every later use.
                job.pdf = _document(job, DocumentFormat.PDF, broken)
    if needs_ubl:
        ubl_rows = list(
            InvoiceDocument.objects.filter(
                any_of(InvoiceDocument, invoice_ids, "invoice"), format=DocumentFormat.UBL
            ).only("invoice_id", "content", "storage_key")
        )
        stored_ubl = {row.invoice_id: content for row, content in zip(ubl_rows, documents_bytes(ubl_rows), strict=True)}
        for job in jobs:
            if job.delivery.pk in broken:
                continue
            content = stored_ubl.get(job.invoice.pk)
            job.ubl = content if content is not None else _document(job, DocumentFormat.UBL, broken)
    failed = [(job.delivery, broken[job.delivery.pk]) for job in jobs if job.delivery.pk in broken]
    return [job for job in jobs if job.delivery.pk not in broken], failed


def _stored_pdfs(invoice_ids: list[int]) -> dict[tuple[int, str], bytes]:
    """The stored PDFs of these invoices by (invoice, layout), read through documents' own
    function: the bytes may be in the rows or in the S3 store."""
    rows = list(
        InvoiceDocument.objects.filter(any_of(InvoiceDocument, invoice_ids, "invoice"), format=DocumentFormat.PDF).only(
            "invoice_id", "template", "content", "storage_key"
        )
    )
    return {(row.invoice_id, row.template): content for row, content in zip(rows, documents_bytes(rows), strict=True)}


def _render_missing(invoice_ids: list[int], *, template: str) -> None:
    """Store what is missing of these invoices' documents in one rendering. Whatever cannot be
    made here is left missing: _document tries it alone and fails only its own delivery."""
    try:
        documents_render(invoice_ids=invoice_ids, template=template or None, record_failures=False)
    except STORE_ERRORS:
        raise  # the store is away, not the documents broken: the group is given back and tried again
    except Exception as exc:
        log.warning("The documents of invoices %s could not be made together: %s", invoice_ids, exc)


def _letters(delivery_ids: list[int], broken: dict[int, Outcome]) -> dict[int, Letter]:
    """The reminder letters of a chunk (core.reminder_letters), in one call. Letters that cannot
    be made fail their deliveries for good, with the reason in the history, as a PDF does."""
    try:
        with transaction.atomic():
            return reminder_letters(delivery_ids)
    except Exception as exc:
        log.warning("The reminder letters of deliveries %s could not be made: %s", delivery_ids, exc)
        for delivery_id in delivery_ids:
            broken[delivery_id] = Outcome(delivery_id, error=PermanentError(reason("document_failed", document="PDF")))
        return {}


def _document(job: Job, fmt: str, broken: dict[int, Outcome]) -> bytes | None:
    try:
        with transaction.atomic():
            template = job.delivery.template if fmt == DocumentFormat.PDF else None
            return document_bytes(document_get(invoice=job.invoice, fmt=fmt, template=template))
    except STORE_ERRORS:
        raise  # the store is away, not the document broken: the group is given back and tried again
    except Exception as exc:
        # Logged for the operator with its details; the history says it plainly, without them.
        log.warning("The %s of invoice %s could not be made: %s", fmt, job.invoice.pk, exc)
        label = "PDF" if fmt == DocumentFormat.PDF else "Peppol XML"
        broken[job.delivery.pk] = Outcome(
            job.delivery.pk, error=PermanentError(reason("document_failed", document=label))
        )
        return None


def _jobs(deliveries: list[Delivery], *, needs_pdf: bool, needs_ubl: bool) -> list[Job]:
    """The jobs that could be prepared (tests and callers that need only those)."""
    return _prepare(deliveries, needs_pdf=needs_pdf, needs_ubl=needs_ubl)[0]


def _record(jobs: list[Job], outcomes: list[Outcome], result: Round) -> None:
    """The outcomes of one chunk in one transaction: deliveries, invoices and history in bulk."""
    now = timezone.now()
    by_id = {job.delivery.pk: job for job in jobs}
    with transaction.atomic():
        # Only deliveries still leased by us: the sweeper may have judged one whose lease ran out.
        current = dict(
            Delivery.objects.select_for_update()
            .filter(any_of(Delivery, list(by_id)), state__in=[DeliveryState.SENDING, DeliveryState.UNCERTAIN])
            .values_list("pk", "state")
        )
        still = {pk for pk, state in current.items() if state == DeliveryState.SENDING}
        # Judged uncertain while we were sending, but the service did accept it: now it is certain.
        late = [
            (outcome, by_id[outcome.delivery_id])
            for outcome in outcomes
            if outcome.error is None and current.get(outcome.delivery_id) == DeliveryState.UNCERTAIN
        ]
        _record_sent(late, delivery_from=DeliveryState.UNCERTAIN, sending_from=SendingStatus.UNCERTAIN, now=now)
        sent: list[tuple[Outcome, Job]] = []
        retry: list[tuple[Outcome, Job]] = []
        failed: list[tuple[Outcome, Job]] = []
        for outcome in outcomes:
            if outcome.delivery_id not in still:
                continue
            job = by_id[outcome.delivery_id]
            if outcome.error is None:
                sent.append((outcome, job))
            elif isinstance(outcome.error, TransientError) and job.delivery.attempts < MAX_ATTEMPTS:
                retry.append((outcome, job))
            else:
                failed.append((outcome, job))
        _record_sent(sent, delivery_from=DeliveryState.SENDING, sending_from=SendingStatus.QUEUED, now=now)
        if retry:
            move_deliveries(
                expected=DeliveryState.SENDING,
                to=DeliveryState.QUEUED,
                columns=["next_attempt_at", "error"],
                rows=[
                    (o.delivery_id, now + retry_delay(job.delivery.attempts), _error_text(o)[:500]) for o, job in retry
                ],
                lease_until=None,
                handed_over_at=None,
            )
        if failed:
            move_deliveries(
                expected=DeliveryState.SENDING,
                to=DeliveryState.FAILED,
                columns=["error"],
                rows=[(o.delivery_id, _error_text(o)[:500]) for o, _job in failed],
                finished_at=now,
                lease_until=None,
            )
            errors = {o.delivery_id: _error_of(o) for o, _job in failed}
            for _target, moves in rollback_moves(
                [job.delivery for _o, job in failed],
                event_of=lambda d: (
                    SendingEvent.REMINDER_FAILED if d.purpose == Purpose.REMINDER else SendingEvent.SEND_FAILED
                ),
                params_of=lambda d: {"error": errors[d.pk].as_data()},
            ).items():
                move_sending(moves, expected=SendingStatus.QUEUED, actor=None, at=now)
    result.sent += len(sent)
    result.retried += len(retry)
    result.failed += len(failed)


def _record_sent(pairs: list[tuple[Outcome, Job]], *, delivery_from: str, sending_from: str, now: dt.datetime) -> None:
    """Accepted by the service: the deliveries sent with their references, the invoices' sending
    moved on with the history (from sending and queued; or from uncertain, judged so while the
    service was accepting them)."""
    if not pairs:
        return
    move_deliveries(
        expected=delivery_from,
        to=DeliveryState.SENT,
        columns=["reference"],
        rows=[(o.delivery_id, str(o.reference)[:200]) for o, _job in pairs],
        finished_at=now,
        lease_until=None,
        error="",
    )
    move_sending([_sent_move(job, o, now) for o, job in pairs], expected=sending_from, actor=None, at=now)


def _error_of(outcome: Outcome) -> Reason:
    error = outcome.error
    return error.reason if isinstance(error, TransportError) else text(str(error))


def _error_text(outcome: Outcome) -> str:
    """The error as the Sending page shows it (Delivery.error), worded now."""
    return str(_error_of(outcome))


def _sent_move(job: Job, outcome: Outcome, now: dt.datetime) -> SendingMove:
    delivery = job.delivery
    from fakturera.distribution.services import recipient_text_of

    is_reminder = delivery.purpose == Purpose.REMINDER
    params: dict[str, Any] = {"channel": delivery.channel, "recipient": recipient_text_of(delivery)}
    if is_reminder:
        # Queueing counted it (services._queue): the count before plus this one.
        params["count"] = delivery.previous_reminder_count + 1
    if outcome.reference:
        reference = outcome.reference
        params["reference"] = reference.as_data() if isinstance(reference, Reason) else reference
    return SendingMove(
        invoice_id=delivery.invoice_id,
        to=SendingStatus.REMINDED if is_reminder else SendingStatus.SENT,
        event=SendingEvent.REMINDED if is_reminder else SendingEvent.SENT,
        params=params,
        fields=(("sent_at", now),),
    )


def deliveries_sweep(*, now: dt.datetime | None = None, company: Company | None = None) -> dict[str, int]:
    """Judge deliveries (of all companies, or of `company`: the Sending page's Check now) whose
    lease ran out (their worker died or hung): accepted by the service
    means sent; never handed over, or handed to a service that takes an idempotency key, back to
    the queue; handed over without an answer (the one message in flight) uncertain."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.SENDING, lease_until__lt=now, **({"company": company} if company else {}))
            .order_by("pk")
        )
        if not expired:
            return {"requeued": 0, "uncertain": 0, "sent": 0}
        # Every mark is durable before its message goes (_durable_marks), across a restart or a
        # crash of the database server too: no hand-over mark means it never reached the service.
        untried = [d for d in expired if d.handed_over_at is None and d.accepted_at is None]
        counts = _judge_lost([d for d in expired if d not in untried], now=now)
        if untried:
            # Claimed, never tried: the claim's attempt is given back (a real send's failure counts).
            move_deliveries(
                ids=[d.pk for d in untried],
                expected=DeliveryState.SENDING,
                to=DeliveryState.QUEUED,
                next_attempt_at=min(now, timezone.now()),
                attempts=Greatest(F("attempts") - 1, 0),
                lease_until=None,
                handed_over_at=None,
            )
        counts["requeued"] += len(untried)
    return counts


def _judge_lost(deliveries: list[Delivery], *, now: dt.datetime, error: Reason | None = None) -> dict[str, int]:
    """Deliveries handed over whose worker will not record them (it died, or its session broke):
    those the service accepted are sent with their reference; the rest may or may not have
    arrived, so a service that takes an idempotency key gets it again (back to the queue, same
    key), any other makes them uncertain, for staff to confirm or send again."""
    counts = {"requeued": 0, "uncertain": 0, "sent": 0}
    if not deliveries:
        return counts
    with transaction.atomic():
        accepted = [d for d in deliveries if d.accepted_at is not None]
        rest = [d for d in deliveries if d.accepted_at is None]
        requeue = [d for d in rest if REGISTRY[d.channel].takes_idempotency_key]
        uncertain = [d for d in rest if not REGISTRY[d.channel].takes_idempotency_key]
        if accepted:
            _record_sent(
                [(Outcome(d.pk, reference=d.reference), Job(delivery=d, invoice=None)) for d in accepted],  # type: ignore[arg-type]
                delivery_from=DeliveryState.SENDING,
                sending_from=SendingStatus.QUEUED,
                now=now,
            )
        if requeue:
            move_deliveries(
                ids=[d.pk for d in requeue],
                expected=DeliveryState.SENDING,
                to=DeliveryState.QUEUED,
                next_attempt_at=min(now, timezone.now()),
                lease_until=None,
                handed_over_at=None,
            )
        if uncertain:
            words = _("The worker stopped while sending.") if error is None else str(error)
            move_deliveries(
                ids=[d.pk for d in uncertain],
                expected=DeliveryState.SENDING,
                to=DeliveryState.UNCERTAIN,
                lease_until=None,
                error=words[:500],
            )
            move_sending(
                [
                    SendingMove(
                        invoice_id=d.invoice_id,
                        to=SendingStatus.UNCERTAIN,
                        event=SendingEvent.SEND_UNCERTAIN,
                        params={"channel": d.channel, "recipient": d.recipient},
                    )
                    for d in uncertain
                ],
                expected=SendingStatus.QUEUED,
                actor=None,
                at=now,
            )
    return {"requeued": len(requeue), "uncertain": len(uncertain), "sent": len(accepted)}
