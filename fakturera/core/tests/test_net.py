"""Outbound connections (core/net.py) against real sockets on loopback: the overall deadline
cuts off a server that drips its answer; loopback, private, link-local (metadata) and other
internal addresses and database ports are refused, checked on the address connected to
(DNS rebinding); the operator's allowance and allow-list let them through."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fakturera.core import net
from fakturera.core.tests.drip import DripServer, http_drip
from fakturera.core.tests.tls import trusted_certificate

PUBLIC = "93.184.216.34"


@pytest.fixture
def refusing(settings):
    """Production's default: private networks are refused."""
    settings.OUTBOUND_ALLOW_PRIVATE = False
    settings.OUTBOUND_ALLOW = []
    return settings


class Server:
    """An HTTP server on loopback answering `body` with 200."""

    def __init__(self, body: bytes = b'{"ok": true}', host: str = "127.0.0.1"):
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        ThreadingHTTPServer.address_family = family
        self.http = ThreadingHTTPServer((host, 0), Handler)
        ThreadingHTTPServer.address_family = socket.AF_INET
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.http.server_close()


# --- the deadline ------------------------------------------------------------------------------


def test_a_server_dripping_its_answer_is_cut_off_at_the_overall_deadline(settings):
    settings.OUTBOUND_DEADLINE = 1.5
    with http_drip(interval=0.5) as server:
        started = time.monotonic()
        with pytest.raises(net.DeadlineExceeded):
            net.http_request("GET", f"http://127.0.0.1:{server.port}/", timeout=30)
        took = time.monotonic() - started

    # Every read got a byte within half a second: a timeout per read would wait for ever.
    assert 1.4 < took < 4.5  # a busy machine adds some; without the deadline it is 12 s


def test_the_callers_timeout_is_the_deadline_when_shorter():
    with DripServer(b"HTTP/1.1 200 OK\r\n", b"X", interval=0.3) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            net.http_request("GET", f"http://127.0.0.1:{server.port}/", timeout=1)
        assert time.monotonic() - started < 4


def test_an_answer_longer_than_the_limit_is_refused():
    with Server(body=b"x" * 5000) as server:
        with pytest.raises(net.ResponseTooLarge):
            net.http_request("GET", f"http://127.0.0.1:{server.port}/", timeout=5, limit=1000)
        assert net.http_request("GET", f"http://127.0.0.1:{server.port}/", timeout=5, limit=5000).body == b"x" * 5000


# --- which addresses are outside services ----------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1",
        "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.254", "0.0.0.0", "::",  # noqa: S104 - an address checked, not bound "224.0.0.251",
        "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "fe80::1", "fc00::1",
        "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "fd00:ec2::254",
    ],
)  # fmt: skip
def test_internal_addresses_are_not_public(address):
    assert not net.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are(address):
    assert net.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("127.0.0.1", 8000), ("::1", 443), ("[::1]", 443), ("10.0.0.5", 443), ("169.254.169.254", 80),
        ("localhost", 8025), (PUBLIC, 5432), (PUBLIC, 6379), (PUBLIC, 3306), (PUBLIC, 11211),
    ],
)  # fmt: skip
def test_saving_a_private_address_a_name_for_one_or_a_database_port_is_refused(refusing, host, port):
    refused = net.target_problem(host, port)

    assert refused is not None
    if port in net.REFUSED_PORTS:
        assert refused.code == "refused_port"
        assert str(port) in refused.message
    else:
        assert refused.code == "private_address"
        assert "private or internal network" in refused.message


def test_a_public_address_on_an_ordinary_port_may_be_saved(refusing):
    assert net.target_problem(PUBLIC, 443) is None
    assert net.url_problem(f"https://{PUBLIC}/hooks") is None
    assert net.url_problem("https://169.254.169.254/latest/meta-data/").code == "private_address"
    assert net.url_problem("http://[::1]:8080/x").code == "private_address"


def test_a_name_that_does_not_resolve_is_left_to_the_check_when_connecting(refusing, monkeypatch):
    def nowhere(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nowhere)
    assert net.target_problem("not-yet.example.se", 443) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_connecting_to_loopback_is_refused_and_nothing_is_reached(refusing, host):
    with Server() as server:
        with pytest.raises(net.TargetRefused) as refused:
            net.http_request("GET", f"http://{host}:{server.port}/", timeout=5)
        assert server.requests == 0
    assert refused.value.code == "private_address"


