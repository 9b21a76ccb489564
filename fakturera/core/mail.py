"""E-mail: every mail the product sends goes out through this module (invoices and
reminders by the e-mail channel, portal notices and login links, course approvals).

- `Message`: sender, recipients, subject, text and attachments. Header values are one
  line whatever they hold: a name or subject with CR/LF (a customer's name comes from a
  public form) never adds headers or a body of its own.
- `Outbox`: where mail goes out. With an `SmtpServer` (host, port, security, login,
  timeout), straight to that server as its `sender`; without one, the installation's
  own (Django's EMAIL_* settings: printed to the console in `make run` without
  EMAIL_HOST, the test outbox in tests). Core knows no company: the caller passes the
  outbox (`distribution.selectors.mail_outbox_for(company)` gives a company's own SMTP
  server where it set one, else the installation's).
- `outbox.connect()`: one connection for a batch, opened at its first message and kept
  until `close()`. `connection.send(message)` returns the Message-ID or raises a
  `MailError`: `TemporaryMailError` (SMTP 4xx, unreachable or lost connection: worth
  trying again later) or `PermanentMailError` (5xx, a refused login, an address SMTP
  cannot carry). A server that cannot be reached fails the rest of the batch at once,
  rather than each message waiting for its own timeout; a connection lost mid-batch is
  opened again by the next message.
- `send_batch(connection, messages)`: per-message `Result`s, one failing message never
  stops the others. `send(message, outbox=...)`: one message on its own connection.

Messages to an SmtpServer are written as MIME bytes directly: the standard library's
email package spends most of a bulk send parsing and folding its own headers (seen in
`make bench`). Error texts go into an invoice's history, so they never carry a secret,
nor the server's own words (an SMTP answer is kept as its code and enhanced status code).

A company's SMTP server is reached through core.net: its addresses are checked (no
loopback, private or internal address, no database port, unless the operator allows
them) and the connection is made to the address checked; the connection (connect,
greeting, STARTTLS, login) and then each message must be done within the server's
timeout in all, so a server that drips its answers cannot hold a worker.
"""

from __future__ import annotations

import binascii
import contextlib
import functools
import re
import smtplib
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address as HeaderAddress
from email.utils import formataddr, formatdate, parseaddr
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from fakturera.core import net

TIMEOUT_SECONDS = 30
QUIT_SECONDS = 5  # the goodbye after a batch
# The enhanced status code at the start of an SMTP answer (RFC 3463), such as 5.1.1.
ENHANCED_CODE = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}(?=\s|$)")
SECURITY = ("starttls", "ssl", "none")

Address = tuple[str, str]  # (display name, address); the name may be empty


class MailError(Exception):
    """A message was not sent; `message` is for people, never a secret. `code` and `params`
    say the same as data (an invoice's history words it in its reader's language): codes
    smtp_address_unsendable (to), smtp_answer (code, text), smtp_login_refused (code),
    smtp_unreachable (host, port, error) and smtp_connection_failed (error), where `error`
    is the operating system's words, or None when the server did not answer in time;
    private_address (host, address) and refused_port (host, port) when core.net refuses
    the server. `text` of smtp_answer is only the enhanced status code (5.1.1), never the
    server's words."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str = "", params: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.params = params or {}

    def __str__(self) -> str:
        return self.message


class TemporaryMailError(MailError):
    """SMTP 4xx, a server that cannot be reached, a connection lost: worth trying again later."""


class PermanentMailError(MailError):
    """SMTP 5xx, a refused login, an address SMTP cannot carry: trying again gives the same answer."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class Message:
    sender: str | Address  # "Name <a@b.se>", "a@b.se" or ("Name", "a@b.se")
    to: Sequence[str | Address]
    subject: str
    body: str
    attachments: Sequence[Attachment] = ()
    message_id: str = ""  # "<id@host>"; empty: a new one when sent


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 25
    security: str = "starttls"  # "starttls", "ssl" (SMTPS), anything else plain SMTP
    username: str = ""  # empty: no login
    password: str = ""
    timeout: float = TIMEOUT_SECONDS

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"SmtpServer(host={self.host!r}, port={self.port}, security={self.security!r})"


@dataclass(frozen=True)
class Outbox:
    """Where mail goes out: `server` as `sender`, or with no server the installation's own."""

    server: SmtpServer | None = None
    sender: str | Address = ""  # the address this server sends as; empty: the caller's choice

    def connect(self) -> Connection:
        return SmtpConnection(self.server) if self.server is not None else DjangoConnection()


INSTALLATION = Outbox()


