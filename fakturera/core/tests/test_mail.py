"""The one mail module: what arrives at a real SMTP server on loopback (aiosmtpd), one
connection per batch with an outcome per message, the errors and their kind, timeouts,
and the installation's own server through Django's e-mail backend."""

from __future__ import annotations

import base64
import socket
import time

import pytest
from django.core import mail as django_mail

from fakturera.core import mail
from fakturera.core.mail import Attachment, Message, Outbox, PermanentMailError, SmtpServer, TemporaryMailError
from fakturera.core.tests.drip import smtp_drip
from fakturera.core.tests.smtp import SmtpServer as LoopbackSmtp
from fakturera.core.tests.smtp import free_port

PDF = b"%PDF-1.7 not really a PDF"


def outbox(port: int, **server: object) -> Outbox:
    return Outbox(SmtpServer("127.0.0.1", port, security="none", **server), sender=("Kliniken Åre AB", "a@klinik.se"))


def message(to: str | tuple[str, str] = "anna@example.se", **fields: object) -> Message:
    values: dict = {"sender": ("Kliniken Åre AB", "a@klinik.se"), "to": [to], "subject": "Hej", "body": "Text"}
    return Message(**(values | fields))


def test_a_message_arrives_with_one_line_headers_and_its_attachments():
    hostile = message(
        to=("Eva Ek\r\nBcc: spy@example.org", "eva@example.se"),
        subject="Faktura 7\r\nBcc: spy2@example.org\r\n\r\nA body of its own",
        body="Hej Eva,\nhär är fakturan.\n",
        attachments=[
            Attachment("faktura-7.pdf", PDF, "application/pdf"),
            Attachment("bilaga åäö.txt", "innehåll".encode(), "text/plain"),
        ],
    )
    with LoopbackSmtp() as smtp:
        message_id = mail.send(hostile, outbox=outbox(smtp.port))

    [received] = smtp.received
    assert received.recipients == ["eva@example.se"]
    assert received.message["Bcc"] is None
    assert received.message["Subject"] == "Faktura 7 Bcc: spy2@example.org  A body of its own"
    assert received.message["To"].addresses[0].addr_spec == "eva@example.se"
    assert received.message["From"].addresses[0].display_name == "Kliniken Åre AB"
    assert received.message["From"].addresses[0].addr_spec == "a@klinik.se"
    assert received.message["Message-ID"] == message_id
    assert received.message.get_body().get_content() == "Hej Eva,\nhär är fakturan.\n"
    pdf, text = received.message.iter_attachments()
    assert (pdf.get_filename(), pdf.get_content_type(), pdf.get_content()) == (
        "faktura-7.pdf",
        "application/pdf",
        PDF,
    )
    assert (text.get_filename(), text.get_payload(decode=True)) == ("bilaga åäö.txt", "innehåll".encode())


def test_a_long_subject_outside_ascii_arrives_whole_in_header_lines_of_at_most_78_characters():
    subject = (
        "Påminnelse: faktura 2026-0001234 från Mottagningen Åkerö AB, förfallen sedan den 3 november"
        " – vänligen betala i dag 😊"
    )
    with LoopbackSmtp() as smtp:
        mail.send(message(subject=subject, sender=("Mottagningen Åkerö AB", "a@klinik.se")), outbox=outbox(smtp.port))

    [received] = smtp.received
    assert received.message["Subject"] == subject
    assert received.message["From"].addresses[0].display_name == "Mottagningen Åkerö AB"
    head = received.content.split(b"\r\n\r\n")[0]
    lines = head.split(b"\r\n")
    assert not any(b"\n" in line or b"\r" in line for line in lines)  # no bare line ends
    assert max(len(line) for line in lines) <= 78
    assert sum(line.startswith(b" =?utf-8?b?") for line in lines) >= 2  # folded between encoded words


def test_lines_that_start_with_a_period_arrive_as_they_were_written():
    # SMTP ends a message at a line holding a period alone (RFC 5321, 4.5.2): the client doubles
    # a line's first period, the server takes it off again.
    content = b"Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\nmiddle . here\r\n.last"
    with LoopbackSmtp() as smtp:
        client = outbox(smtp.port).connect()._connect()
        client.sendmail("a@klinik.se", ["eva@example.se"], content)
        client.sendmail("a@klinik.se", ["eva@example.se"], b".first line\r\n")
        client.quit()

    first, second = smtp.received
    assert first.content == content + b"\r\n"
    assert second.content == b".first line\r\n"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 56, 57, 58, 114, 1000, 38_000])
