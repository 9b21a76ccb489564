"""/metrics for Prometheus (ops/DESIGN.md): django-prometheus' request, response and
latency figures of this process, and the installation's own, read from the database at each
scrape so that any web process answers for every machine (workers need no port of their own):

- fakturera_queue_depth{queue}, fakturera_queue_oldest_age_seconds{queue}: tasks, deliveries, webhooks;
- fakturera_deliveries{channel,state}: every delivery by channel and how it ended (or stands);
- fakturera_webhook_deliveries{event,status}, fakturera_webhook_attempts_failed;
- fakturera_scheduler_job_last_success_timestamp_seconds{job}, ..._last_duration_seconds{job},
  ..._last_ok{job}, fakturera_scheduler_job_last_figure{job,figure} (reminders queued per run ...);
- fakturera_payment_imports, fakturera_payment_import_lines{outcome},
  fakturera_payment_import_latest_lines{outcome}: bank files imported and their lines.

Access: `Authorization: Bearer $FAKTURERA_METRICS_TOKEN`, or, without a token set, a request
straight from loopback (no X-Forwarded-For, no proxy counted in FAKTURERA_TRUSTED_PROXY_COUNT).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

import prometheus_client
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from fakturera.core.scheduler import job_states
from fakturera.distribution.figures import deliveries_by_channel_and_state
from fakturera.ops.probes import queues
from fakturera.payments.figures import imports_summary
from fakturera.webhooks.figures import webhook_attempts_failed, webhook_deliveries_by_event_and_status


class InstallationCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        now = timezone.now()
        depth = GaugeMetricFamily("fakturera_queue_depth", "Items due now in the queue", labels=["queue"])
        age = GaugeMetricFamily(
            "fakturera_queue_oldest_age_seconds", "How long the oldest due item has waited", labels=["queue"]
        )
        for state in queues(now=now):
            depth.add_metric([state.name], state.depth)
            age.add_metric([state.name], state.age_seconds(now))
        yield depth
        yield age

        deliveries = GaugeMetricFamily(
            "fakturera_deliveries", "Invoice deliveries by channel and state (outcome)", labels=["channel", "state"]
        )
        for channel, state, count in deliveries_by_channel_and_state():
            deliveries.add_metric([channel, state], count)
        yield deliveries

        webhooks = GaugeMetricFamily(
            "fakturera_webhook_deliveries", "Webhook deliveries by event and status", labels=["event", "status"]
        )
        for event, status, count in webhook_deliveries_by_event_and_status():
            webhooks.add_metric([event, status], count)
        yield webhooks
        yield CounterMetricFamily(
            "fakturera_webhook_attempts_failed", "Webhook attempts not accepted", value=webhook_attempts_failed()
        )

        success = GaugeMetricFamily(
            "fakturera_scheduler_job_last_success_timestamp_seconds", "When the job last ran well", labels=["job"]
        )
        duration = GaugeMetricFamily(
            "fakturera_scheduler_job_last_duration_seconds", "How long the job's latest run took", labels=["job"]
        )
        ok = GaugeMetricFamily("fakturera_scheduler_job_last_ok", "1 if the latest run ran well", labels=["job"])
        figure = GaugeMetricFamily(
            "fakturera_scheduler_job_last_figure", "What the job's latest run counted", labels=["job", "figure"]
        )
        for job in job_states():
            if job.last_success_at is not None:
                success.add_metric([job.job], job.last_success_at.timestamp())
            if job.last_seconds is not None:
                duration.add_metric([job.job], job.last_seconds)
            if job.last_ok is not None:
                ok.add_metric([job.job], 1 if job.last_ok else 0)
            for name, value in sorted(job.figures.items()):
                figure.add_metric([job.job, name], value)
        yield from (success, duration, ok, figure)

        summary = imports_summary()
        yield CounterMetricFamily("fakturera_payment_imports", "Bank files imported", value=summary["imports"])
        lines = CounterMetricFamily(
            "fakturera_payment_import_lines", "Bank file lines imported, by outcome", labels=["outcome"]
        )
        latest = GaugeMetricFamily(
            "fakturera_payment_import_latest_lines", "The latest import's lines, by outcome", labels=["outcome"]
        )
        for name, value in summary["lines"].items():  # type: ignore[attr-defined]
            lines.add_metric([name], value)
        for name, value in summary["latest"].items():  # type: ignore[attr-defined]
            latest.add_metric([name], value)
        yield lines
        yield latest


_installation = CollectorRegistry(auto_describe=False)
_installation.register(InstallationCollector())


def is_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if settings.TRUSTED_PROXY_COUNT or "HTTP_X_FORWARDED_FOR" in request.META:
        return False  # behind a proxy every request seems to come from it: a token is needed
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_response(request: HttpRequest) -> HttpResponse:
    if not is_allowed(request):
        return HttpResponse(
            "Metrics need Authorization: Bearer <FAKTURERA_METRICS_TOKEN>, or a request from loopback.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # gunicorn's workers share their figures through files (django-prometheus' multiprocess mode).
        process = CollectorRegistry()
        multiprocess.MultiProcessCollector(process)
    else:
        process = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(process) + prometheus_client.generate_latest(_installation)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
