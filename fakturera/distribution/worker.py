"""The delivery worker: claim due deliveries in batches, deliver them channel by channel,
record the outcomes in bulk; and the sweeper for leases that ran out.

At most once, never lost:
- A claim takes due deliveries with row locks (SELECT ... FOR UPDATE SKIP LOCKED on
  PostgreSQL, so workers never wait for or take each other's rows) and gives them a
  lease (state sending, lease_until).
- Before a chunk goes to the channel's service, its deliveries are marked handed over
  (committed). A lease that runs out before that means the service never had them: the
  sweeper queues them again. After it, the service may have them: a channel whose
  service takes an idempotency key is tried again with the same key; any other
  delivery becomes uncertain, for staff to confirm or resend. Never a silent second send.
- Channels that deliver by writing our own tables (export's webhook outbox, print,
  direct debit) do it in the transaction that records the outcome, so they are never
  uncertain.
- Outcomes are recorded only for deliveries still leased (state sending): a delivery
  the sweeper has already judged is not overwritten.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.core.bulk import any_of
from fakturera.distribution import selectors
from fakturera.distribution.channels import REGISTRY
from fakturera.distribution.channels.base import Job, Outcome, TransientError, TransportError
from fakturera.distribution.models import Delivery, DeliveryState, Purpose
from fakturera.distribution.reasons import Reason, text
from fakturera.distribution.services import rollback_moves
from fakturera.distribution.states import SendingEvent, SendingMove, SendingStatus, move_deliveries, move_sending
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_get
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceKind
from fakturera.parties.models import Company

log = logging.getLogger(__name__)

CLAIM_SIZE = 500
MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=1)


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


def deliveries_claim(*, limit: int = CLAIM_SIZE, now: dt.datetime | None = None) -> list[int]:
    """Take up to `limit` due deliveries for this worker: state sending, leased."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            move_deliveries(
                ids=ids,
                expected=DeliveryState.QUEUED,
                to=DeliveryState.SENDING,
                lease_until=now + lease(),
                attempts=F("attempts") + 1,
                handed_over_at=None,
            )
    return ids


def deliveries_work(*, limit: int = CLAIM_SIZE, now: dt.datetime | None = None) -> Round:
    """One round: claim, deliver, record. Returns what happened (claimed 0: nothing due)."""
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
    for (company_id, channel), group in groups.items():
        _deliver_group(company_id, channel, group, result)
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
            kind=InvoiceKind.CREDIT_NOTE, credited_invoice_id__in=list(queued_at)
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


def _deliver_group(company_id: int, code: str, deliveries: list[Delivery], result: Round) -> None:
    channel = REGISTRY[code]
    company = Company.objects.get(pk=company_id)
    settings = selectors.channel_settings(company=company_id)
    session = channel.open(company=company, settings=settings, texts=selectors.email_texts(company=company_id))
    needs_pdf = bool(session.needs_pdf or channel.needs_pdf)
    try:
        for chunk in _chunks(deliveries, channel.chunk_size):
            jobs = _jobs(chunk, needs_pdf=needs_pdf, needs_ubl=channel.needs_ubl)
            if channel.is_local:
                with transaction.atomic():
                    outcomes = session.send(jobs)
                    _record(jobs, outcomes, result)
                continue
            _hand_over([job.delivery.pk for job in jobs])
            try:
                outcomes = session.send(jobs)
            except Exception as exc:
                # A bug or an unexpected answer: the chunk may have gone, so the lease
                # runs out and the sweeper judges it like a dead worker's.
                log.exception("Delivery by %s failed unexpectedly: %s", code, type(exc).__name__)
                raise
            _record(jobs, outcomes, result)
    finally:
        session.close()


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _hand_over(ids: list[int]) -> None:
    Delivery.objects.filter(any_of(Delivery, ids), state=DeliveryState.SENDING).update(handed_over_at=timezone.now())


def _jobs(deliveries: list[Delivery], *, needs_pdf: bool, needs_ubl: bool) -> list[Job]:
    invoice_ids = [d.invoice_id for d in deliveries]
    invoices = {invoice.pk: invoice for invoice in Invoice.objects.filter(any_of(Invoice, invoice_ids))}
    jobs = [Job(delivery=d, invoice=invoices[d.invoice_id]) for d in deliveries]
    if needs_pdf:
        stored = {
            (invoice_id, template): bytes(content)
            for invoice_id, template, content in InvoiceDocument.objects.filter(
                any_of(InvoiceDocument, invoice_ids, "invoice"), format=DocumentFormat.PDF
            ).values_list("invoice_id", "template", "content")
        }
        for job in jobs:
            job.pdf = stored.get((job.invoice.pk, job.delivery.template))
            if job.pdf is None:
                # Not rendered in this layout yet: rendered now, and stored for every later use.
                job.pdf = bytes(
                    document_get(invoice=job.invoice, fmt=DocumentFormat.PDF, template=job.delivery.template).content
                )
    if needs_ubl:
        stored_ubl = dict(
            InvoiceDocument.objects.filter(
                any_of(InvoiceDocument, invoice_ids, "invoice"), format=DocumentFormat.UBL
            ).values_list("invoice_id", "content")
        )
        for job in jobs:
            content = stored_ubl.get(job.invoice.pk)
            job.ubl = (
                bytes(content)
                if content is not None
                else bytes(document_get(invoice=job.invoice, fmt=DocumentFormat.UBL).content)
            )
    return jobs


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


def deliveries_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Judge deliveries whose lease ran out (their worker died or hung): back to the
    queue if the service never had them or takes an idempotency key, else uncertain."""
    now = now or timezone.now()
    counts = {"requeued": 0, "uncertain": 0}
    with transaction.atomic():
        expired = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.SENDING, lease_until__lt=now)
            .order_by("pk")
        )
        if not expired:
            return counts
        requeue = [d for d in expired if d.handed_over_at is None or REGISTRY[d.channel].takes_idempotency_key]
        uncertain = [d for d in expired if d not in requeue]
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
            move_deliveries(
                ids=[d.pk for d in uncertain],
                expected=DeliveryState.SENDING,
                to=DeliveryState.UNCERTAIN,
                lease_until=None,
                error=_("The worker stopped while sending."),
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
        counts = {"requeued": len(requeue), "uncertain": len(uncertain)}
    return counts
