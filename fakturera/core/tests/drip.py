"""A server on loopback that answers every connection one byte at a time, slowly and without
end: what a hostile or broken outside service does to hold a worker. Also a listener that
only counts the connections it gets (for the tests that no connection is made)."""

from __future__ import annotations

import itertools
import socket
import threading
import time


class DripServer:
    """To each connection, `start` and then `filler` forever, one byte every `interval`
    seconds, until the client goes or `give_up` seconds have passed (so a client without a
    deadline, today's code, still ends; its test fails on the time it took)."""

    def __init__(self, start: bytes, filler: bytes = b"a", *, interval: float = 0.5, give_up: float = 12.0):
        self.start, self.filler, self.interval, self.give_up = start, filler, interval, give_up
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        # How long each connection was held, in seconds, until the client went (or the end).
        self.held: list[float] = []
        self.drips: list[threading.Thread] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            drip = threading.Thread(target=self._drip, args=(conn,), daemon=True)
            self.drips.append(drip)
            drip.start()

    def _drip(self, conn: socket.socket) -> None:
        started = time.monotonic()
        try:
            self._drip_until_gone(conn, ends=started + self.give_up)
        finally:
            conn.close()
            self.held.append(time.monotonic() - started)

    def _drip_until_gone(self, conn: socket.socket, *, ends: float) -> None:
        conn.setblocking(False)
        for byte in itertools.chain(self.start, itertools.cycle(self.filler)):
            if self.stopped.is_set() or time.monotonic() > ends:
                return
            try:
                while True:  # read and forget what the client sends; b"" is the client gone
                    if not conn.recv(65536):
                        return
            except BlockingIOError:
                pass
            except OSError:
                return
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return  # the client went
            time.sleep(self.interval)

    def __enter__(self) -> DripServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.listener.close()
        self.thread.join(timeout=2)
        for drip in self.drips:
            drip.join(timeout=2)


def http_drip(**options: object) -> DripServer:
    """An HTTP server whose status line and headers never end."""
    return DripServer(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", **options)  # type: ignore[arg-type]


def smtp_drip(**options: object) -> DripServer:
    """An SMTP server whose greeting never ends."""
    return DripServer(b"220 ", b"a", **options)  # type: ignore[arg-type]