@dataclass(frozen=True)
class Result:
    message_id: str = ""
    error: MailError | None = None

    @property
    def is_success(self) -> bool:
        return self.error is None


def one_line(value: str) -> str:
    """A header value on one line whatever it holds (CR, LF and other line breaks become spaces)."""
    return " ".join(value.splitlines())


def address(value: str | Address) -> Address:
    name, addr = value if isinstance(value, tuple) else parseaddr(value)
    return one_line(name), one_line(addr).strip()


@functools.lru_cache(maxsize=1024)  # a company's sender, in every message of a batch
def format_address(value: str | Address) -> str:
    """`Name <a@b.se>` for a header, the name RFC 2047-encoded when it is not ASCII; UnicodeError
    for an address outside ASCII, which SMTP cannot carry."""
    return formataddr(address(value), "utf-8")


def message_id(key: str = "") -> str:
    """A Message-ID on this installation's host name (SITE_URL): `key` when the caller has one
    that stays the same on every attempt (a delivery's idempotency key), else a new one."""
    host = urlsplit(settings.SITE_URL).hostname or "fakturera.invalid"
    return f"<{key or uuid.uuid4().hex}@{host}>"


class Connection:
    """One connection for a batch of messages; `close` always runs (a context manager)."""

    def send(self, message: Message) -> str:
        raise NotImplementedError

    def close(self) -> None:
        return None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_batch(connection: Connection, messages: Iterable[Message]) -> list[Result]:
    """Send each message over `connection`, in order: its Message-ID or its error. `messages`
    may be a generator: each is built only when its turn comes."""
    results = []
    for message in messages:
        try:
            results.append(Result(message_id=connection.send(message)))
        except MailError as exc:
            results.append(Result(error=exc))
    return results


def send(message: Message, *, outbox: Outbox = INSTALLATION) -> str:
    """One message on a connection of its own; returns its Message-ID, raises MailError."""
    with outbox.connect() as connection:
        return connection.send(message)


# --- SMTP ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    message_id: str
    content: bytes


# The UTF-8 bytes in one encoded word: 52 characters of base64, so "Subject: " and the word
# stay within 78 characters a line (RFC 5322, 2.1.1).
WORD_BYTES = 39


def _header(value: str) -> str:
    """A header value on one line; text outside ASCII as RFC 2047 encoded words of base64 UTF-8,
    folded (CRLF and a space) between words, each word whole characters. The standard library's
    Header took 65 µs for an invoice's subject (this: 5 µs), and folded with a bare LF."""
    value = one_line(value)
    if value.isascii():
        return value
    words = []
    word = b""
    for char in value:
        encoded = char.encode()
        if len(word) + len(encoded) > WORD_BYTES:
            words.append(word)
            word = b""
        word += encoded
    words.append(word)
    return "\r\n ".join(f"=?utf-8?b?{binascii.b2a_base64(word, newline=False).decode()}?=" for word in words)


def _parameter(name: str, value: str) -> str:
    """A MIME parameter (a file name): quoted when plain ASCII, else RFC 2231."""
    value = one_line(value)
    if value.isascii() and '"' not in value and "\\" not in value:
        return f'{name}="{value}"'
    return f"{name}*=utf-8''{quote(value, safe='')}"