def test_attachments_are_base64_in_lines_of_76_characters_ended_by_crlf(size):
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert mail._base64(data) == base64.encodebytes(data).replace(b"\n", b"\r\n")


def test_a_batch_goes_over_one_connection_and_each_message_has_its_own_outcome():
    refused = {"gone@example.se": "550 5.1.1 No such user", "full@example.se": "452 Mailbox full, try later"}
    with LoopbackSmtp(refuse_recipients=refused) as smtp, outbox(smtp.port).connect() as connection:
        results = mail.send_batch(
            connection,
            (
                message("first@example.se", message_id=mail.message_id("delivery-1")),
                message("gone@example.se"),
                message("asa@exämpel.se"),
                message("full@example.se"),
                message("last@example.se"),
            ),
        )

    first, gone, unsendable, full, last = results
    assert first.is_success
    assert first.message_id == "<delivery-1@127.0.0.1>"
    assert last.is_success
    assert isinstance(gone.error, PermanentMailError)
    assert gone.error.status == 550
    # The code and the enhanced status code; never the server's own words.
    assert str(gone.error) == "The SMTP server answered 550 5.1.1"
    assert gone.error.params == {"code": 550, "text": "5.1.1"}
    assert isinstance(unsendable.error, PermanentMailError)
    assert str(unsendable.error) == "The address asa@exämpel.se cannot be sent to by SMTP."
    assert isinstance(full.error, TemporaryMailError)
    assert full.error.status == 452
    assert [r.recipients for r in smtp.received] == [["first@example.se"], ["last@example.se"]]
    assert len({r.peer for r in smtp.received}) == 1


def test_a_refusal_of_the_message_is_permanent_for_5xx_and_temporary_for_4xx():
    for answer, kind in (("554 Rejected", PermanentMailError), ("451 Try again later", TemporaryMailError)):
        with LoopbackSmtp(refuse_with=answer) as smtp, pytest.raises(kind) as refused:
            mail.send(message(), outbox=outbox(smtp.port))
        assert refused.value.status == int(answer[:3])
        assert str(refused.value) == f"The SMTP server answered {answer[:3]}"
        assert answer[4:] not in str(refused.value)


def test_an_unreachable_server_fails_the_whole_batch_at_once_as_temporary():
    port = free_port()  # nothing listens there
    with outbox(port).connect() as connection:
        results = mail.send_batch(connection, [message(), message(), message()])

    errors = [result.error for result in results]
    assert all(isinstance(error, TemporaryMailError) for error in errors)
    assert str(errors[0]).startswith(f"Could not reach the SMTP server 127.0.0.1:{port}: ")
    assert errors[0] is errors[1] is errors[2]  # tried once, not once per message


def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(TemporaryMailError, match="timed out"):
            mail.send(message(), outbox=outbox(port, timeout=0.3))


def test_the_login_is_sent_and_a_refused_one_is_permanent():
    with LoopbackSmtp(login=("faktura", "hemligt")) as smtp:
        mail.send(message(), outbox=outbox(smtp.port, username="faktura", password="hemligt"))
        with pytest.raises(PermanentMailError, match=r"refused the login \(535\)") as refused:
            mail.send(message(), outbox=outbox(smtp.port, username="faktura", password="fel"))

    assert len(smtp.received) == 1
    assert "fel" not in str(refused.value)
    assert "hemligt" not in repr(outbox(smtp.port, username="faktura", password="hemligt"))


def test_without_a_server_the_installations_own_sends_it_through_djangos_backend():
    message_id = mail.send(
        message(
            to="chef@firma.example",
            subject="Approve\r\nBcc: spy@example.org",
            attachments=[Attachment("a.pdf", PDF, "application/pdf")],
        )
    )

    [sent] = django_mail.outbox
    assert sent.to == ["chef@firma.example"]
    assert sent.subject == "Approve Bcc: spy@example.org"
    assert sent.from_email == "Kliniken Åre AB <a@klinik.se>"
    assert sent.attachments == [("a.pdf", PDF, "application/pdf")]
    assert sent.message()["Message-ID"] == message_id
    assert sent.message()["Bcc"] is None


