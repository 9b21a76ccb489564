"""Webhooks: events recorded as deliveries in the transaction that causes them, sent
by the task worker after it commits, signed, retried with backoff.

`webhook_events` is what the subscribers (subscribers.py) call when an app
publishes an event (core.events): invoicing at issue and credit, courses when the
basis is exported, distribution when an invoice is exported. It writes one
WebhookDelivery per subscribed active endpoint and payload with one bulk insert,
and enqueues their sending on commit: a rolled-back issue sends nothing, and a
committed one is never lost, because the rows outlive a worker that dies
(`deliveries_sweep` picks up what is due).

The body is JSON; `Fakturera-Signature: t=<unix time>,v1=<hex>` carries
HMAC-SHA256 of `<t>.<body>` with the endpoint's secret, so a receiver can check
both who sent it and that it is fresh.

Endpoints are created and changed by a company's administrators in the staff UI
(`webhook_endpoint_create`, `webhook_endpoint_update`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http
import http.client
import json
import logging
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.core import net
from fakturera.core.errors import ErrorCollector
from fakturera.core.rows import select_rows
from fakturera.core.tasks import enqueue_on_commit
from fakturera.parties.models import Company
from fakturera.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Fakturera-Signature"
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=6)
TIMEOUT_SECONDS = 10
# A worker sending a delivery holds it this long; after that the sweep may send it again.
LEASE = dt.timedelta(minutes=2)
ENQUEUE_BATCH = 500
SUBSCRIBABLE_EVENTS = [
    WebhookEvent.INVOICE_ISSUED,
    WebhookEvent.INVOICE_CREDITED,
    WebhookEvent.INVOICE_EXPORTED,
    WebhookEvent.COURSE_BASIS_EXPORTED,
    WebhookEvent.INVOICE_SENT,
    WebhookEvent.INVOICE_REMINDED,
    WebhookEvent.INVOICE_DELIVERY_FAILED,
    WebhookEvent.PAYMENT_RECEIVED,
    WebhookEvent.PAYMENT_UNMATCHED,
    WebhookEvent.INVOICE_PAID,
    WebhookEvent.INVOICE_OVERPAID,
    WebhookEvent.TASK_OPENED,
    WebhookEvent.TASK_CLOSED,
    WebhookEvent.VOUCHER_CREATED,
    WebhookEvent.INVOICE_OVERDUE,
    WebhookEvent.INVOICE_SENT_TO_COLLECTION,
]


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min ... after the n-th failed attempt, at most six hours."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def webhook_event(*, company: Company | int, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    return webhook_events(company=company, event=event, payloads=[payload])


def webhook_events(*, company: Company | int, event: str, payloads: Iterable[dict[str, Any]]) -> list[WebhookDelivery]:
    """Record `event` for every payload and every endpoint of the company subscribed to it.

    Payloads may be a generator: nothing is built when no endpoint listens, so a
    company without webhooks pays one query.
    """
    company_id = company if isinstance(company, int) else company.pk
    # Every issue asks this: one compiled statement (core.rows), not the ORM's.
    endpoints = [
        endpoint
        for endpoint in select_rows(WebhookEndpoint, where="t0.company_id = %s AND t0.is_active", params=[company_id])
        if event in endpoint.events
    ]
    endpoints.sort(key=lambda endpoint: (endpoint.url, endpoint.pk))
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = [
        WebhookDelivery(endpoint=endpoint, event=event, payload=_envelope(event, payload, now), next_attempt_at=now)
        for payload in payloads
        for endpoint in endpoints
    ]
    # PostgreSQL and SQLite (3.35+) return the new ids from the bulk insert.
    WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    _enqueue_after_commit([delivery.pk for delivery in deliveries])
    return deliveries


def _envelope(event: str, data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    # The payload round-trips through JSON here, so what is stored is what is sent.
    return {"type": event, "created_at": now.isoformat(), "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder))}


def _enqueue_after_commit(delivery_ids: list[int]) -> None:
    from fakturera.webhooks.tasks import deliver_webhooks

    for start in range(0, len(delivery_ids), ENQUEUE_BATCH):
        enqueue_on_commit(deliver_webhooks, delivery_ids[start : start + ENQUEUE_BATCH])


def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event for one endpoint (active or not), sent like any other."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=WebhookEvent.TEST,
        payload=_envelope(WebhookEvent.TEST, {"message": "Test event from Fakturera"}, now),
        next_attempt_at=now,
    )
    _enqueue_after_commit([delivery.pk])
    return delivery


# --- webhook endpoints ---------------------------------------------------------------------------


def _clean_endpoint(url: str, events: list[str]) -> tuple[str, list[str]]:
    errors = ErrorCollector()
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.add("url", _("Give a full http:// or https:// address."))
    elif len(url) > 500:
        errors.add("url", _("The address is too long (at most 500 characters)."))
    elif refused := net.url_problem(url):
        # Checked again on every delivery (a name may resolve elsewhere later); this says it early.
        errors.add("url", refused.message)
    unknown = [event for event in events if event not in SUBSCRIBABLE_EVENTS]
    if unknown:
        errors.add("events", _("Unknown events: %(e)s") % {"e": ", ".join(unknown)})
    if not events:
        errors.add("events", _("Choose at least one event."))
    errors.raise_if_any()
    return url, [event for event in SUBSCRIBABLE_EVENTS if event in events]


@transaction.atomic
def webhook_endpoint_create(
    *, company: Company, url: str, events: list[str], is_active: bool = True
) -> WebhookEndpoint:
    url, events = _clean_endpoint(url, events)
    return WebhookEndpoint.objects.create(
        company=company, url=url, events=events, is_active=is_active, secret="whsec_" + secrets.token_urlsafe(32)
    )


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events: list[str], is_active: bool, new_secret: bool = False
) -> WebhookEndpoint:
    endpoint.url, endpoint.events = _clean_endpoint(url, events)
    endpoint.is_active = is_active
    if new_secret:
        endpoint.secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint.save()
    return endpoint


# --- sending (the task worker) -----------------------------------------------------------------


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(*, secret: str, body: bytes, header: str, tolerance_seconds: int = 300, now: float | None = None) -> bool:
    """What a receiver does with the signature header (also used by our tests)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take a due delivery for this worker for LEASE, or None if it is not due or someone has it."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def delivery_send(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt at one delivery, logged; schedules the next attempt if it fails."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = json.dumps({"id": delivery.pk, **delivery.payload}, separators=(",", ":"), ensure_ascii=False).encode()
    started_at = timezone.now()
    started = time.perf_counter()
    status_code: int | None = None
    error = ""
    if not endpoint.is_active and delivery.event != WebhookEvent.TEST:
        error = "The endpoint is deactivated."
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Fakturera-Webhooks/1",
            "Fakturera-Event": delivery.event,
            "Fakturera-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(secret=endpoint.secret, body=body, timestamp=int(time.time())),
        }
        status_code, error = _post(endpoint.url, body, headers)
    duration_ms = int((time.perf_counter() - started) * 1000)
    return _record_attempt(delivery, at=started_at, status_code=status_code, error=error, duration_ms=duration_ms)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST the body through core.net: the receiver's address checked when connecting, the
    whole exchange within TIMEOUT_SECONDS, redirects not followed, the answer's body not
    read. The status and a fixed text of ours; never what the receiver said (the attempt
    log is shown to the company, and to whoever can point an endpoint somewhere)."""
    try:
        response = net.http_request("POST", url, body=body, headers=headers, timeout=TIMEOUT_SECONDS, read_body=False)
    except net.TargetRefused as exc:
        return None, exc.message
    except TimeoutError:
        seconds = net.Deadline(TIMEOUT_SECONDS).seconds
        return None, _("No answer within %(seconds)s seconds.") % {"seconds": f"{seconds:g}"}
    except ConnectionRefusedError:
        return None, _("The receiver refused the connection.")
    except ssl.SSLCertVerificationError:
        return None, _("The receiver's TLS certificate could not be verified.")
    except (http.client.HTTPException, ssl.SSLError):
        return None, _("The receiver sent a broken answer.")
    except socket.gaierror:
        return None, _("The receiver's host name could not be resolved.")
    except ValueError:
        return None, _("Give a full http:// or https:// address.")
    except OSError:
        return None, _("The receiver could not be reached.")
    if 200 <= response.status < 300:
        return response.status, ""
    return response.status, status_line(response.status)


def status_line(status: int) -> str:
    """ "HTTP 502 Bad Gateway" by the standard's phrase, never the receiver's own."""
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


@transaction.atomic
def _record_attempt(
    delivery: WebhookDelivery, *, at: dt.datetime, status_code: int | None, error: str, duration_ms: int
) -> WebhookDelivery:
    WebhookAttempt.objects.create(
        delivery=delivery, at=at, status_code=status_code, error=error[:500], duration_ms=duration_ms
    )
    delivery.attempts += 1
    now = timezone.now()
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = error[:500]
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.last_error = error[:500]
        _enqueue_retry(delivery)
    delivery.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at", "last_error"])
    return delivery


def deliveries_send(*, delivery_ids: Iterable[int]) -> int:
    """One attempt at each delivery, each on its own: one whose attempt fails unexpectedly (an
    answer no HTTP client can read, a bug) gets the failure as its attempt, retried with
    backoff and failed after MAX_ATTEMPTS, and the rest go on. Returns how many were tried."""
    tried = 0
    for delivery_id in delivery_ids:
        try:
            if delivery_send(delivery_id=delivery_id) is not None:
                tried += 1
        except Exception as exc:
            log.warning("Webhook delivery %s failed unexpectedly: %s: %s", delivery_id, type(exc).__name__, exc)
            try:
                if _record_unexpected(delivery_id, exc):
                    tried += 1
            except Exception:
                # The database itself may be gone: the lease runs out and the sweep tries again.
                log.exception("Recording webhook delivery %s failed", delivery_id)
    return tried


def _record_unexpected(delivery_id: int, exc: Exception) -> bool:
    """The failed attempt of a delivery this worker holds (pending, leased); False when it does not."""
    now = timezone.now()
    delivery = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__gt=now)
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        return False
    error = _("The attempt failed unexpectedly (%(error)s).") % {"error": type(exc).__name__}
    _record_attempt(delivery, at=now, status_code=None, error=error, duration_ms=0)
    return True


def _enqueue_retry(delivery: WebhookDelivery) -> None:
    """The retry as a deferred task where the backend can defer; otherwise the sweep sends it."""
    from fakturera.webhooks.tasks import deliver_webhooks

    if deliver_webhooks.get_backend().supports_defer:
        run_after = delivery.next_attempt_at
        enqueue_on_commit(deliver_webhooks.using(run_after=run_after), [delivery.pk])


def deliveries_sweep(*, now: dt.datetime | None = None) -> int:
    """Enqueue every pending delivery that is due: retries on backends that cannot
    defer, and deliveries whose worker died mid-way (their lease has run out)."""
    from fakturera.webhooks.tasks import deliver_webhooks

    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(due), ENQUEUE_BATCH):
        deliver_webhooks.enqueue(due[start : start + ENQUEUE_BATCH])
    return len(due)