def _base64(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, each ended by CRLF (RFC 2045, 6.8)."""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"".join([encoded[i : i + 76] + b"\r\n" for i in range(0, len(encoded), 76)])


def render(message: Message) -> Rendered:
    """The message as bytes: plain MIME (RFC 2045-2049), a text part and the attachments, all
    base64 in 76-character lines. UnicodeError for an address outside ASCII."""
    mid = message.message_id or message_id()
    boundary = f"=_{uuid.uuid4().hex}"
    text = _base64(message.body.encode())
    to = ", ".join(format_address(recipient) for recipient in message.to)
    headers = (
        f"From: {_header(format_address(message.sender))}\r\nTo: {_header(to)}\r\n"
        f"Subject: {_header(message.subject)}\r\n"
        f"Date: {formatdate(localtime=True)}\r\n"
        f"Message-ID: {one_line(mid)}\r\nMIME-Version: 1.0\r\n"
    )
    if not message.attachments:
        content = (
            headers + 'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode() + text
        return Rendered(mid, content)
    parts = [
        (
            headers + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f'--{boundary}\r\nContent-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode(),
        text,
    ]
    for attachment in message.attachments:
        parts += [
            (
                f"--{boundary}\r\nContent-Type: {one_line(attachment.mimetype)}; "
                f"{_parameter('name', attachment.filename)}\r\n"
                f"Content-Disposition: attachment; {_parameter('filename', attachment.filename)}\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode(),
            _base64(attachment.content),
        ]
    parts.append(f"--{boundary}--\r\n".encode())
    return Rendered(mid, b"".join(parts))


def _unsendable(message: Message) -> PermanentMailError:
    to = ", ".join(address(recipient)[1] for recipient in message.to)
    return PermanentMailError(
        _("The address %(to)s cannot be sent to by SMTP.") % {"to": to},
        code="smtp_address_unsendable",
        params={"to": to},
    )


def _answer_error(code: int, text: bytes | str) -> MailError:
    """An SMTP answer as its code and enhanced status code (5.1.1): the server's own words are
    never kept (a "server" may be anything that answers on that port)."""
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    found = ENHANCED_CODE.match(detail.strip())
    enhanced = found.group(0) if found else ""
    message = (_("The SMTP server answered %(code)s %(text)s") % {"code": code, "text": enhanced}).strip()
    kind = TemporaryMailError if 400 <= code < 500 else PermanentMailError
    return kind(message, status=code, code="smtp_answer", params={"code": code, "text": enhanced})


def _refused_error(exc: net.TargetRefused) -> MailError:
    return PermanentMailError(exc.message, code=exc.code, params=exc.params)


def _timed_out(exc: BaseException) -> bool:
    """A timeout, or smtplib's "Connection unexpectedly closed" because of one (it wraps a
    timeout while reading an answer)."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _describe(exc: BaseException) -> str:
    if _timed_out(exc):
        return _("timed out")
    return str(exc) or type(exc).__name__


def _os_words(exc: BaseException) -> str | None:
    """The `error` parameter: the operating system's words, None for a timeout."""
    if _timed_out(exc):
        return None
    return str(exc) or type(exc).__name__


