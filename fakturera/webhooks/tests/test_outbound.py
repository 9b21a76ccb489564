"""Webhook deliveries through core.net: a receiver that drips its answer is cut off at the
deadline; an endpoint on a loopback, private or metadata address or a database port is
refused when saved and again when sent (a name may resolve elsewhere by then); the attempt
log keeps the status and our own words, never what the receiver said."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from fakturera.core.errors import ValidationFailed
from fakturera.core.tests.drip import http_drip
from fakturera.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from fakturera.webhooks.services import delivery_send, webhook_endpoint_create, webhook_endpoint_update
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db
PUBLIC = "93.184.216.34"


@pytest.fixture
def refusing(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    settings.OUTBOUND_ALLOW = []
    return settings


def pending(endpoint: WebhookEndpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.TEST, payload={"type": "test", "data": {}}, next_attempt_at=timezone.now()
    )


def endpoint_at(company, url: str) -> WebhookEndpoint:
    """Stored as it is, as an older version (or a name that resolved elsewhere then) left it."""
    return WebhookEndpoint.objects.create(company=company, url=url, events=["invoice.issued"], secret="whsec_x")


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(company, settings):
    settings.OUTBOUND_DEADLINE = 1.5
    with http_drip(interval=0.5) as server:
        endpoint = webhook_endpoint_create(
            company=company, url=f"http://127.0.0.1:{server.port}/hook", events=["invoice.issued"]
        )
        started = time.monotonic()
        delivery = delivery_send(delivery_id=pending(endpoint).pk)
        took = time.monotonic() - started

    assert took < 4.5  # a busy machine adds some; without the deadline it is 12 s
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None
    assert attempt.error == "No answer within 1.5 seconds."
    assert attempt.duration_ms < 4500
    assert delivery.status == DeliveryStatus.PENDING  # tried again later


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook", "http://[::1]/hook", "http://10.0.0.5/hook", "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/", "http://localhost:9000/hook", "http://100.64.1.1/hook",
        f"http://{PUBLIC}:5432/hook", f"https://{PUBLIC}:6379/",
    ],
)  # fmt: skip
def test_saving_an_endpoint_on_an_internal_address_or_database_port_is_refused(company, refusing, url):
    with pytest.raises(ValidationFailed) as refused:
        webhook_endpoint_create(company=company, url=url, events=["invoice.issued"])

    assert list(refused.value.errors) == ["url"]
    assert (
        "private or internal network" in refused.value.errors["url"][0] or "databases" in refused.value.errors["url"][0]
    )
    assert not WebhookEndpoint.objects.exists()


def test_changing_an_endpoint_to_the_metadata_address_is_refused(company, refusing):
    endpoint = webhook_endpoint_create(company=company, url=f"https://{PUBLIC}/hook", events=["invoice.issued"])

    with pytest.raises(ValidationFailed) as refused:
        webhook_endpoint_update(
            endpoint=endpoint, url="http://169.254.169.254/latest/", events=["invoice.issued"], is_active=True
        )
    assert "169.254.169.254" in refused.value.errors["url"][0]


def test_sending_to_loopback_is_refused_at_connect_and_nothing_arrives(company, refusing):
    with Receiver() as receiver:
        delivery = delivery_send(delivery_id=pending(endpoint_at(company, receiver.url)).pk)
        assert receiver.requests == []

    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None
    assert "127.0.0.1" in attempt.error
    assert "private or internal network" in attempt.error


def test_dns_rebinding_public_when_saved_loopback_when_sent_is_refused(company, refusing, monkeypatch):
    real = socket.getaddrinfo
    answers = iter([PUBLIC, "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "hooks.example.se":
            return real(next(answers), port, type=socket.SOCK_STREAM)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with Receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        endpoint = webhook_endpoint_create(
            company=company, url=f"http://hooks.example.se:{port}/hooks/fakturera", events=["invoice.issued"]
        )
        delivery = delivery_send(delivery_id=pending(endpoint).pk)
        assert receiver.requests == []

    assert "127.0.0.1" in delivery.attempt_log.get().error


def test_with_private_networks_allowed_a_loopback_receiver_gets_the_delivery(company, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.issued"])
        delivery = delivery_send(delivery_id=pending(endpoint).pk)
        assert len(receiver.requests) == 1
    assert delivery.status == DeliveryStatus.DELIVERED


class Chatty:
    """A "receiver" that answers with its own reason phrase and a body: what an internal
    service reached by mistake says about itself."""

    def __init__(self, status: int):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(status, "redis_version:7.2.4 secret-banner")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"-ERR internal details user=admin password=hunter2")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Chatty:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("status", "expected"), [(500, "HTTP 500 Internal Server Error"), (418, "HTTP 418 I'm a Teapot")]
)
def test_the_attempt_log_keeps_the_status_never_the_receivers_words(company, status, expected):
    with Chatty(status) as chatty:
        delivery = delivery_send(delivery_id=pending(endpoint_at(company, chatty.url)).pk)

    attempt = delivery.attempt_log.get()
    assert attempt.status_code == status
    assert attempt.error == expected
    assert delivery.last_error == expected
    for words in ("redis", "secret-banner", "hunter2", "ERR"):
        assert words not in attempt.error
