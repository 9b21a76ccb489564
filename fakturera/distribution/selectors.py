"""Reads of distribution, always for one company: its channel settings, the facts
routing needs for many invoices at once, and the progress of sends."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from fakturera.autogiro.selectors import mandates_active_for
from fakturera.core.bulk import any_of
from fakturera.core.mail import INSTALLATION, Outbox
from fakturera.distribution.channels.email import variables
from fakturera.distribution.channels.peppol import receivers_registered
from fakturera.distribution.mail import Text, fill_text, smtp_outbox
from fakturera.distribution.models import (
    ACTIVE_STATES,
    ChannelSetting,
    Delivery,
    DeliveryState,
    DistributionSettings,
    EmailTemplate,
    InvoiceSending,
    SendBatch,
)
from fakturera.distribution.reasons import worded
from fakturera.distribution.routing import CompanyChannels, Facts, Recipient
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.invoicing.models import Invoice, InvoiceEvent
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.parties.models import Channel, Company
from fakturera.parties.recipients import invoice_recipients


class Routed(Protocol):
    """What routing reads of an invoice: an Invoice, or a row of its fields (services.RoutedInvoice)."""

    pk: int
    customer_id: int
    email: str

    @property
    def is_credit_note(self) -> bool: ...


@dataclass(frozen=True)
class Sending:
    """How far one invoice has travelled, as the invoice pages show it."""

    status: str = SendingStatus.UNSENT
    sent_at: dt.datetime | None = None
    reminder_count: int = 0
    reminded_on: dt.date | None = None

    @property
    def status_label(self) -> str:
        return str(SendingStatus(self.status).label)

    @property
    def is_on_its_way(self) -> bool:
        return self.status in (SendingStatus.QUEUED, SendingStatus.UNCERTAIN)


NEVER_SENT = Sending()


def sendings(*, company: Company | int, invoice_ids: list[int]) -> dict[int, Sending]:
    """The sending of each invoice (one query; an invoice never queued has no row: unsent)."""
    company_id = company if isinstance(company, int) else company.pk
    found = {
        row[0]: Sending(*row[1:])
        for row in InvoiceSending.objects.filter(
            any_of(InvoiceSending, invoice_ids), invoice__company_id=company_id
        ).values_list("invoice_id", "status", "sent_at", "reminder_count", "reminded_on")
    }
    return {invoice_id: found.get(invoice_id, NEVER_SENT) for invoice_id in invoice_ids}


def invoice_sending(*, invoice: Invoice) -> Sending:
    return sendings(company=invoice.company_id, invoice_ids=[invoice.pk])[invoice.pk]


def delivery_active(*, invoice: Invoice) -> Delivery | None:
    """The delivery of this invoice that is on its way (at most one: a partial unique index)."""
    return Delivery.objects.filter(invoice=invoice, state__in=ACTIVE_STATES).first()


def invoices_in_sending_status(invoices: QuerySet[Invoice], *, status: str) -> QuerySet[Invoice]:
    """Narrow a list of invoices (invoicing.selectors.invoice_list) to one sending status;
    "" leaves it as it is."""
    if not status:
        return invoices
    if status == SendingStatus.UNSENT:
        return invoices.filter(Q(sending__isnull=True) | Q(sending__status=SendingStatus.UNSENT))
    return invoices.filter(sending__status=status)


def distribution_settings(*, company: Company) -> DistributionSettings:
    found = DistributionSettings.objects.filter(company=company).first()
    return found or DistributionSettings(company=company)


def channel_settings(*, company: Company | int) -> dict[str, ChannelSetting]:
    company_id = company if isinstance(company, int) else company.pk
    return {setting.channel: setting for setting in ChannelSetting.objects.filter(company_id=company_id)}


def company_channels(*, company: Company, settings: dict[str, ChannelSetting] | None = None) -> CompanyChannels:
    settings = settings if settings is not None else channel_settings(company=company)
    general = distribution_settings(company=company)
    return CompanyChannels(
        active=frozenset(code for code, setting in settings.items() if setting.is_active),
        default=general.default_channel,
        reserve=general.reserve_channel,
        reminder=general.reminder_channel,
    )


def email_texts(*, company: Company | int) -> dict[tuple[str, str], Text]:
    company_id = company if isinstance(company, int) else company.pk
    return {
        (row.purpose, row.language): Text(row.subject, row.body)
        for row in EmailTemplate.objects.filter(company_id=company_id)
    }


def template_preview_invoice(*, company: Company, number: str = "") -> Invoice | None:
    """The invoice an e-mail template is previewed with: the one with this number (as
    shown, with or without the series prefix), or the company's latest issued invoice."""
    invoices = Invoice.objects.filter(company=company, kind=InvoiceKind.INVOICE).exclude(status=InvoiceStatus.DRAFT)
    number = number.strip()
    if not number:
        return invoices.order_by("-issued_at", "-number", "-pk").first()
    digits = re.search(r"(\d+)$", number)
    if digits is None:
        return None
    candidates = invoices.filter(number=int(digits.group(1))).order_by("-issued_at", "-pk")
    return next((i for i in candidates if number in (i.display_number, digits.group(1))), None)