def test_connecting_to_ipv6_loopback_is_refused(refusing):
    try:
        server = Server(host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server:
        with pytest.raises(net.TargetRefused):
            net.http_request("GET", f"http://[::1]:{server.port}/", timeout=5)
        assert server.requests == 0


def test_connecting_to_the_metadata_address_or_a_database_port_is_refused_before_connecting(refusing, monkeypatch):
    def no_socket(*args, **kwargs):
        raise AssertionError("no connection may be opened")

    monkeypatch.setattr(net.DeadlineSocket, "connect", no_socket)
    with pytest.raises(net.TargetRefused) as metadata:
        net.http_request("GET", "http://169.254.169.254/latest/meta-data/", timeout=5)
    with pytest.raises(net.TargetRefused) as database:
        net.connect(PUBLIC, 5432, deadline=net.Deadline(5))
    assert metadata.value.code == "private_address"
    assert database.value.code == "refused_port"


def test_every_address_of_a_name_is_checked(refusing, monkeypatch):
    real = socket.getaddrinfo

    def public_and_private(host, port, *args, **kwargs):
        if host == "mixed.example.se":
            return real(PUBLIC, port, type=socket.SOCK_STREAM) + real("127.0.0.1", port, type=socket.SOCK_STREAM)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", public_and_private)
    assert net.target_problem("mixed.example.se", 443).code == "private_address"
    with pytest.raises(net.TargetRefused):
        net.connect("mixed.example.se", 443, deadline=net.Deadline(5))


def test_dns_rebinding_a_name_public_when_saved_and_loopback_when_connecting_is_refused(refusing, monkeypatch):
    real = socket.getaddrinfo
    answers = iter([PUBLIC, "127.0.0.1", "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example.se":
            return real(next(answers), port, type=socket.SOCK_STREAM)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with Server() as server:
        assert net.target_problem("rebind.example.se", server.port) is None  # saved: public then
        with pytest.raises(net.TargetRefused) as refused:
            net.http_request("GET", f"http://rebind.example.se:{server.port}/", timeout=5)
        assert server.requests == 0
    assert refused.value.address == "127.0.0.1"


def test_the_connection_goes_to_the_address_checked_never_a_second_look_up(monkeypatch):
    """The name is resolved once: a second answer (elsewhere) is never asked for."""
    real = socket.getaddrinfo
    lookups = []

    def counting(host, port, *args, **kwargs):
        if host == "once.example.se":
            lookups.append(host)
            return real("127.0.0.1" if len(lookups) == 1 else "10.9.9.9", port, type=socket.SOCK_STREAM)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    with Server() as server:
        answer = net.http_request("GET", f"http://once.example.se:{server.port}/", timeout=5)
    assert answer.status == 200
    assert lookups == ["once.example.se"]


# --- the operator's allowance ---------------------------------------------------------------------


def test_with_private_networks_allowed_loopback_works_but_database_ports_stay_refused(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with Server() as server:
        assert net.http_request("GET", f"http://127.0.0.1:{server.port}/", timeout=5).status == 200
        assert net.http_request("GET", f"http://localhost:{server.port}/", timeout=5).status == 200
    assert net.target_problem("127.0.0.1", 5432).code == "refused_port"
    assert net.target_problem("10.0.0.5", 443) is None


@pytest.mark.parametrize("entry", ["127.0.0.0/8", "127.0.0.1", "localhost", ".localhost"])
def test_the_allow_list_lets_a_named_network_or_host_through(refusing, entry):
    refusing.OUTBOUND_ALLOW = [entry]
    with Server() as server:
        host = "localhost" if "localhost" in entry else "127.0.0.1"
        assert net.http_request("GET", f"http://{host}:{server.port}/", timeout=5).status == 200
    assert net.target_problem("10.0.0.5", 443) is not None


# --- TLS: verified against the name given, though connected to the address checked ------------------


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    return trusted_certificate(tmp_path, monkeypatch)


def test_https_verifies_the_certificate_against_the_name_given(certificate):
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with Server() as server:
        server.http.socket = context.wrap_socket(server.http.socket, server_side=True)
        assert net.http_request("GET", f"https://good.example.se:{server.port}/", timeout=5).status == 200
        for other in ("bad.example.se", "127.0.0.1"):
            with pytest.raises(ssl.SSLCertVerificationError):
                net.http_request("GET", f"https://{other}:{server.port}/", timeout=5)
