"""`api_create_issue` and `api_create_then_issue`: invoices created and issued through
the REST API by a client on loopback, against gunicorn with 2 workers on the benchmark
PostgreSQL database.

Setup (not timed) makes a company, an API key and CUSTOMERS customers, then starts
gunicorn. The timed part is N invoices of three lines, sent by CONCURRENCY client
threads: `api_create_issue` makes each with one call, POST /api/v1/invoices with
"issue": true (how an integrating system issues an invoice it has all the lines
of); `api_create_then_issue` with two, a draft (POST /api/v1/invoices) and then
POST /api/v1/invoices/{id}/issue. Latency is per HTTP request; the figure reported
is its 99th percentile, with the machine's CPU per invoice (server, database and
client together). `api_verify` then checks N issued invoices numbered 1..N without
a gap.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max, Min

from bench.loopback import Gunicorn, machine_cpu_seconds, p99, run_clients
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.keys import api_key_create
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.services import company_create

CUSTOMERS = 200
CONCURRENCY = int(os.environ.get("BENCH_API_CONCURRENCY", "4"))
# Threads per gunicorn worker (gthread); 1 is gunicorn's sync worker.
THREADS = int(os.environ.get("BENCH_API_THREADS", "1"))
LINES = [
    {"description": "Samtalsterapi", "quantity": "1", "unit_price": "950.00", "vat_category": "E", "vat_rate": "0"},
    {"description": "Massage", "quantity": "1", "unit_price": "695.00", "vat_category": "S", "vat_rate": "25"},
    {"description": "Kursbok", "quantity": "2", "unit_price": "349.00", "vat_category": "S", "vat_rate": "6"},
]


@dataclass
class ApiCase:
    company: Company
    token: str
    customer_ids: list[int]
    n: int
    # Two calls per invoice (a draft, then issue) instead of one with "issue": true.
    two_calls: bool = False
    port: int = 0
    gunicorn: Gunicorn | None = None
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0

    @property
    def cpu_ms_per_invoice(self) -> float:
        return 1000 * self.cpu_seconds / self.n

    @property
    def p99_ms(self) -> float:
        return p99(self.latencies_ms)


def api_setup(*, n: int, start_server: bool = True, two_calls: bool = False) -> ApiCase:
    actor, _created = get_user_model().objects.get_or_create(username="bench-api")
    # Each way of calling gets its own company (and number series): `make bench` runs both.
    org_number = "556036-0710" if two_calls else "556036-0793"
    company = company_create(
        actor=actor,
        name="API-bänken i två anrop AB" if two_calls else "API-bänken AB",
        org_number=org_number,
        vat_number=f"SE{org_number.replace('-', '')}01",
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
    case = ApiCase(company=company, token=token, customer_ids=[c.pk for c in customers], n=n, two_calls=two_calls)
    if start_server:
        _start_gunicorn(case)
    return case


def _warm_up(case: ApiCase, connection: http.client.HTTPConnection) -> None:
    """An authenticated read, so the worker has imported everything and opened its database connection."""
    connection.request("GET", "/api/v1/products", headers={"Authorization": f"Bearer {case.token}"})
    connection.getresponse().read()


def _start_gunicorn(case: ApiCase) -> None:
    case.gunicorn = Gunicorn(threads=THREADS)
    case.gunicorn.start(ready_path="/api/v1/openapi.json", warm_up=lambda connection: _warm_up(case, connection))
    case.port = case.gunicorn.port


def api_stop(case: ApiCase) -> None:
    if case.gunicorn is not None:
        case.gunicorn.stop()


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
            if case.two_calls:
                draft = _post(client, case, "/api/v1/invoices", body)
                _post(client, case, f"/api/v1/invoices/{draft['id']}/issue", {})
            else:
                _post(client, case, "/api/v1/invoices", {**body, "issue": True})
    except Exception as exc:  # reported by api_verify
        case.errors.append(repr(exc))
    finally:
        client.close()


def api_run(case: ApiCase, *, concurrency: int = CONCURRENCY) -> float:
    """Seconds for N invoices created and issued by `concurrency` clients."""
    cpu = machine_cpu_seconds()
    seconds = run_clients(case.n, concurrency, lambda count, offset: _client(case, count, offset))
    case.cpu_seconds = machine_cpu_seconds() - cpu
    return seconds


def api_verify(case: ApiCase) -> None:
    if case.errors:
        raise AssertionError(f"client errors: {case.errors[:3]}")
    invoices = Invoice.objects.filter(company=case.company)
    summary = invoices.aggregate(count=Count("pk"), first=Min("number"), last=Max("number"))
    issued = invoices.filter(status=InvoiceStatus.ISSUED).count()
    expected = {"count": case.n, "first": 1, "last": case.n}
    if summary != expected or issued != case.n:
        raise AssertionError(f"invoices {summary} ({issued} issued), expected {expected} all issued")
    calls = 2 if case.two_calls else 1
    if len(case.latencies_ms) != calls * case.n:
        raise AssertionError(f"{len(case.latencies_ms)} requests timed, expected {calls * case.n}")
