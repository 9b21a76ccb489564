"""What the HTTP benchmarks share: gunicorn serving Fakturera on loopback against the
benchmark database, client threads sharing N requests, and the 99th percentile.

`api_create_issue` and `register_form` measure through it, so both start the server
the same way (2 workers, keep-alive, warmed up before the clock starts).
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_sink(handler: object) -> Any:
    """An aiosmtpd server on a free loopback port, started, handing each message to `handler`
    (messages up to 40 MB: invoices with their PDF)."""
    from aiosmtpd.controller import Controller

    smtp = Controller(handler, hostname="127.0.0.1", port=free_port(), data_size_limit=40_000_000)
    smtp.start()
    return smtp


class LeanSmtp:
    """A small SMTP server on a free loopback port for the month-end bench and the chaos drill,
    where it receives 100,000 messages of 40 kB each: aiosmtpd reads a message line by line (a
    coroutine step per line of the PDF's base64) and took a seventh of the machine's CPU in the
    month-end at 5,000 (`perf record -a`), time the product's workers did not get. This one keeps
    each message as bytes until the end-of-data line (RFC 5321, 4.1.1.4) and speaks only what a
    client without authentication or TLS needs: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

    `sink` decides per connection and receives each message:
    `sink.connected() -> (refuse, stall_seconds)`: refuse answers MAIL with 421 and closes the
    connection; stall_seconds > 0 delays the EHLO reply so long.
    `sink.refused()`: a MAIL was answered 421.
    `sink.accepted(content: bytes)`: a whole message, dot-stuffing left in (a line that begins
    with a dot has one more; nothing the sinks read starts a line with one)."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.port = 0
        self._loop: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> LeanSmtp:
        import asyncio

        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                self._loop.create_server(lambda: _LeanSession(self.sink, self._loop), "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="lean-smtp", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the SMTP sink did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


END_OF_DATA = b"\r\n.\r\n"


class _LeanSession:
    """One SMTP connection of `LeanSmtp` (an asyncio protocol)."""

    def __init__(self, sink: Any, loop: Any) -> None:
        self.sink = sink
        self.loop = loop
        self.buffer = bytearray()
        self.in_data = False
        self.refusing = False
        self.stall = 0.0
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.refusing, self.stall = self.sink.connected()
        transport.write(b"220 127.0.0.1 ESMTP sink\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def eof_received(self) -> bool:
        return False

    def data_received(self, data: bytes) -> None:
        searched = max(len(self.buffer) - len(END_OF_DATA) + 1, 0) if self.in_data else 0
        self.buffer += data
        while self.transport is not None:
            if self.in_data:
                if self.buffer.startswith(b".\r\n"):  # the end-of-data line first: an empty message
                    content, after = b"", 3
                else:
                    end = self.buffer.find(END_OF_DATA, searched)
                    if end < 0:
                        return
                    content, after = bytes(self.buffer[: end + 2]), end + len(END_OF_DATA)
                del self.buffer[:after]
                self.in_data = False
                searched = 0
                self.sink.accepted(content)
                self.transport.write(b"250 2.0.0 OK\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 2]
            self.command(line)

    def command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            reply = b"250-127.0.0.1\r\n250-SIZE 40000000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            if self.stall > 0:
                stall, self.stall = self.stall, 0.0
                self.transport.pause_reading()
                self.loop.call_later(stall, self._reply_after_stall, reply)
                return
            self.transport.write(reply)
        elif verb == b"HELO":
            self.transport.write(b"250 127.0.0.1\r\n")
        elif verb == b"MAIL":
            if self.refusing:
                self.sink.refused()
                self.transport.write(b"421 4.3.2 Busy, try again later\r\n")
                self.transport.close()
                self.transport = None
                return
            self.transport.write(b"250 OK\r\n")
        elif verb == b"RCPT" or verb in (b"RSET", b"NOOP"):
            self.transport.write(b"250 OK\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
            self.transport = None
        else:
            self.transport.write(b"500 Command not recognized\r\n")

    def _reply_after_stall(self, reply: bytes) -> None:
        if self.transport is not None:
            self.transport.write(reply)
            self.transport.resume_reading()


def email_to_sink(company: Any, port: int, *, from_email: str) -> None:
    """The company's invoices go by e-mail to the SMTP server on loopback `port`, with no undo
    window (the benchmarks time sending, not waiting)."""
    from fakturera.distribution.services import channel_setting_save, distribution_settings_save
    from fakturera.parties.models import Channel

    channel_setting_save(
        company=company,
        channel=Channel.EMAIL,
        is_active=True,
        options={"host": "127.0.0.1", "port": port, "security": "none", "from_email": from_email},
    )
    distribution_settings_save(
        company=company, default_channel=Channel.EMAIL, reserve_channel="", reminder_channel="", undo_minutes=0
    )


def stop_processes(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each still running, then wait for each (a minute; then SIGKILL)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def machine_cpu_seconds() -> float:
    """CPU time spent by every process on the machine so far (user, nice, system, irq,
    softirq; not idle, I/O wait or time stolen by the hypervisor), from /proc/stat.
    Around a timed part it gives the CPU each request cost the server, the database
    and the client together: a steadier figure than throughput on a shared machine."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(value) for value in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def p99(latencies_ms: list[float]) -> float:
    return statistics.quantiles(latencies_ms, n=100, method="inclusive")[98]


class Gunicorn:
    """gunicorn with WORKERS workers (and `threads` each, gthread) on a free loopback port."""

    def __init__(self, *, threads: int = 1, env: dict[str, str] | None = None) -> None:
        self.threads = threads
        self.extra_env = env or {}
        self.port = 0
        self.process: subprocess.Popen | None = None

    def start(self, *, ready_path: str, warm_up: Callable[[http.client.HTTPConnection], None]) -> None:
        """Start, wait until `ready_path` answers 200, then call `warm_up` on a fresh
        connection twice per worker, so every worker has imported everything and opened
        its database connection before anything is timed."""
        self.port = free_port()
        database = settings.DATABASES["default"]
        url = os.environ.get("DATABASE_URL") or (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "FAKTURERA_DEBUG": "0",
            # Production's settings over plain HTTP on loopback: a real key, no HTTPS redirect.
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "FAKTURERA_SSL_REDIRECT": "0",
            "FAKTURERA_SITE_URL": os.environ.get("FAKTURERA_SITE_URL") or f"http://127.0.0.1:{self.port}",
            # This process's keys: it wrote the secrets (an SMTP password) the server reads.
            "FAKTURERA_SECRET_KEYS": ",".join(settings.SECRET_ENCRYPTION_KEYS),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "fakturera.settings",
            **self.extra_env,
        }
        command = [sys.executable, "-m", "gunicorn", "fakturera.wsgi:application", "--workers", str(WORKERS),
                   "--bind", f"127.0.0.1:{self.port}", "--keep-alive", "5", "--log-level", "warning",
                   "--threads", str(self.threads)]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 - fixed arguments
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                probe = self.connect(timeout=2)
                probe.request("GET", ready_path)
                if probe.getresponse().status == 200:
                    probe.close()
                    for _ in range(WORKERS * 2):
                        connection = self.connect()
                        warm_up(connection)
                        connection.close()
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start within 30 s")

    def connect(self, *, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def run_clients(n: int, concurrency: int, client: Callable[[int, int], None]) -> float:
    """Seconds for `concurrency` threads to run `client(count, offset)` over shares of N."""
    shares = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    offsets = [sum(shares[:i]) for i in range(concurrency)]
    threads = [
        threading.Thread(target=client, args=(share, offset)) for share, offset in zip(shares, offsets, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started
