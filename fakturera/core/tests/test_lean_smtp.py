"""The month-end bench's and chaos drill's SMTP sink (`bench.loopback.LeanSmtp` with
`bench.month_end.Sink`): what Django's SMTP backend sends arrives whole and once, a refused
connection gets 421 and a stalled one its reply late."""

from __future__ import annotations

import smtplib
import time

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from bench.loopback import LeanSmtp
from bench.month_end import Sink


@pytest.fixture
def server():
    started = []

    def start(sink: Sink) -> LeanSmtp:
        smtp = LeanSmtp(sink).start()
        started.append(smtp)
        return smtp

    yield start
    for smtp in started:
        smtp.stop()


def message(number: int, *, pdf: bytes = b"") -> EmailMessage:
    mail = EmailMessage(f"Faktura {number}", "Hej!\n.\n..a line with dots\n", "a@example.se", [f"k{number}@example.se"])
    mail.extra_headers["Message-ID"] = f"<{number}@sink.example>"
    if pdf:
        mail.attach(f"faktura-{number}.pdf", pdf, "application/pdf")
    return mail


def test_every_message_arrives_once_with_its_attachment_over_one_connection(server):
    sink = Sink()
    smtp = server(sink)
    backend = EmailBackend(host="127.0.0.1", port=smtp.port, use_tls=False, timeout=10)
    pdf = bytes(range(256)) * 400  # 100 kB: the message arrives in many reads

    sent = backend.send_messages([message(number, pdf=pdf if number % 2 else b"") for number in range(1, 21)])

    assert sent == 20
    assert sink.received == 20
    assert set(sink.message_ids) == {f"<{number}@sink.example>".encode() for number in range(1, 21)}
    assert set(sink.message_ids.values()) == {1}
    assert sink.with_pdf == 10
    assert sink.connections == 1


def test_an_empty_message_and_commands_it_does_not_know(server):
    sink = Sink()
    smtp = server(sink)
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
        assert client.docmd("VRFY", "someone")[0] == 500
        client.ehlo()
        assert client.has_extn("size")
        client.mail("a@example.se")
        client.rcpt("b@example.se")
        assert client.docmd("DATA")[0] == 354
        assert client.docmd(".")[0] == 250  # nothing before the end-of-data line
        assert client.noop()[0] == 250

    assert sink.message_ids == {b"": 1}


def test_a_refused_connection_gets_421_and_a_stalled_one_waits(server):
    sink = Sink(refuse_every=3, stall_every=4, stall_seconds=0.5)  # 1 refused, 2 stalled
    smtp = server(sink)

    client = smtplib.SMTP("127.0.0.1", smtp.port, timeout=10)  # connection 1: refused
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        client.sendmail("a@example.se", ["b@example.se"], b"Subject: x\r\n\r\nbody\r\n")
    client.close()
    assert refused.value.smtp_code == 421

    began = time.monotonic()
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:  # connection 2: stalled
        client.sendmail("a@example.se", ["b@example.se"], b"Message-ID: <2@x>\r\n\r\nbody\r\n")
    assert time.monotonic() - began >= 0.5

    assert (sink.connections, sink.refused_messages, sink.stalled) == (2, 1, 1)
    assert sink.message_ids == {b"<2@x>": 1}
