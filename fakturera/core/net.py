"""Outbound connections: every connection the product opens to a server a company names
(webhook receivers, SMTP servers, the letter service, the Peppol access point) goes
through `connect` here, or `http_request` on top of it.

- The target is checked, on the addresses its name resolves to when the connection is
  opened: every address must be on the public internet (no loopback, private RFC 1918
  or unique-local, link-local with the cloud metadata address 169.254.169.254, shared
  CGNAT 100.64/10, multicast, unspecified, reserved, nor an IPv4 address of these
  wrapped in IPv6), and the port must not be one of the well-known database and
  internal-service ports (PostgreSQL, MySQL, Redis, memcached, ...). The socket then
  connects to the checked address itself, never resolving the name again, so a name
  that answers differently the second time (DNS rebinding) reaches nothing unchecked.
  TLS still verifies the certificate against the name the company gave.
- An overall deadline (`Deadline`, on the monotonic clock) covers the name look-up,
  the connect, TLS, sending and reading the whole answer: before every socket operation
  the socket's timeout is set to the time that is left, and when none is left the call
  ends with `DeadlineExceeded` (a TimeoutError), however slowly the server drips its
  bytes. Timeouts of the standard library apply per read; this one does not.
- An answer's body is read up to a limit (`ResponseTooLarge` beyond it).

The operator may allow private networks (FAKTURERA_OUTBOUND_ALLOW_PRIVATE=1: a test
machine, `make run` with loopback services, an installation whose services are on its
own network) or name what may be reached anyway (FAKTURERA_OUTBOUND_ALLOW: addresses,
networks in CIDR notation, host names, `.example.se` for a domain and its subdomains);
an allowed target may use any port. FAKTURERA_OUTBOUND_DEADLINE caps every call's
deadline (seconds).

`target_problem` is the same check for a form or a service saving an address: a literal
address or a name that resolves to a refused address is refused at once (a name that
does not resolve is left to the connect-time check, which is the one that counts).

The installation's own mail server (Django's EMAIL_* settings) is the operator's and
does not pass through here.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message as Headers
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

# Ports of databases, caches, queues and cluster services: never an outside service's.
REFUSED_PORTS = frozenset({
    0, 111, 135, 139, 445,  # portmapper, Windows RPC and file sharing
    1433, 1521, 3306, 5432, 5433, 5984, 6432, 7000, 7001, 9042, 26257, 28015, 33060,  # databases
    6379, 6380, 11211, 26379,  # Redis, memcached, Sentinel
    4369, 5671, 5672, 15672, 25672, 9092, 2181, 61616,  # RabbitMQ, Erlang, Kafka, ZooKeeper, ActiveMQ
    9200, 9300, 8086, 8983,  # Elasticsearch, InfluxDB, Solr
    2375, 2376, 2379, 2380, 6443, 8500, 8600, 10250, 10255, 4001, 8200,  # Docker, etcd, Kubernetes, Consul, Vault
})  # fmt: skip
RESPONSE_LIMIT = 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundError(OSError):
    """An outbound call that was not made or not finished, for a reason of ours."""


class TargetRefused(OutboundError):
    """The target is on a network or a port outside services are not reached on. `code` is
    "private_address" (params host, address) or "refused_port" (port); `message` for people."""

    def __init__(self, code: str, *, host: str, port: int, address: str = ""):
        self.code = code
        self.host = host
        self.port = port
        self.address = address
        super().__init__(self.message)

    @property
    def params(self) -> dict[str, Any]:
        if self.code == "refused_port":
            return {"host": self.host, "port": self.port}
        return {"host": self.host, "address": self.address}

    @property
    def message(self) -> str:
        if self.code == "refused_port":
            return _(
                "Port %(port)s is for databases and internal services; outside services are not reached on it."
            ) % {"port": self.port}
        return _(
            "%(host)s is the address %(address)s, on a loopback, private or internal network; outside services "
            "must be on the public internet."
        ) % {"host": self.host, "address": self.address}

    def __str__(self) -> str:
        return self.message


class DeadlineExceeded(TimeoutError):
    """The call's overall deadline passed before it was done."""


class ResponseTooLarge(OutboundError):
    """The answer was longer than the caller reads."""


