"""Fake letter service and Peppol access point on loopback, speaking the documented requests.

For tests (this app's and the distribution engine's): start one, point a channel at
its `url` with its `api_key`, and read what arrived in `received`.

    with FakeLetterService() as service:
        letter_send(base_url=service.url, api_key=service.api_key, ...)
        assert len(service.received) == 1

Failures on demand: `fail_next(500, times=2)` answers the next two requests with
HTTP 500 (then normally again), `fail_next(502, page="<html>...")` with an HTML error
page as a proxy in front of a service would; `delay = 2.0` answers every request two seconds
late (a client with a shorter timeout gives up). Both honour Idempotency-Key: a
repeated key gets the first answer back and nothing is recorded twice. Injected
failures are not remembered under the key, so a retry with the same key succeeds.
The access point validates each UBL with the official Peppol validator
(documents/ubl/validator.py) and refuses an invalid one with 400 and the rules.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from lxml import etree


@dataclass(frozen=True)
class Page:
    """An answer that is not JSON: an error page."""

    body: str
    content_type: str = "text/html; charset=utf-8"


Answer = tuple[int, "dict[str, Any] | Page"]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Failure:
    status: int
    message: str
    times: int
    page: str | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        status, payload = self.server.fake.handle(request)
        if isinstance(payload, Page):
            data, content_type = payload.body.encode("utf-8"), payload.content_type
        else:
            data, content_type = json.dumps(payload).encode("utf-8"), "application/json"
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test); nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet test output


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeService) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


@dataclass
class FakeService:
    """What both fakes share: the server thread, the key check, failures, idempotency."""

    api_key: str = "test-api-key-0123456789"
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._answers: dict[str, Answer] = {}
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeService:
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # Configuration ---------------------------------------------------------------------------
    def fail_next(self, status: int, *, times: int = 1, message: str = "", page: str | None = None) -> None:
        """Answer the next `times` requests with `status` (and `message` as the error, or
        `page` as an HTML error page)."""
        with self._lock:
            self._failures.append(_Failure(status, message or f"injected failure {status}", times, page))

    # Serving ---------------------------------------------------------------------------------
    def handle(self, request: Request) -> Answer:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.requests.append(request)
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return 401, {"error": "unknown API key"}
            if self._failures:
                failure = self._failures[0]
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.pop(0)
                if failure.page is not None:
                    return failure.status, Page(failure.page)
                return failure.status, {"error": failure.message}
            key = request.headers.get("idempotency-key", "")
            if request.method == "POST":
                if not key:
                    return 400, {"error": "Idempotency-Key header is required"}
                if key in self._answers:
                    return self._answers[key]
            answer = self.route(request)
            if request.method == "POST" and answer[0] < 500:
                self._answers[key] = answer
            return answer

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def route(self, request: Request) -> Answer:
        raise NotImplementedError


@dataclass
class FakeLetterService(FakeService):
    """A central print service: POST /v1/letters (see letter.py)."""

    def route(self, request: Request) -> Answer:
        if request.method != "POST" or request.path.rstrip("/") != "/v1/letters":
            return 404, {"error": f"no such endpoint {request.method} {request.path}"}
        try:
            body = json.loads(request.body)
            recipient = body["recipient"]
            pdf = base64.b64decode(body["document"]["content_base64"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return 400, {"error": "the body is not a letter request"}
        if not pdf.startswith(b"%PDF"):
            return 400, {"error": "the document is not a PDF"}
        for needed in ("name", "address_lines", "postal_code", "city", "country"):
            if not recipient.get(needed):
                return 422, {"error": f"recipient.{needed} is missing"}
        letter_id = self.next_id("L")
        self.received.append({
            "id": letter_id,
            "idempotency_key": request.headers.get("idempotency-key"),
            "reference": body.get("reference", ""),
            "recipient": recipient,
            "pdf": pdf,
        })  # fmt: skip
        return 201, {"id": letter_id, "status": "accepted"}


ROOTS = {"invoice": "Invoice", "credit_note": "CreditNote"}


@dataclass
class FakePeppolAccessPoint(FakeService):
    """A Peppol access point: GET /v1/participants/<id>, POST /v1/documents (see peppol.py).

    `registered` holds the participant ids the look-up knows; `is_validating` off skips
    the (slow) official validator for tests about something else than the document.
    """

    registered: set[str] = field(default_factory=set)
    is_validating: bool = True

    def route(self, request: Request) -> Answer:
        path = request.path.rstrip("/")
        if request.method == "GET" and path.startswith("/v1/participants/"):
            participant = unquote(path.removeprefix("/v1/participants/"))
            if participant in self.registered:
                return 200, {"participant_id": participant, "registered": True}
            return 404, {"error": f"{participant} is not registered in Peppol"}
        if request.method == "POST" and path == "/v1/documents":
            return self._document(request)
        return 404, {"error": f"no such endpoint {request.method} {request.path}"}

    def _document(self, request: Request) -> Answer:
        sender = request.headers.get("x-peppol-sender", "")
        receiver = request.headers.get("x-peppol-receiver", "")
        kind = request.headers.get("x-document-kind", "")
        if kind not in ROOTS:
            return 400, {"error": f"X-Document-Kind must be invoice or credit_note, not {kind!r}"}
        if not sender:
            return 400, {"error": "X-Peppol-Sender is missing"}
        if receiver not in self.registered:
            return 422, {"error": f"receiver {receiver} is not registered in Peppol"}
        try:
            root = etree.fromstring(request.body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            return 400, {"error": f"the document is not XML: {exc}"}
        if etree.QName(root).localname != ROOTS[kind]:
            return 400, {"error": f"X-Document-Kind {kind} but the document is a {etree.QName(root).localname}"}
        if self.is_validating:
            from fakturera.documents.ubl.validator import validate_ubl

            failed = validate_ubl(request.body)
            if failed:
                rules = [{"id": rule.split(":", 1)[0], "message": rule.split(":", 1)[1].strip()} for rule in failed]
                return 400, {"error": "the document breaks Peppol BIS Billing 3.0 rules", "rules": rules}
        document_id = self.next_id("D")
        self.received.append({
            "id": document_id,
            "idempotency_key": request.headers.get("idempotency-key"),
            "sender": sender,
            "receiver": receiver,
            "kind": kind,
            "ubl": request.body,
        })  # fmt: skip
        return 202, {"id": document_id, "status": "accepted"}
