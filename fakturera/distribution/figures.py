"""The installation's figures of distribution, for operations (/readyz, /metrics): the queue
of due deliveries and how every delivery ended, per channel. Aggregates, whatever the count."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min

from fakturera.core.queues import QueueState
from fakturera.distribution.models import Delivery, DeliveryState


def deliveries_queue(*, now: dt.datetime) -> QueueState:
    """Deliveries queued and due (their undo window and any retry's wait over)."""
    figures = Delivery.objects.filter(state=DeliveryState.QUEUED, next_attempt_at__lte=now).aggregate(
        depth=Count("id"), oldest=Min("next_attempt_at")
    )
    return QueueState("deliveries", figures["depth"], figures["oldest"])


def deliveries_by_channel_and_state() -> list[tuple[str, str, int]]:
    """(channel, state, count) of every delivery: sent, failed, uncertain, stopped, queued ..."""
    rows = Delivery.objects.values_list("channel", "state").annotate(count=Count("id")).order_by("channel", "state")
    return [(channel, state, count) for channel, state, count in rows]
