"""The installation's figures of webhooks, for operations (/readyz, /metrics): the queue of
deliveries due, deliveries by event and status, and failed attempts. Aggregates only."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min, Q

from fakturera.core.queues import QueueState
from fakturera.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery


def webhooks_queue(*, now: dt.datetime) -> QueueState:
    """Webhook deliveries pending and due (their first try or a retry)."""
    figures = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).aggregate(
        depth=Count("id"), oldest=Min("next_attempt_at")
    )
    return QueueState("webhooks", figures["depth"], figures["oldest"])


def webhook_deliveries_by_event_and_status() -> list[tuple[str, str, int]]:
    """(event, status, count): a delivery `failed` ran out of attempts."""
    rows = (
        WebhookDelivery.objects.values_list("event", "status").annotate(count=Count("id")).order_by("event", "status")
    )
    return [(event, status, count) for event, status, count in rows]


def webhook_attempts_failed() -> int:
    """Attempts a receiver did not accept (no answer, or not 2xx)."""
    return WebhookAttempt.objects.filter(
        Q(status_code__isnull=True) | Q(status_code__lt=200) | Q(status_code__gte=300)
    ).count()
