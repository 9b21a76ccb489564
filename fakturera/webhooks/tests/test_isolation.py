"""One webhook whose attempt fails in a way no HTTP client expects (an answer that is not
HTTP at all) fails alone: its attempt is logged, it is retried with backoff, and the
other deliveries of the same task are sent."""

from __future__ import annotations

import socket
import threading

import pytest

from fakturera.parties.tests.factories import CompanyFactory
from fakturera.webhooks.models import DeliveryStatus
from fakturera.webhooks.services import webhook_endpoint_create, webhook_event
from fakturera.webhooks.tasks import deliver_webhooks
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


class NotHttp:
    """A server on loopback that answers every request with a line that is not HTTP."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            with client:
                client.recv(65536)
                client.sendall(b"garbage\r\n\r\n")

    def __enter__(self) -> NotHttp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()


def test_a_webhook_whose_attempt_breaks_fails_alone_and_the_rest_are_sent(company):
    other = CompanyFactory()
    with NotHttp() as broken, Receiver() as receiver:
        webhook_endpoint_create(company=company, url=broken.url, events=["invoice.issued"])
        webhook_endpoint_create(company=other, url=receiver.url, events=["invoice.issued"])
        [bad] = webhook_event(company=company, event="invoice.issued", payload={"invoice": 1})
        [good] = webhook_event(company=other, event="invoice.issued", payload={"invoice": 2})

        tried = deliver_webhooks.call([bad.pk, good.pk])

        assert len(receiver.requests) == 1
    assert tried == 2
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == DeliveryStatus.DELIVERED
    assert (bad.status, bad.attempts) == (DeliveryStatus.PENDING, 1)
    assert bad.next_attempt_at is not None
    # Our words for it, never the receiver's (core/net.py keeps no remote text).
    assert bad.last_error == "The receiver sent a broken answer."
    assert bad.attempt_log.get().error == bad.last_error


def test_a_webhook_whose_sending_raises_a_bug_fails_alone_and_the_rest_are_sent(company, monkeypatch):
    # given a fault no one foresaw in sending to one receiver (a bug, not an answer)
    from fakturera.core import net

    real = net.http_request

    def faulty(method, url, **kwargs):
        if url.endswith("broken"):
            raise RuntimeError("a bug")
        return real(method, url, **kwargs)

    monkeypatch.setattr(net, "http_request", faulty)
    other = CompanyFactory()
    with Receiver() as receiver:
        webhook_endpoint_create(company=company, url=receiver.url + "broken", events=["invoice.issued"])
        webhook_endpoint_create(company=other, url=receiver.url, events=["invoice.issued"])
        [bad] = webhook_event(company=company, event="invoice.issued", payload={"invoice": 1})
        [good] = webhook_event(company=other, event="invoice.issued", payload={"invoice": 2})

        tried = deliver_webhooks.call([bad.pk, good.pk])

        assert len(receiver.requests) == 1
    # then that delivery is retried later with its error in its log, and the other one went
    assert tried == 2
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == DeliveryStatus.DELIVERED
    assert (bad.status, bad.attempts) == (DeliveryStatus.PENDING, 1)
    assert "failed unexpectedly" in bad.last_error
    assert "failed unexpectedly" in bad.attempt_log.get().error