def _connect_error(exc: Exception, *, host: str, port: int | str) -> MailError:
    if isinstance(exc, net.TargetRefused):
        return _refused_error(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return PermanentMailError(
            _("The SMTP server refused the login (%(code)s).") % {"code": exc.smtp_code},
            code="smtp_login_refused",
            params={"code": exc.smtp_code},
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer_error(exc.smtp_code, exc.smtp_error)
    return TemporaryMailError(
        _("Could not reach the SMTP server %(host)s:%(port)s: %(error)s")
        % {"host": host, "port": port, "error": _describe(exc)},
        code="smtp_unreachable",
        params={"host": host, "port": port, "error": _os_words(exc)},
    )


def _send_error(exc: Exception, message: Message) -> MailError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return _answer_error(code, text)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer_error(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, UnicodeError):
        return _unsendable(message)
    return TemporaryMailError(
        _("The SMTP connection failed: %(error)s") % {"error": _describe(exc)},
        code="smtp_connection_failed",
        params={"error": _os_words(exc)},
    )


class _Data:
    """smtplib's DATA command, for a message given as bytes, with the transparency of RFC 5321
    (4.5.2: a line that starts with a period gets another) made by `bytes.replace`: smtplib's
    regular expression over every byte took 0.25 ms of CPU for an invoice's message of 50 kB,
    more than writing the message; this takes 0.05 ms."""

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        if isinstance(msg, str):
            return super().data(msg)  # type: ignore[misc]
        self.putcmd("data")  # type: ignore[attr-defined]
        code, reply = self.getreply()  # type: ignore[attr-defined]
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if b"\n." in msg:
            msg = msg.replace(b"\n.", b"\n..")
        if msg.startswith(b"."):
            msg = b"." + msg
        self.send(msg + (b".\r\n" if msg.endswith(b"\r\n") else b"\r\n.\r\n"))  # type: ignore[attr-defined]
        return self.getreply()  # type: ignore[attr-defined,no-any-return]


class _GuardedSmtp(_Data, smtplib.SMTP):
    """smtplib's client whose connection goes through core.net: the server's addresses are
    checked and every read and write ends by `deadline`. STARTTLS verifies the certificate
    against the host name given."""

    def __init__(self, host: str, port: int, *, deadline: net.Deadline):
        self.deadline = deadline
        super().__init__(host, port, timeout=deadline.seconds)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return net.connect(host, port, deadline=self.deadline)

    def starttls(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        return super().starttls(context=net.tls_context(self.deadline))


class _GuardedSmtpSsl(_Data, smtplib.SMTP_SSL):
    def __init__(self, host: str, port: int, *, deadline: net.Deadline):
        self.deadline = deadline
        super().__init__(host, port, timeout=deadline.seconds, context=net.tls_context(deadline))

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = net.connect(host, port, deadline=self.deadline)
        return self.context.wrap_socket(sock, server_hostname=self._host)


class SmtpConnection(Connection):
    """Straight to an SMTP server with smtplib, through core.net: the server's address is
    checked, and each step ends within the server's `timeout` in all, however slowly the
    server answers: the connection (connect, greeting, STARTTLS, login), each message, and
    the goodbye."""

    def __init__(self, server: SmtpServer):
        self.server = server
        self.smtp: smtplib.SMTP | None = None
        self.connect_error: MailError | None = None
        self.deadline: net.Deadline | None = None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        self.deadline = deadline = net.Deadline(server.timeout)
        try:
            if server.security == "ssl":
                smtp: smtplib.SMTP = _GuardedSmtpSsl(server.host, server.port, deadline=deadline)
            else:
                smtp = _GuardedSmtp(server.host, server.port, deadline=deadline)
                if server.security == "starttls":
                    smtp.starttls()
            if server.username:
                smtp.login(server.username, server.password)
        except (OSError, smtplib.SMTPException) as exc:
            raise _connect_error(exc, host=server.host, port=server.port) from None
        return smtp

    def send(self, message: Message) -> str:
        try:
            rendered = render(message)
            sender = address(message.sender)[1]
            recipients = [address(recipient)[1] for recipient in message.to]
        except UnicodeError:
            # An address the message cannot carry (a domain outside ASCII): this message
            # fails with its reason; the rest of the batch goes on.
            raise _unsendable(message) from None
        if self.connect_error is not None:
            raise self.connect_error
        if self.smtp is None:
            try:
                self.smtp = self._connect()
            except MailError as exc:
                self.connect_error = exc
                raise
        assert self.deadline is not None
        self.deadline.restart(self.server.timeout)
        try:
            self.smtp.sendmail(sender, recipients, rendered.content)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _send_error(exc, message) from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the connection
                self._drop()
            raise _send_error(exc, message) from None
        except UnicodeError as exc:
            raise _send_error(exc, message) from None
        except (OSError, smtplib.SMTPException) as exc:
            # The connection is gone: the next message connects again.
            self._drop()
            raise _send_error(exc, message) from None
        return rendered.message_id

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            # The messages are sent; a server that hangs up first is no failure.
            if self.deadline is not None:
                self.deadline.restart(min(self.server.timeout, QUIT_SECONDS))
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self._drop()


# --- the installation's own (Django's e-mail backend) -----------------------------------------------


class DjangoConnection(Connection):
    """Through Django's e-mail backend as the settings configure it (EMAIL_BACKEND, EMAIL_HOST,
    ...): the console in `make run` without EMAIL_HOST, the outbox in tests."""

    def __init__(self) -> None:
        self.backend: Any = None
        self.connect_error: MailError | None = None

    def _open(self) -> Any:
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or TIMEOUT_SECONDS
        backend = get_connection(fail_silently=False, timeout=timeout)
        try:
            backend.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise _connect_error(exc, host=getattr(backend, "host", "?"), port=getattr(backend, "port", "?")) from None
        return backend

    def send(self, message: Message) -> str:
        mid = message.message_id or message_id()
        try:
            email = EmailMessage(
                subject=one_line(message.subject),
                body=message.body,
                from_email=_django_address(message.sender),
                to=[_django_address(recipient) for recipient in message.to],
                attachments=[(a.filename, a.content, a.mimetype) for a in message.attachments],
                headers={"Message-ID": one_line(mid)},
            )
        except ValueError:  # an address that does not parse
            raise _unsendable(message) from None
        if self.connect_error is not None:
            raise self.connect_error
        if self.backend is None:
            try:
                self.backend = self._open()
            except MailError as exc:
                self.connect_error = exc
                raise
        try:
            self.backend.send_messages([email])
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:
                self._drop()
            raise _send_error(exc, message) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise _send_error(exc, message) from None
        except ValueError:  # an address the backend cannot encode (UnicodeError is one)
            raise _unsendable(message) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()  # the next message connects again
            raise _send_error(exc, message) from None
        return mid

    def _drop(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                backend.close()

    def close(self) -> None:
        self._drop()


def _django_address(value: str | Address) -> str:
    """`Name <a@b.se>` as Django's backend takes it (it encodes the name and the domain itself)."""
    name, addr = address(value)
    return str(HeaderAddress(display_name=name, addr_spec=addr)) if name else addr