def test_the_installations_smtp_server_keeps_one_connection_and_the_same_outcomes(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with LoopbackSmtp(refuse_recipients={"gone@example.se": "550 No such user"}) as smtp:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        with mail.INSTALLATION.connect() as connection:
            assert connection.backend is None  # opened at the first message
            first, gone, last = mail.send_batch(
                connection, [message("a@example.se"), message("gone@example.se"), message("b@example.se")]
            )
            assert connection.backend.timeout == mail.TIMEOUT_SECONDS

    assert (first.is_success, last.is_success) == (True, True)
    assert isinstance(gone.error, PermanentMailError)
    assert gone.error.status == 550
    assert [r.recipients for r in smtp.received] == [["a@example.se"], ["b@example.se"]]
    assert len({r.peer for r in smtp.received}) == 1
    assert smtp.received[0].message["Message-ID"] == first.message_id


def test_an_unreachable_installation_server_is_a_temporary_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()

    with pytest.raises(TemporaryMailError, match="Could not reach the SMTP server"):
        mail.send(message())


# --- through core.net: the deadline and the refused servers ---------------------------------------


def test_a_server_dripping_its_greeting_is_cut_off_at_the_deadline(settings):
    settings.OUTBOUND_DEADLINE = 1.5
    with smtp_drip(interval=0.5) as server:
        started = time.monotonic()
        with pytest.raises(TemporaryMailError) as failed:
            mail.send(message(), outbox=outbox(server.port))
        took = time.monotonic() - started

    # Every read got a byte within half a second: smtplib's timeout per read waits for ever.
    assert took < 4.5  # a busy machine adds some; without the deadline it is 12 s
    assert failed.value.code == "smtp_unreachable"
    assert failed.value.params["error"] is None  # no answer in time
    assert "aaa" not in str(failed.value)


def test_a_message_sent_slowly_is_cut_off_by_its_own_deadline_and_the_batch_goes_on(settings):
    """The deadline holds for the connection and then for each message, not for the batch."""
    settings.OUTBOUND_DEADLINE = 2
    with LoopbackSmtp() as smtp, outbox(smtp.port).connect() as connection:
        results = mail.send_batch(connection, [message(), message(), message()])
    assert all(result.is_success for result in results)
    assert len(smtp.received) == 3


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_server_on_loopback_is_refused_when_private_networks_are_not_allowed(settings, host):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with LoopbackSmtp() as smtp:
        server = SmtpServer(host, smtp.port, security="none")
        with pytest.raises(PermanentMailError) as refused:
            mail.send(message(), outbox=Outbox(server, sender="a@klinik.se"))
        assert smtp.received == []
    assert refused.value.code == "private_address"
    assert refused.value.params == {"host": host, "address": "127.0.0.1"}


def test_a_server_on_a_database_port_is_refused_before_connecting(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # even so: ports of databases are never an SMTP server's
    with pytest.raises(PermanentMailError) as refused:
        mail.send(message(), outbox=outbox(6379))
    assert refused.value.code == "refused_port"


def test_the_servers_banner_and_answers_are_not_echoed():
    banner = "554 5.7.1 redis_version:7.2.4 internal banner"
    with LoopbackSmtp(refuse_with=banner) as smtp, pytest.raises(PermanentMailError) as refused:
        mail.send(message(), outbox=outbox(smtp.port))
    assert str(refused.value) == "The SMTP server answered 554 5.7.1"
    assert "redis" not in repr(refused.value.params)


def test_starttls_verifies_the_certificate_against_the_host_name_given(tmp_path, monkeypatch):
    import ssl

    from aiosmtpd.controller import Controller

    from fakturera.core.tests.smtp import Handler
    from fakturera.core.tests.tls import trusted_certificate

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*trusted_certificate(tmp_path, monkeypatch))
    handler, port = Handler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context)
    controller.start()
    try:
        good = Outbox(SmtpServer("good.example.se", port, security="starttls"), sender="a@klinik.se")
        mail.send(message(), outbox=good)
        bad = Outbox(SmtpServer("bad.example.se", port, security="starttls"), sender="a@klinik.se")
        with pytest.raises(TemporaryMailError):
            mail.send(message(), outbox=bad)
    finally:
        controller.stop()
    assert len(handler.received) == 1