def email_preview(*, invoice: Invoice, text: Text) -> Text:
    """The template filled in with this invoice's values, as its customer would get it."""
    recipient = (invoice.buyer or {}).get("name") or invoice.customer.name
    return fill_text(text, variables(invoice, recipient=recipient))


def mail_outbox_for(company: Company) -> Outbox:
    """Where the company's own mail goes out (portal login links, course approvals): its SMTP
    server and sender when its e-mail channel is active and names both (the settings the
    invoices go by), else the installation's (Django's EMAIL_* settings); core.mail sends."""
    setting = ChannelSetting.objects.filter(company=company, channel=Channel.EMAIL, is_active=True).first()
    return smtp_outbox(setting, company) or INSTALLATION


def recipients(*, company: Company, invoices: Sequence[Routed]) -> dict[int, Recipient]:
    """The recipient of each invoice: its customer's (parties.recipients, the rule the
    invoice's paper was addressed by, read in two queries whatever the number), with the
    invoice's own e-mail overriding."""
    of_customer = invoice_recipients(company=company, customer_ids=list({i.customer_id for i in invoices}))
    found = {}
    for invoice in invoices:
        recipient = of_customer[invoice.customer_id]
        if invoice.email.strip():
            recipient = replace(recipient, email=invoice.email.strip())
        found[invoice.pk] = recipient
    return found


def routing_facts(
    *,
    company: Company,
    invoices: Sequence[Routed],
    settings: dict[str, ChannelSetting],
    channels: CompanyChannels,
    is_reminder: bool = False,
) -> dict[int, Facts]:
    """What the channels' criteria need for each invoice. Outside services are asked
    only when their channel is active: Peppol registration once per distinct receiver,
    the mandates of all the customers in one query."""
    found = recipients(company=company, invoices=invoices)
    registered: dict[str, bool] = {}
    if Channel.PEPPOL in channels.active and not is_reminder:
        ids = {recipient.peppol_id for recipient in found.values() if recipient.peppol_id}
        registered = receivers_registered(setting=settings.get(Channel.PEPPOL), participant_ids=ids)
    mandates: set[int] = set()
    if Channel.DIRECT_DEBIT in channels.active and not is_reminder:
        mandates = mandates_active_for(company=company, customer_ids={invoice.customer_id for invoice in invoices})
    return {
        invoice.pk: Facts(
            recipient=found[invoice.pk],
            is_peppol_registered=registered.get(found[invoice.pk].peppol_id),
            has_mandate=invoice.customer_id in mandates,
            is_reminder=is_reminder,
            is_credit_note=invoice.is_credit_note,
        )
        for invoice in invoices
    }


@dataclass(frozen=True)
class Progress:
    total: int
    waiting: int
    sending: int
    sent: int
    failed: int
    undone: int
    uncertain: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.undone + self.uncertain

    @property
    def is_finished(self) -> bool:
        return self.waiting == 0 and self.sending == 0

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)


@dataclass(frozen=True)
class Unsent:
    invoice_id: int
    number: str
    reason: str  # worded in the active language


def batch_unsent(*, batch: SendBatch) -> list[Unsent]:
    """Why the invoices of a send stayed unsent (the first SendBatch.UNSENT_SHOWN), worded now."""
    return [
        Unsent(entry["invoice_id"], entry.get("number", ""), worded(entry.get("reason")))
        for entry in batch.unsent or []
    ]