# --- the policy ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    allow_private: bool = False
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    hosts: tuple[str, ...] = ()  # "name" exactly, ".domain" for it and its subdomains

    @classmethod
    def from_settings(cls) -> Policy:
        networks, hosts = [], []
        for entry in getattr(settings, "OUTBOUND_ALLOW", ()) or ():
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.append(entry.rstrip("."))
        return cls(bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False)), tuple(networks), tuple(hosts))

    def allows_host(self, host: str) -> bool:
        name = host.strip().lower().rstrip(".")
        return any(name == entry or (entry.startswith(".") and (name.endswith(entry) or name == entry[1:]))
                   for entry in self.hosts)  # fmt: skip

    def allows_address(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in self.networks if network.version == address.version)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96), 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """On the public internet: not loopback, private, link-local (metadata), CGNAT, multicast,
    unspecified or reserved, nor an IPv6 address wrapping such an IPv4 one."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)  # type: ignore[arg-type]
        if embedded is not None and not is_public(embedded):
            return False
        if address.scope_id:  # type: ignore[union-attr]
            return False
    return address.is_global and not address.is_multicast


def address_problem(host: str, address: str, port: int, policy: Policy | None = None) -> TargetRefused | None:
    """Why `address` (one of `host`'s) on `port` may not be connected to, or None."""
    policy = policy or Policy.from_settings()
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if policy.allows_host(host) or policy.allows_address(ip):
        return None
    if not policy.allow_private and not is_public(ip):
        return TargetRefused("private_address", host=host, port=port, address=str(ip))
    if port in REFUSED_PORTS:
        return TargetRefused("refused_port", host=host, port=port)
    return None


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def target_problem(host: str, port: int) -> TargetRefused | None:
    """For saving an address: why `host`:`port` will be refused, or None. A literal address
    or a name that resolves to a refused address is refused; a name that does not resolve
    (yet) is left to the check when connecting."""
    policy = Policy.from_settings()
    host = host.strip().strip("[]")
    if policy.allows_host(host):
        return None
    literal = _literal(host)
    if literal is not None:
        return address_problem(host, str(literal), port, policy)
    if policy.allow_private and not policy.networks:
        # Any address is allowed: only the port can be refused, and that needs no look-up.
        return TargetRefused("refused_port", host=host, port=port) if port in REFUSED_PORTS else None
    try:
        found = _resolve(host, port, Deadline(5))
    except OSError:
        return None
    for *_rest, sockaddr in found:
        if problem := address_problem(host, sockaddr[0], port, policy):
            return problem
    return None


def url_problem(url: str) -> TargetRefused | None:
    """`target_problem` for an http(s) URL (None for one that does not parse: its own check says so)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return target_problem(parts.hostname, port)


# --- the deadline ----------------------------------------------------------------------------------


class Deadline:
    """A moment on the monotonic clock; `seconds` is capped by OUTBOUND_DEADLINE."""

    def __init__(self, seconds: float):
        self.restart(seconds)

    def restart(self, seconds: float) -> None:
        cap = getattr(settings, "OUTBOUND_DEADLINE", None)
        self.seconds = min(seconds, cap) if cap else seconds
        self.ends = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def left(self) -> float:
        """The time left, or DeadlineExceeded when there is none."""
        remaining = self.remaining()
        if remaining <= 0:
            raise DeadlineExceeded(_("timed out"))
        return remaining


class _DeadlineMixin:
    """Each blocking operation waits at most until the deadline."""

    _deadline: Deadline

    def _arm(self) -> None:
        socket.socket.settimeout(self, self._deadline.left())  # type: ignore[arg-type]

    def _run(self, operation: Any, *args: Any) -> Any:
        self._arm()
        try:
            return operation(*args)
        except TimeoutError:
            raise DeadlineExceeded(_("timed out")) from None

    def connect(self, *args: Any) -> Any:
        return self._run(super().connect, *args)  # type: ignore[misc]

    def recv(self, *args: Any) -> Any:
        return self._run(super().recv, *args)  # type: ignore[misc]

    def recv_into(self, *args: Any) -> Any:
        return self._run(super().recv_into, *args)  # type: ignore[misc]

    def send(self, *args: Any) -> Any:
        return self._run(super().send, *args)  # type: ignore[misc]

    def sendall(self, *args: Any) -> Any:
        return self._run(super().sendall, *args)  # type: ignore[misc]


class DeadlineSocket(_DeadlineMixin, socket.socket):
    pass


class DeadlineSSLSocket(_DeadlineMixin, ssl.SSLSocket):
    def do_handshake(self, *args: Any) -> Any:
        return self._run(super().do_handshake, *args)

    def read(self, *args: Any) -> Any:
        return self._run(super().read, *args)

    def write(self, *args: Any) -> Any:
        return self._run(super().write, *args)


def _resolve(host: str, port: int, deadline: Deadline) -> list[tuple[Any, ...]]:
    """getaddrinfo within the deadline (the look-up itself has no timeout)."""
    if _literal(host) is not None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    outcome: dict[str, Any] = {}

    def lookup() -> None:
        try:
            outcome["found"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=lookup, daemon=True, name="outbound-lookup")
    thread.start()
    thread.join(deadline.left())
    if thread.is_alive():
        raise DeadlineExceeded(_("timed out"))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["found"]


def connect(host: str, port: int, *, deadline: Deadline) -> socket.socket:
    """A TCP connection to `host`:`port`, every address the name has checked first and the
    connection made to a checked address; its operations end by `deadline`. Raises
    TargetRefused, DeadlineExceeded or another OSError."""
    host = host.strip().strip("[]")
    policy = Policy.from_settings()
    found = _resolve(host, port, deadline)
    if not found:
        raise OutboundError(_("The name has no address."))
    for *_rest, sockaddr in found:
        if problem := address_problem(host, sockaddr[0], port, policy):
            raise problem
    error: OSError | None = None
    for family, kind, proto, _canonical, sockaddr in found:
        sock = DeadlineSocket(family, kind, proto)
        sock._deadline = deadline
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            if isinstance(exc, DeadlineExceeded):
                raise
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    assert error is not None
    raise error


def tls_context(deadline: Deadline, context: ssl.SSLContext | None = None) -> ssl.SSLContext:
    """A verifying TLS context whose sockets keep `deadline` (STARTTLS wraps with it too)."""
    context = context or ssl.create_default_context()
    context.sslsocket_class = type("OutboundSSLSocket", (DeadlineSSLSocket,), {"_deadline": deadline})
    return context


def wrap_tls(sock: socket.socket, *, server_hostname: str, deadline: Deadline) -> ssl.SSLSocket:
    """TLS over a connection from `connect`, the certificate verified against the name given."""
    return tls_context(deadline).wrap_socket(sock, server_hostname=server_hostname)


# --- HTTP ------------------------------------------------------------------------------------------


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, deadline: Deadline):
        super().__init__(host, port, timeout=deadline.seconds)
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = connect(self.host, self.port, deadline=self.deadline)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, deadline: Deadline):
        super().__init__(host, port, timeout=deadline.seconds)
        self.deadline = deadline

    def connect(self) -> None:
        sock = connect(self.host, self.port, deadline=self.deadline)
        self.sock = wrap_tls(sock, server_hostname=self.host, deadline=self.deadline)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Headers
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def http_request(
    method: str,
    url: str,
    *,
    timeout: float,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    read_body: bool = True,
    limit: int = RESPONSE_LIMIT,
) -> Response:
    """One HTTP(S) request through `connect`, done within `timeout` seconds in all, its answer
    whatever the status (redirects are not followed). ValueError for an address that is not
    http(s); TargetRefused, DeadlineExceeded, ResponseTooLarge, http.client.HTTPException or
    another OSError when no whole answer came."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError("Not an http(s) address.")
    port = parts.port or DEFAULT_PORTS[scheme]
    deadline = Deadline(timeout)
    kind = _HTTPSConnection if scheme == "https" else _HTTPConnection
    connection = kind(parts.hostname, port, deadline=deadline)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        content = b""
        if read_body:
            length = response.getheader("Content-Length")
            if length and length.strip().isdigit() and int(length) > limit:
                raise ResponseTooLarge(_("The answer is too long."))
            content = response.read(limit + 1)
            if len(content) > limit:
                raise ResponseTooLarge(_("The answer is too long."))
        return Response(response.status, response.headers, content)
    finally:
        connection.close()
