"""Distribution writes: the company's channel settings and templates, sending (queueing
with undo), undo, and staff's answer to an uncertain delivery.

Queueing commits in the same transaction as the invoices' move to "waiting to be
sent": a rolled-back send leaves no delivery, and a committed one is never lost (the
worker finds it in the table). Delivery itself is worker.py.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.core import net
from fakturera.core.bulk import any_of, bulk_insert
from fakturera.core.collector import collector_paused
from fakturera.core.db import run_retrying
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict, ValidationFailed
from fakturera.core.payment_facts import PaymentFacts, payment_facts
from fakturera.core.text import check_texts
from fakturera.distribution import selectors
from fakturera.distribution.channels import REGISTRY, channel_problem
from fakturera.distribution.mail import template_problems
from fakturera.distribution.models import (
    ChannelSetting,
    Delivery,
    DeliveryState,
    DistributionSettings,
    EmailTemplate,
    Purpose,
    SendBatch,
)
from fakturera.distribution.reasons import Reason, reason
from fakturera.distribution.routing import REMINDER_CHANNELS, Recipient, route
from fakturera.distribution.states import SendingEvent, SendingMove, SendingStatus, move_deliveries, move_sending
from fakturera.invoicing.history import Entry, actor_id_of, history_add_many
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.parties.models import Channel, Company, PdfTemplate

MAX_UNDO_MINUTES = 24 * 60
OPTION_NAMES: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: ("host", "port", "security", "username", "from_email", "from_name"),
    Channel.LETTER: ("base_url",),
    Channel.PEPPOL: ("base_url",),
    Channel.EXPORT: ("mode", "directory"),
}
HAS_SECRET = frozenset({Channel.EMAIL, Channel.LETTER, Channel.PEPPOL})


# --- settings (administrators) ------------------------------------------------------------------


@transaction.atomic
def channel_setting_save(
    *, company: Company, channel: str, is_active: bool, options: dict[str, Any], secret: str | None = None
) -> ChannelSetting:
    """Save one channel's settings. `secret` None (or empty) keeps the stored one, so a
    form that never shows it does not erase it."""
    if channel not in REGISTRY:
        raise DomainError(_("Unknown channel."), field="channel")
    unknown = set(options) - set(OPTION_NAMES.get(channel, ()))
    if unknown:
        raise DomainError(_("Unknown settings: %(f)s") % {"f": ", ".join(sorted(unknown))})
    options = {key: value for key, value in options.items() if value not in (None, "")}
    _check_target(channel, options)  # before the row lock: it may look a name up
    setting, _created = ChannelSetting.objects.select_for_update().get_or_create(company=company, channel=channel)
    setting.is_active = is_active
    setting.options = options
    if secret:
        setting.secret = secret
    if is_active:
        if reason := REGISTRY[channel].settings_problem(setting):
            raise DomainError(reason, field="is_active")
        if channel == Channel.PORTAL and (reason := _portal_smtp_problem(company)):
            raise DomainError(reason, field="is_active")
    setting.save()
    _check_exclusive_export(company)
    return setting


def _check_target(channel: str, options: dict[str, Any]) -> None:
    """A server on a loopback, private or internal address, or on a database port, is refused
    when saved (core.net). Every connection checks again, on the addresses the name has then."""
    if channel == Channel.EMAIL and options.get("host"):
        try:
            port = int(options.get("port") or 25)
        except (TypeError, ValueError):
            raise DomainError(_("The port is a number from 1 to 65535."), field="port") from None
        if refused := net.target_problem(str(options["host"]), port):
            raise DomainError(refused.message, field="port" if refused.code == "refused_port" else "host")
    base_url = options.get("base_url") if channel in (Channel.LETTER, Channel.PEPPOL) else None
    if base_url and (refused := net.url_problem(str(base_url))):
        raise DomainError(refused.message, field="base_url")


def _portal_smtp_problem(company: Company) -> str | None:
    from fakturera.distribution.channels.portal import PortalChannel

    problem = PortalChannel.smtp_problem(ChannelSetting.objects.filter(company=company, channel=Channel.EMAIL).first())
    return _("The portal notice is sent by e-mail: %(reason)s") % {"reason": problem} if problem else None


def _check_exclusive_export(company: Company) -> None:
    active = set(ChannelSetting.objects.filter(company=company, is_active=True).values_list("channel", flat=True))
    if Channel.EXPORT in active and len(active) > 1:
        others = ", ".join(sorted(str(Channel(code).label) for code in active - {Channel.EXPORT}))
        raise DomainError(
            _("Export is used alone: deactivate the other channels first (%(others)s).") % {"others": others},
            field="is_active",
            code="export_exclusive",
        )
    general = DistributionSettings.objects.filter(company=company).first()
    if general is not None:
        _check_general(general, active)


def _check_general(general: DistributionSettings, active: set[str]) -> None:
    errors = ErrorCollector()
    for name in ("default_channel", "reserve_channel", "reminder_channel"):
        value = getattr(general, name)
        if value and value not in active:
            errors.add(name, _("The channel %(c)s is not active.") % {"c": Channel(value).label})
    if general.reminder_channel and general.reminder_channel not in REMINDER_CHANNELS:
        errors.add("reminder_channel", _("Reminders go by print, e-mail or letter."))
    if general.reserve_channel and general.reserve_channel == general.default_channel:
        errors.add("reserve_channel", _("The reserve channel must differ from the default channel."))
    if not 0 <= general.undo_minutes <= MAX_UNDO_MINUTES:
        errors.add("undo_minutes", _("The undo window is 0 to 1,440 minutes."))
    errors.raise_if_any()


@transaction.atomic
def distribution_settings_save(
    *, company: Company, default_channel: str, reserve_channel: str, reminder_channel: str, undo_minutes: int
) -> DistributionSettings:
    general, _created = DistributionSettings.objects.select_for_update().get_or_create(company=company)
    general.default_channel = default_channel or ""
    general.reserve_channel = reserve_channel or ""
    general.reminder_channel = reminder_channel or ""
    general.undo_minutes = undo_minutes
    active = set(ChannelSetting.objects.filter(company=company, is_active=True).values_list("channel", flat=True))
    _check_general(general, active)
    general.save()
    return general


@transaction.atomic
def email_template_save(*, company: Company, purpose: str, language: str, subject: str, body: str) -> EmailTemplate:
    check_texts({"subject": subject, "body": body}, multiline={"body"})
    if not subject.strip() or not body.strip():
        raise DomainError(_("An e-mail template needs a subject and a text."), field="subject")
    if problems := template_problems(subject=subject, body=body):
        raise ValidationFailed(problems)
    template, _created = EmailTemplate.objects.update_or_create(
        company=company, purpose=purpose, language=language, defaults={"subject": subject.strip(), "body": body}
    )
    return template


# --- sending ----------------------------------------------------------------------------------------


def _delivery_address(recipient: Recipient) -> dict[str, Any]:
    address = recipient.address
    return {
        "email": recipient.email,
        "peppol_id": recipient.peppol_id,
        **(
            {
                "name": address.name,
                "lines": list(address.lines),
                "postal_code": address.postal_code,
                "city": address.city,
                "country": address.country,
            }
            if address is not None
            else {}
        ),
    }


def recipient_text(channel: str, recipient: Recipient) -> str:
    if channel in (Channel.EMAIL, Channel.PORTAL):
        return f"{recipient.name} <{recipient.email}>"
    if channel == Channel.LETTER and recipient.address is not None:
        address = recipient.address
        return ", ".join([address.name, *address.lines, f"{address.postal_code} {address.city}"])
    if channel == Channel.PEPPOL:
        return f"{recipient.name} ({recipient.peppol_id})"
    return recipient.name


def recipient_text_of(delivery: Delivery) -> str:
    """How a queued delivery names its recipient in the history."""
    address = delivery.address or {}
    if delivery.channel in (Channel.EMAIL, Channel.PORTAL):
        return f"{delivery.recipient} <{address.get('email', '')}>"
    if delivery.channel == Channel.LETTER and address.get("city"):
        return ", ".join([delivery.recipient, *address.get("lines", []), f"{address['postal_code']} {address['city']}"])
    if delivery.channel == Channel.PEPPOL:
        return f"{delivery.recipient} ({address.get('peppol_id', '')})"
    return delivery.recipient


def _sendable(
    invoice: QueuedInvoice, sending: selectors.Sending, purpose: str, today: dt.date, facts: PaymentFacts | None
) -> Reason | None:
    """Why this invoice cannot be sent now, or None. A reminder goes only to what is still
    unpaid (seed 003), as payments knows it (core.payment_facts)."""
    if invoice.status != InvoiceStatus.ISSUED:
        return reason("not_issued")
    if sending.is_on_its_way:
        return reason("on_its_way")
    if purpose == Purpose.REMINDER and not (
        invoice.kind == InvoiceKind.INVOICE and invoice.due_on is not None and invoice.due_on < today
    ):
        return reason("not_overdue")
    if purpose == Purpose.REMINDER and facts is not None and facts.is_settled:
        return reason("paid")
    return None


@collector_paused()
def invoices_send(
    *,
    company: Company,
    actor: Any,
    invoice_ids: list[int],
    template: str = "",
    channel: str = "",
    purpose: str = Purpose.INVOICE,
    now: dt.datetime | None = None,
) -> SendBatch:
    """Queue the invoices for delivery, each by its routed channel (or `channel`), with an
    undo window. Invoices that cannot go stay as they are, the reason in their history."""
    now = now or timezone.now()
    template = template or company.pdf_template
    if template not in PdfTemplate.values:
        raise DomainError(_("Unknown layout."), field="template")
    if purpose not in (Purpose.INVOICE, Purpose.REMINDER):
        raise DomainError(_("Unknown kind of sending."), field="purpose")
    settings = selectors.channel_settings(company=company)
    channels = selectors.company_channels(company=company, settings=settings)
    if channel and channel not in channels.active:
        raise DomainError(_("The channel %(c)s is not active.") % {"c": Channel(channel).label}, field="channel")
    if not channels.active:
        raise DomainError(_("No channel is active: set up distribution in the settings first."), code="no_channel")
    general = selectors.distribution_settings(company=company)
    is_reminder = purpose == Purpose.REMINDER
    # The facts first, outside the transaction: they may ask outside services (is the
    # Peppol receiver registered?), and no invoice row stays locked while they answer.
    # What routing reads of an invoice (the snapshots and lines stay in the database: a reminder
    # run sends a hundred thousand at once).
    # As plain rows, not model instances: a reminder run routes a hundred thousand at once.
    candidates = [
        RoutedInvoice(*row)
        for row in Invoice.objects.filter(any_of(Invoice, list(invoice_ids)), company=company).values_list(
            *ROUTED_FIELDS
        )
    ]
    if not candidates:
        raise DomainError(_("Select at least one invoice to send."), code="nothing_selected")
    facts = selectors.routing_facts(
        company=company, invoices=candidates, settings=settings, channels=channels, is_reminder=is_reminder
    )
    return run_retrying(
        lambda: _queue(
            company=company,
            actor=actor,
            invoice_ids=[invoice.pk for invoice in candidates],
            preferred={invoice.pk: invoice.preferred_channel for invoice in candidates},
            facts=facts,
            channels=channels,
            undo_minutes=general.undo_minutes,
            template=template,
            channel=channel,
            purpose=purpose,
            now=now,
        )
    )


def _queue(
    *,
    company: Company,
    actor: Any,
    invoice_ids: list[int],
    preferred: dict[int, str],
    facts: dict[int, Any],
    channels: Any,
    undo_minutes: int,
    template: str,
    channel: str,
    purpose: str,
    now: dt.datetime,
) -> SendBatch:
    is_reminder = purpose == Purpose.REMINDER
    today = timezone.localdate(now)
    # Locked and read again: the sending status decides, as it is now (a delivery that
    # moves it meanwhile fails its compare-and-set, and this send rolls back).
    # Locked in the one order of invoices (by id; invoicing/DESIGN.md, "Locks"), queued by number.
    invoices = sorted(
        (
            QueuedInvoice(*row)
            for row in Invoice.objects.select_for_update()
            .filter(any_of(Invoice, invoice_ids), company=company)
            .order_by("pk")
            .values_list(*QUEUED_FIELDS)
        ),
        key=lambda invoice: (invoice.number is None, invoice.number or 0, invoice.pk),
    )
    sendings = selectors.sendings(company=company, invoice_ids=[invoice.pk for invoice in invoices])
    # The invoices without a sending row, as read under their lock: theirs are inserted as they are.
    never_sent = {pk for pk, sending in sendings.items() if sending is selectors.NEVER_SENT}
    batch = SendBatch.objects.create(
        company=company,
        purpose=purpose,
        channel=channel,
        template=template,
        created_by=actor,
        undo_until=now + dt.timedelta(minutes=undo_minutes),
    )
    sendable = []
    moves: dict[str, list[SendingMove]] = defaultdict(list)
    not_sent: list[tuple[int, Reason]] = []
    paid = payment_facts(invoice.pk for invoice in invoices) if purpose == Purpose.REMINDER else {}
    for invoice in invoices:
        refusal = _sendable(invoice, sendings[invoice.pk], purpose, today, paid.get(invoice.pk))
        if refusal:
            not_sent.append((invoice.pk, refusal))
        else:
            sendable.append(invoice)
    # A customer's invoices share one recipient: its address made (and stored as JSON) once.
    addresses: dict[int, tuple[Recipient, dict[str, Any]]] = {}

    def address_of(recipient: Recipient) -> dict[str, Any]:
        made = addresses.get(id(recipient))
        if made is None or made[0] is not recipient:
            made = addresses[id(recipient)] = (recipient, _delivery_address(recipient))
        return made[1]

    keys = idempotency_keys(len(sendable))
    shared_params: dict[tuple[str, str], dict[str, Any]] = {}

    def routed() -> Iterator[tuple[Any, ...]]:
        """Each sendable invoice routed: its delivery's row, its sending's move kept aside (or
        why it has no channel). A generator feeding the COPY below, so the database stores the
        rows while the next ones are routed (a reminder run routes a hundred thousand at once)."""
        for invoice in sendable:
            fact = facts[invoice.pk]
            found = route(
                preferred=preferred.get(invoice.pk) or "",
                company=channels,
                facts=fact,
                problem=channel_problem,
                chosen=channel,
            )
            if found.channel is None:
                not_sent.append((invoice.pk, found.reason or reason("no_active_channel")))
                continue
            recipient = recipient_text(found.channel, fact.recipient)
            sending = sendings[invoice.pk]
            if found.notes:
                params: dict[str, Any] = {
                    "channel": found.channel,
                    "recipient": recipient,
                    "routing": [note.as_data() for note in found.notes],
                }
            else:
                # A customer's invoices share one (read-only) dict, so its history's JSON is made once.
                params = shared_params.get((found.channel, recipient)) or shared_params.setdefault(
                    (found.channel, recipient), {"channel": found.channel, "recipient": recipient}
                )
            fields: tuple[tuple[str, Any], ...] = ()
            if is_reminder:
                fields = (("reminder_count", sending.reminder_count + 1), ("reminded_on", today))
            moves[sending.status].append(
                SendingMove(
                    invoice_id=invoice.pk,
                    to=SendingStatus.QUEUED,
                    event=SendingEvent.REMINDER_QUEUED if is_reminder else SendingEvent.QUEUED,
                    params=params,
                    fields=fields,
                )
            )
            yield (
                company.pk,
                batch.pk,
                invoice.pk,
                purpose,
                found.channel,
                template,
                fact.recipient.name,
                address_of(fact.recipient),
                batch.undo_until,
                sending.status,
                sending.reminder_count,
                sending.reminded_on,
                next(keys),
            )

    # COPY, not the ORM's insert: a reminder run queues a hundred thousand at once.
    queued = bulk_insert(Delivery, DELIVERY_COLUMNS, routed())
    for expected, group in moves.items():
        move_sending(group, expected=expected, actor=actor, at=now, company_id=company.pk, absent=never_sent)
    if not_sent:
        actor_id = actor_id_of(actor)
        history_add_many(
            Entry(invoice_id, SendingEvent.NOT_SENT, now, actor_id, {"reason": why.as_data()})
            for invoice_id, why in not_sent
        )
    shown = not_sent[: SendBatch.UNSENT_SHOWN]
    numbers = {
        invoice.pk: invoice.display_number
        for invoice in Invoice.objects.filter(any_of(Invoice, [invoice_id for invoice_id, _why in shown])).only(
            "pk", "number", "seller"
        )
        if invoice.number is not None
    }
    unsent = [
        {"invoice_id": invoice_id, "number": numbers.get(invoice_id, ""), "reason": why.as_data()}
        for invoice_id, why in shown
    ]
    SendBatch.objects.filter(pk=batch.pk).update(queued_count=queued, unsent_count=len(not_sent), unsent=unsent)
    batch.queued_count, batch.unsent_count, batch.unsent = queued, len(not_sent), unsent
    # What the caller may tell at once (the history holds the same): invoice id -> why not.
    batch.not_sent = dict(not_sent)
    return batch


def idempotency_keys(count: int, *, now_ms: int | None = None) -> Iterator[str]:
    """`count` distinct UUIDs of version 7 (RFC 9562, 5.7) as text, in ascending order: the time in
    milliseconds, then a 42-bit counter started at a random value (6.2, method 1), then 32 random
    bits. The unique index of the deliveries' keys takes keys in order at its end; random
    (version 4) keys went to a random page each, a third of the time PostgreSQL took to store a
    reminder run's hundred thousand deliveries. The random parts come from one read of the
    system's random source; a channel's receiver sees a key as unguessable as before."""
    if count <= 0:
        return
    random = os.urandom(6 + 4 * count)
    counter = int.from_bytes(random[:6], "big") >> 7  # 41 bits: room to count `count` up
    stamp = ((now_ms if now_ms is not None else time.time_ns() // 1_000_000) & (1 << 48) - 1) << 80
    stamp |= 0x7 << 76 | 0b10 << 62  # version 7, the RFC variant
    for index in range(count):
        step = counter + index
        tail = int.from_bytes(random[6 + 4 * index : 10 + 4 * index], "big")
        text = f"{stamp | (step >> 30) << 64 | (step & 0x3FFFFFFF) << 32 | tail:032x}"
        yield f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# What sending reads of the invoices it routes (with the customer's preferred channel) and,
# locked, of those it queues.
ROUTED_FIELDS = ("pk", "customer_id", "email", "kind", "customer__preferred_channel")
QUEUED_FIELDS = ("pk", "kind", "status", "number", "due_on")


@dataclass(frozen=True, slots=True)
class RoutedInvoice:
    """What routing reads of an invoice (selectors.routing_facts)."""

    pk: int
    customer_id: int
    email: str
    kind: str
    preferred_channel: str

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


@dataclass(frozen=True, slots=True)
class QueuedInvoice:
    """What queueing reads of a locked invoice (`_sendable`)."""

    pk: int
    kind: str
    status: str
    number: int | None
    due_on: dt.date | None


DELIVERY_COLUMNS = (
    "company_id",
    "batch_id",
    "invoice_id",
    "purpose",
    "channel",
    "template",
    "recipient",
    "address",
    "next_attempt_at",
    "previous_sending_status",
    "previous_reminder_count",
    "previous_reminded_on",
    "idempotency_key",
)


def rollback_moves(deliveries: list[Delivery], *, event_of: Any, params_of: Any = None) -> dict[str, list[SendingMove]]:
    """The moves that put each delivery's invoice back as it was before queueing, grouped by
    where they go; `event_of(delivery)` is the history's kind, `params_of(delivery)` what
    it says beside the channel."""
    moves: dict[str, list[SendingMove]] = defaultdict(list)
    for delivery in deliveries:
        fields: tuple[tuple[str, Any], ...] = ()
        if delivery.purpose == Purpose.REMINDER:
            # Seed 003: a failed reminder counts down and steps its date back.
            fields = (
                ("reminder_count", delivery.previous_reminder_count),
                ("reminded_on", delivery.previous_reminded_on),
            )
        moves[delivery.previous_sending_status].append(
            SendingMove(
                invoice_id=delivery.invoice_id,
                to=delivery.previous_sending_status,
                event=event_of(delivery),
                params={"channel": delivery.channel, **(params_of(delivery) if params_of else {})},
                fields=fields,
            )
        )
    return moves


@transaction.atomic
def deliveries_undo(*, company: Company, actor: Any, delivery_ids: list[int], now: dt.datetime | None = None) -> int:
    """Undo queued deliveries inside their undo window. Returns how many were undone;
    refuses (changing nothing) when none of them can be undone any more."""
    now = now or timezone.now()
    deliveries = list(
        Delivery.objects.select_for_update()
        .filter(any_of(Delivery, list(delivery_ids)), company=company, state=DeliveryState.QUEUED)
        .filter(batch__undo_until__gt=now)
        .order_by("pk")
    )
    if not deliveries:
        raise StateConflict(_("Too late to undo: the undo window has passed or it is already sent."))
    move_deliveries(
        ids=[d.pk for d in deliveries],
        expected=DeliveryState.QUEUED,
        to=DeliveryState.UNDONE,
        finished_at=now,
        error="",
    )
    moves = rollback_moves(
        deliveries,
        event_of=lambda d: SendingEvent.SEND_UNDONE,
        params_of=lambda d: {"purpose": d.purpose},
    )
    for _target, group in moves.items():
        move_sending(group, expected=SendingStatus.QUEUED, actor=actor, at=now)
    return len(deliveries)


def deliveries_stop_credited(*, invoice_ids: list[int], actor: Any, at: dt.datetime | None = None) -> int:
    """Stop the queued deliveries of credited invoices (inside the caller's transaction)."""
    at = at or timezone.now()
    deliveries = list(
        Delivery.objects.select_for_update()
        .filter(invoice_id__in=invoice_ids, state=DeliveryState.QUEUED)
        .order_by("pk")
    )
    if not deliveries:
        return 0
    move_deliveries(
        ids=[d.pk for d in deliveries], expected=DeliveryState.QUEUED, to=DeliveryState.STOPPED, finished_at=at
    )
    for _target, group in rollback_moves(
        deliveries,
        event_of=lambda d: SendingEvent.SEND_STOPPED,
        params_of=lambda d: {"purpose": d.purpose},
    ).items():
        move_sending(group, expected=SendingStatus.QUEUED, actor=actor, at=at)
    return len(deliveries)


def deliveries_undo_batch(*, company: Company, actor: Any, batch: SendBatch) -> int:
    ids = list(batch.deliveries.filter(state=DeliveryState.QUEUED).values_list("pk", flat=True))
    return deliveries_undo(company=company, actor=actor, delivery_ids=ids)


@transaction.atomic
def delivery_confirm_sent(*, company: Company, actor: Any, delivery: Delivery) -> Delivery:
    """Staff checked with the recipient that an uncertain delivery arrived."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk, company=company)
    if locked.state != DeliveryState.UNCERTAIN:
        raise StateConflict(_("Only an uncertain delivery is confirmed."))
    now = timezone.now()
    move_deliveries(
        ids=[locked.pk], expected=DeliveryState.UNCERTAIN, to=DeliveryState.SENT, finished_at=now, lease_until=None
    )
    is_reminder = locked.purpose == Purpose.REMINDER
    move_sending(
        [
            SendingMove(
                invoice_id=locked.invoice_id,
                to=SendingStatus.REMINDED if is_reminder else SendingStatus.SENT,
                event=SendingEvent.REMINDED if is_reminder else SendingEvent.SENT,
                params={"channel": locked.channel, "recipient": locked.recipient, "confirmed": True},
                fields=(("sent_at", now),),
            )
        ],
        expected=SendingStatus.UNCERTAIN,
        actor=actor,
        at=now,
    )
    locked.state = DeliveryState.SENT
    return locked


@transaction.atomic
def delivery_resend(*, company: Company, actor: Any, delivery: Delivery) -> Delivery:
    """Staff send an uncertain delivery again (it may then arrive twice: their choice)."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk, company=company)
    if locked.state != DeliveryState.UNCERTAIN:
        raise StateConflict(_("Only an uncertain delivery is sent again from here."))
    now = timezone.now()
    move_deliveries(
        ids=[locked.pk],
        expected=DeliveryState.UNCERTAIN,
        to=DeliveryState.QUEUED,
        next_attempt_at=now,
        lease_until=None,
        handed_over_at=None,
        accepted_at=None,
        attempts=0,
    )
    move_sending(
        [
            SendingMove(
                invoice_id=locked.invoice_id,
                to=SendingStatus.QUEUED,
                event=SendingEvent.QUEUED,
                params={"channel": locked.channel, "recipient": locked.recipient, "resent": True},
            )
        ],
        expected=SendingStatus.UNCERTAIN,
        actor=actor,
        at=now,
    )
    locked.state = DeliveryState.QUEUED
    return locked


# --- the Sending page: resolving stuck or failing work -----------------------------------------


@transaction.atomic
def delivery_confirm_not_sent(*, company: Company, actor: Any, delivery: Delivery) -> Delivery:
    """Staff checked with the recipient that an uncertain delivery did not arrive: it fails, and
    the invoice goes back to what it was (to be sent again from the list when they choose)."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk, company=company)
    if locked.state != DeliveryState.UNCERTAIN:
        raise StateConflict(_("Only an uncertain delivery is confirmed."))
    now = timezone.now()
    why = reason("confirmed_not_sent")
    move_deliveries(
        ids=[locked.pk],
        expected=DeliveryState.UNCERTAIN,
        to=DeliveryState.FAILED,
        finished_at=now,
        lease_until=None,
        error=str(why)[:500],
    )
    for _target, moves in rollback_moves(
        [locked],
        event_of=lambda d: SendingEvent.REMINDER_FAILED if d.purpose == Purpose.REMINDER else SendingEvent.SEND_FAILED,
        params_of=lambda d: {"error": why.as_data()},
    ).items():
        move_sending(moves, expected=SendingStatus.UNCERTAIN, actor=actor, at=now)
    locked.state = DeliveryState.FAILED
    return locked


@transaction.atomic
def delivery_cancel(*, company: Company, actor: Any, delivery: Delivery) -> Delivery:
    """Staff stop a delivery still waiting (retried again and again, or waiting long), also after
    the undo window: undone, the invoice back to what it was, in its history."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk, company=company)
    if locked.state != DeliveryState.QUEUED:
        raise StateConflict(_("Only a delivery waiting to be sent can be stopped; it may be on its way now."))
    now = timezone.now()
    move_deliveries(ids=[locked.pk], expected=DeliveryState.QUEUED, to=DeliveryState.UNDONE, finished_at=now, error="")
    for _target, moves in rollback_moves(
        [locked], event_of=lambda d: SendingEvent.SEND_UNDONE, params_of=lambda d: {"purpose": d.purpose}
    ).items():
        move_sending(moves, expected=SendingStatus.QUEUED, actor=actor, at=now)
    locked.state = DeliveryState.UNDONE
    return locked


def delivery_send_now(*, company: Company, actor: Any, delivery: Delivery) -> int:
    """A delivery waiting for its next attempt (after a failure) is due now: the next round takes it."""
    return Delivery.objects.filter(pk=delivery.pk, company=company, state=DeliveryState.QUEUED).update(
        next_attempt_at=timezone.now()
    )


def delivery_retry(*, company: Company, actor: Any, delivery: Delivery) -> SendBatch:
    """A failed delivery sent again: a new send of its invoice by the same channel (or routed
    again when that channel is off), with the undo window and the history of any send."""
    if delivery.company_id != company.pk or delivery.state != DeliveryState.FAILED:
        raise StateConflict(_("Only a failed delivery is sent again from here."))
    active = selectors.company_channels(company=company).active
    batch = invoices_send(
        company=company,
        actor=actor,
        invoice_ids=[delivery.invoice_id],
        template=delivery.template,
        channel=delivery.channel if delivery.channel in active else "",
        purpose=delivery.purpose if delivery.purpose in (Purpose.INVOICE, Purpose.REMINDER) else Purpose.INVOICE,
    )
    if not batch.queued_count:
        raise DomainError(_("It could not be queued again; its history says why."), code="not_queued")
    return batch
