"""`api_create_issue`: invoices created and issued through the REST API by a client
on loopback, against gunicorn with 2 workers on the benchmark PostgreSQL database.

Setup (not timed) makes a company, an API key and CUSTOMERS customers, then starts
gunicorn. The timed part is N invoices, each made the way an integrator makes
one: POST /api/v1/invoices (a draft with three lines) and then POST
/api/v1/invoices/{id}/issue, sent by CONCURRENCY client threads over keep-alive
connections. BENCH_API_ONE_CALL=1 makes each invoice with one call instead
(POST /api/v1/invoices with "issue": true). Latency is per HTTP request; the
figure reported is its 99th percentile. `api_verify` then checks N issued
invoices numbered 1..N without a gap.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max, Min

from fakturera.api.services import api_key_create
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.services import company_create

CUSTOMERS = 200
WORKERS = 2
CONCURRENCY = int(os.environ.get("BENCH_API_CONCURRENCY", "4"))
# Threads per gunicorn worker (gthread); 1 is gunicorn's sync worker.
THREADS = int(os.environ.get("BENCH_API_THREADS", "1"))
ONE_CALL = os.environ.get("BENCH_API_ONE_CALL", "") == "1"
LINES = [
    {"description": "Samtalsterapi", "quantity": "1", "unit_price": "950.00", "vat_category": "E", "vat_rate": "0"},
    {"description": "Massage", "quantity": "1", "unit_price": "695.00", "vat_category": "S", "vat_rate": "25"},
    {"description": "Kursbok", "quantity": "2", "unit_price": "349.00", "vat_category": "S", "vat_rate": "6"},
]
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ApiCase:
    company: Company
    token: str
    customer_ids: list[int]
    n: int
    port: int = 0
    server: subprocess.Popen | None = None
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]


def api_setup(*, n: int, start_server: bool = True) -> ApiCase:
    actor, _created = get_user_model().objects.get_or_create(username="bench-api")
    company = company_create(
        actor=actor,
        name="API-bänken AB",
        org_number="556036-0793",
        vat_number="SE556036079301",
        bankgiro="991-2346",
        address_line1="Mätvägen 1",
        postal_code="111 22",
        city="Stockholm",
    )
    customers = [
        Customer(
            company=company,
            kind=CustomerKind.PERSON,
            number=1001 + index,
            name=f"Kund {index}",
            email=f"kund{index}@post.example",
            address_line1=f"Gatan {index + 1}",
            postal_code="123 45",
            city="Västerås",
        )
        for index in range(CUSTOMERS)
    ]
    Customer.objects.bulk_create(customers)
    token = api_key_create(company=company, name="bench", actor=actor).token
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    case = ApiCase(company=company, token=token, customer_ids=[c.pk for c in customers], n=n)
    if start_server:
        _start_gunicorn(case)
    return case


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_gunicorn(case: ApiCase) -> None:
    case.port = _free_port()
    database = settings.DATABASES["default"]
    url = os.environ.get("DATABASE_URL") or (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FAKTURERA_DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "fakturera.settings",
    }
    command = [sys.executable, "-m", "gunicorn", "fakturera.wsgi:application", "--workers", str(WORKERS),
               "--bind", f"127.0.0.1:{case.port}", "--keep-alive", "5", "--log-level", "warning",
               "--threads", str(THREADS)]  # fmt: skip
    case.server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 - fixed arguments
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection_ = http.client.HTTPConnection("127.0.0.1", case.port, timeout=2)
            connection_.request("GET", "/api/v1/openapi.json")
            if connection_.getresponse().status == 200:
                connection_.close()
                _warm_up(case)
                return
        except OSError:
            time.sleep(0.2)
    api_stop(case)
    raise RuntimeError("gunicorn did not start within 30 s")


def _warm_up(case: ApiCase) -> None:
    """One authenticated read per worker, so both have imported everything and opened their database connection."""
    for _ in range(WORKERS * 2):
        client = http.client.HTTPConnection("127.0.0.1", case.port, timeout=10)
        client.request("GET", "/api/v1/products", headers={"Authorization": f"Bearer {case.token}"})
        client.getresponse().read()
        client.close()


def api_stop(case: ApiCase) -> None:
    if case.server is not None and case.server.poll() is None:
        os.killpg(case.server.pid, signal.SIGTERM)
        case.server.wait(timeout=30)


def _post(client: http.client.HTTPConnection, case: ApiCase, path: str, body: dict) -> dict:
    payload = json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {case.token}", "Content-Type": "application/json"}
    started = time.perf_counter()
    client.request("POST", path, body=payload, headers=headers)
    response = client.getresponse()
    data = response.read()
    case.latencies_ms.append((time.perf_counter() - started) * 1000)
    if response.status not in (200, 201):
        raise RuntimeError(f"{path}: HTTP {response.status} {data[:300]!r}")
    return json.loads(data)


def _client(case: ApiCase, count: int, offset: int) -> None:
    client = http.client.HTTPConnection("127.0.0.1", case.port, timeout=30)
    try:
        for index in range(count):
            customer_id = case.customer_ids[(offset + index) % len(case.customer_ids)]
            body = {"customer_id": customer_id, "lines": LINES, "buyer_reference": f"B-{offset + index}"}
            if ONE_CALL:
                _post(client, case, "/api/v1/invoices", {**body, "issue": True})
            else:
                draft = _post(client, case, "/api/v1/invoices", body)
                _post(client, case, f"/api/v1/invoices/{draft['id']}/issue", {})
    except Exception as exc:  # reported by api_verify
        case.errors.append(repr(exc))
    finally:
        client.close()


def api_run(case: ApiCase, *, concurrency: int = CONCURRENCY) -> float:
    """Seconds for N invoices created and issued by `concurrency` clients."""
    shares = [case.n // concurrency + (1 if i < case.n % concurrency else 0) for i in range(concurrency)]
    offsets = [sum(shares[:i]) for i in range(concurrency)]
    threads = [
        threading.Thread(target=_client, args=(case, share, offset))
        for share, offset in zip(shares, offsets, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def api_verify(case: ApiCase) -> None:
    if case.errors:
        raise AssertionError(f"client errors: {case.errors[:3]}")
    invoices = Invoice.objects.filter(company=case.company)
    summary = invoices.aggregate(count=Count("pk"), first=Min("number"), last=Max("number"))
    issued = invoices.filter(status=InvoiceStatus.ISSUED).count()
    expected = {"count": case.n, "first": 1, "last": case.n}
    if summary != expected or issued != case.n:
        raise AssertionError(f"invoices {summary} ({issued} issued), expected {expected} all issued")
    calls = 1 if ONE_CALL else 2
    if len(case.latencies_ms) != calls * case.n:
        raise AssertionError(f"{len(case.latencies_ms)} requests timed, expected {calls * case.n}")
