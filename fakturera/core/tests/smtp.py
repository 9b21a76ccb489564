"""A real SMTP server on loopback (aiosmtpd) that records what it receives, or refuses."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage
    peer: tuple = ()  # the client's (address, port): messages of one connection share it
    content: bytes = b""  # the message's bytes as the server took them in


@dataclass
class Handler:
    refuse_with: str = ""  # e.g. "550 No such user" or "451 Try again later"
    refuse_recipients: dict[str, str] = field(default_factory=dict)  # address -> answer to its RCPT
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message, tuple(session.peer), envelope.content))
        return "250 OK"


def _authenticator(username: str, password: str):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


class SmtpServer:
    def __init__(
        self,
        refuse_with: str = "",
        refuse_recipients: dict[str, str] | None = None,
        login: tuple[str, str] | None = None,
    ):
        self.handler = Handler(refuse_with=refuse_with, refuse_recipients=dict(refuse_recipients or {}))
        self.port = free_port()
        auth: dict = {}
        if login is not None:
            # AUTH PLAIN/LOGIN without TLS: loopback only, for the tests of a login.
            auth = {"auth_require_tls": False, "authenticator": _authenticator(*login)}
        # 40 MB: a print-size batch of PDFs in one message never hits the default limit.
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, data_size_limit=40_000_000, **auth
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)