def batch_progress(*, batch: SendBatch) -> Progress:
    counts = Delivery.objects.filter(batch=batch).aggregate(
        total=Count("pk"),
        waiting=Count("pk", filter=Q(state=DeliveryState.QUEUED)),
        sending=Count("pk", filter=Q(state=DeliveryState.SENDING)),
        sent=Count("pk", filter=Q(state=DeliveryState.SENT)),
        failed=Count("pk", filter=Q(state=DeliveryState.FAILED)),
        undone=Count("pk", filter=Q(state__in=[DeliveryState.UNDONE, DeliveryState.STOPPED])),
        uncertain=Count("pk", filter=Q(state=DeliveryState.UNCERTAIN)),
    )
    return Progress(**counts)


def batches(*, company: Company) -> QuerySet[SendBatch]:
    return SendBatch.objects.filter(company=company).select_related("created_by")


def delivery_ids_by_invoice(*, batch_ids: list[int]) -> Iterable[tuple[int, int]]:
    """(invoice id, delivery id) of these sends' deliveries, streamed."""
    return Delivery.objects.filter(batch_id__in=batch_ids).values_list("invoice_id", "pk").iterator(chunk_size=10_000)


def deliveries(*, company: Company, states: Iterable[str] | None = None) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(company=company).select_related("invoice", "batch")
    if states:
        qs = qs.filter(state__in=list(states))
    return qs.order_by("-pk")


# What the Sending page shows as needing staff: failed, uncertain, waiting long or retried,
# and leased by a worker whose lease has run out.
LATE_AFTER = dt.timedelta(minutes=15)
FAILURES_SHOWN_FOR = dt.timedelta(days=30)


@dataclass(frozen=True)
class Attention:
    failed: list[Delivery]
    uncertain: list[Delivery]
    waiting: list[Delivery]
    stuck: list[Delivery]

    @property
    def count(self) -> int:
        return len(self.failed) + len(self.uncertain) + len(self.waiting) + len(self.stuck)


def deliveries_needing_attention(*, company: Company, now: dt.datetime | None = None, limit: int = 200) -> Attention:
    """Stuck or failing work of one company, a few queries in all: failed deliveries of the last
    30 days whose invoice has not been sent again since; uncertain ones; queued ones that failed
    before (retrying) or are long past due; and sending ones whose lease has run out."""
    now = now or timezone.now()
    base = Delivery.objects.filter(company=company).select_related("invoice")
    later = Delivery.objects.filter(invoice=OuterRef("invoice"), pk__gt=OuterRef("pk"))
    failed = (
        base.filter(state=DeliveryState.FAILED, finished_at__gte=now - FAILURES_SHOWN_FOR)
        .exclude(Exists(later))
        .order_by("-finished_at", "-pk")
    )
    uncertain = base.filter(state=DeliveryState.UNCERTAIN).order_by("-pk")
    waiting = base.filter(
        Q(attempts__gt=0) | Q(next_attempt_at__lt=now - LATE_AFTER), state=DeliveryState.QUEUED
    ).order_by("next_attempt_at", "pk")
    stuck = base.filter(state=DeliveryState.SENDING, lease_until__lt=now).order_by("lease_until", "pk")
    return Attention(
        failed=list(failed[:limit]),
        uncertain=list(uncertain[:limit]),
        waiting=list(waiting[:limit]),
        stuck=list(stuck[:limit]),
    )


# --- what a send did, for the page that follows it (the basis's Register & send) ----------------


def batch_channel_counts(*, batch: SendBatch) -> dict[str, int]:
    """How many of the send's invoices were queued per channel (channel code -> count)."""
    rows = Delivery.objects.filter(batch=batch).values_list("channel").annotate(n=Count("pk")).order_by("channel")
    return dict(rows)


def batch_deliveries_of(*, batch: SendBatch, invoice_ids: list[int]) -> dict[int, Delivery]:
    """The send's delivery of each of these invoices (those it queued), in one query."""
    return {d.invoice_id: d for d in Delivery.objects.filter(any_of(Delivery, invoice_ids, "invoice"), batch=batch)}


def not_sent_reasons(*, invoice_ids: list[int], since: dt.datetime) -> dict[int, str]:
    """Why each of these invoices was not sent by a send made at `since` or later: the last
    such reason in its history, worded in the active language. One query."""
    events = (
        InvoiceEvent.objects.filter(any_of(InvoiceEvent, invoice_ids, "invoice"), kind=SendingEvent.NOT_SENT)
        .filter(at__gte=since)
        .order_by("invoice_id", "at", "pk")
        .values_list("invoice_id", "params")
    )
    return {invoice_id: worded((params or {}).get("reason")) for invoice_id, params in events}
