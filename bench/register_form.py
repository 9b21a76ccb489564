"""`register_form`: registrations submitted to an occurrence's public form (seed 000) by
clients on loopback, against gunicorn with 2 workers on the benchmark PostgreSQL database.

Setup (not timed) makes a company, an open course and an occurrence whose form asks
for org number, VAT number, Peppol ID and project number, then starts gunicorn with
the form's rate limit off (FAKTURERA_REGISTRATION_RATE_LIMIT=0: every request comes
from 127.0.0.1, which a real limit would rightly stop). Each of CONCURRENCY client
threads fetches the form once (its CSRF cookie and token), then POSTs its share of N
registrations over a keep-alive connection, as a browser does (gunicorn runs
THREADS threads per worker); a 302 to the thanks
page is a success, anything else an error. `register_form_verify` then checks N
stored registrations, every identifier normalised.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection

from bench.loopback import Gunicorn, p99, run_clients
from fakturera.courses.models import FieldUse, Occurrence, Registration
from fakturera.courses.services import course_create, occurrence_create, registration_form_update
from fakturera.parties.models import Company
from fakturera.parties.services import company_create

# Threads per gunicorn worker (gthread): a registration mostly waits for PostgreSQL, so a
# worker serves other requests meanwhile; 1 is gunicorn's sync worker.
THREADS = int(os.environ.get("BENCH_REGISTER_THREADS", "4"))
CONCURRENCY = int(os.environ.get("BENCH_REGISTER_CONCURRENCY", "8"))
TOKEN_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class RegisterCase:
    company: Company
    occurrence: Occurrence
    n: int
    port: int = 0
    gunicorn: Gunicorn | None = None
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/register/{self.occurrence.registration_form.token}/"

    @property
    def p99_ms(self) -> float:
        return p99(self.latencies_ms)


def register_form_setup(*, n: int, start_server: bool = True) -> RegisterCase:
    actor, _created = get_user_model().objects.get_or_create(username="bench-courses")
    company = company_create(
        actor=actor,
        name="Kursbänken AB",
        org_number="556703-7485",
        vat_number="SE556703748501",
        bankgiro="991-2346",
        address_line1="Mätvägen 2",
        postal_code="111 22",
        city="Stockholm",
    )
    course = course_create(company=company, name="Projektledning i praktiken")
    occurrence = occurrence_create(
        course=course,
        starts_on=dt.date(2027, 3, 1),
        ends_on=dt.date(2027, 3, 2),
        place="Linköping",
        price=Decimal(8900),
    )
    registration_form_update(
        form=occurrence.registration_form,
        org_number=FieldUse.REQUIRED,
        vat_number=FieldUse.OPTIONAL,
        peppol_id=FieldUse.OPTIONAL,
        project_number=FieldUse.OPTIONAL,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    case = RegisterCase(company=company, occurrence=occurrence, n=n)
    if start_server:
        _start_gunicorn(case)
    return case


def _start_gunicorn(case: RegisterCase) -> None:
    # The public form's rate limit is off: every registration comes from one loopback address.
    case.gunicorn = Gunicorn(threads=THREADS, env={"FAKTURERA_REGISTRATION_RATE_LIMIT": "0"})

    def warm_up(connection: http.client.HTTPConnection) -> None:
        connection.request("GET", case.path + "?lang=en")
        connection.getresponse().read()

    case.gunicorn.start(ready_path=case.path, warm_up=warm_up)
    case.port = case.gunicorn.port


def register_form_stop(case: RegisterCase) -> None:
    if case.gunicorn is not None:
        case.gunicorn.stop()


def _client(case: RegisterCase, count: int, offset: int) -> None:
    client = http.client.HTTPConnection("127.0.0.1", case.port, timeout=30)
    try:
        client.request("GET", case.path)
        page = client.getresponse()
        body = page.read()
        cookie = next(
            part.split(";", 1)[0] for part in page.headers.get_all("Set-Cookie") or [] if part.startswith("csrftoken=")
        )
        token = TOKEN_FIELD.search(body).group(1).decode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        for index in range(offset, offset + count):
            form = {
                "csrfmiddlewaretoken": token,
                "lang": "sv",
                "name": f"Deltagare {index}",
                "email": f"deltagare{index}@firma.example",
                "organisation_name": "Firma Ett AB",
                "org_number": "5560360793",
                "vat_number": "SE556036079301",
                "peppol_id": "0007:5560360793",
                "project_number": f"P-{index}",
                "website": "",
            }
            started = time.perf_counter()
            client.request("POST", case.path, body=urlencode(form), headers=headers)
            response = client.getresponse()
            data = response.read()
            case.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status != 302:
                case.errors.append(f"HTTP {response.status}: {data[:200]!r}")
    except Exception as exc:  # reported by register_form_verify
        case.errors.append(repr(exc))
    finally:
        client.close()


def register_form_run(case: RegisterCase, *, concurrency: int = CONCURRENCY) -> float:
    """Seconds for N registrations submitted by `concurrency` clients."""
    return run_clients(case.n, concurrency, lambda count, offset: _client(case, count, offset))


def register_form_verify(case: RegisterCase) -> None:
    if case.errors:
        raise AssertionError(f"{len(case.errors)} client errors, such as {case.errors[:3]}")
    stored = Registration.objects.filter(occurrence=case.occurrence)
    if stored.count() != case.n:
        raise AssertionError(f"{stored.count()} registrations stored, expected {case.n}")
    if stored.exclude(org_number="556036-0793").exists():
        raise AssertionError("some registrations kept an org number that was not normalised")
