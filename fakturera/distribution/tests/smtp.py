"""A real SMTP server on loopback (aiosmtpd) that records what it receives, or refuses."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage


@dataclass
class Handler:
    refuse_with: str = ""  # e.g. "550 No such user" or "451 Try again later"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpServer:
    def __init__(self, refuse_with: str = ""):
        self.handler = Handler(refuse_with=refuse_with)
        self.port = free_port()
        # 40 MB: a print-size batch of PDFs in one message never hits the default limit.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, data_size_limit=40_000_000)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)
