"""The restore drill's steps, each run in its own process against one database (drills/restore.py
sets DATABASE_URL): `prepare`, `write STOP_FILE` and `verify`. Each prints one JSON line last."""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from pathlib import Path

import django
from django.utils import timezone

DEMO_COMPANY = "Kliniken Solglimten AB"
DRILL_SECRET = "drill-smtp-password"  # noqa: S105 - a made-up password, checked after the restore


def _demo_company():
    from fakturera.parties.models import Company

    return Company.objects.get(name=DEMO_COMPANY)


def _actor():
    from django.contrib.auth import get_user_model

    from fakturera.demo.data import DEMO_USERNAME

    return get_user_model().objects.get(username=DEMO_USERNAME)


def _register_one(company, actor, index: int) -> int:
    """One basis item for one of the company's customers, registered as an issued invoice."""
    from fakturera.billables.models import BasisItem, BasisSourceKind
    from fakturera.invoicing.services import invoices_register_from_basis
    from fakturera.parties.models import Customer

    customer = Customer.objects.filter(company=company).order_by("pk")[index % 5]
    BasisItem.objects.create(
        company=company,
        customer=customer,
        source=BasisSourceKind.MANUAL,
        description=f"Återbesök {index}",
        occurred_on=timezone.localdate(),
        quantity=Decimal("1.000"),
        unit_price=Decimal("650.00"),
        vat_category="E",
        vat_rate=Decimal("0.00"),
        account_code="3004",
        currency="SEK",
        created_by=actor,
    )
    invoices = invoices_register_from_basis(company=company, actor=actor, customer_ids=[customer.pk])
    return len(invoices)


def prepare() -> dict:
    from django.core.management import call_command

    from fakturera.demo.data import demo_load
    from fakturera.distribution.services import channel_setting_save
    from fakturera.documents.models import InvoiceDocument
    from fakturera.documents.services import documents_render
    from fakturera.invoicing.models import Invoice
    from fakturera.invoicing.states import InvoiceStatus
    from fakturera.parties.models import Channel

    call_command("migrate", verbosity=0, interactive=False)
    demo_load()
    company = _demo_company()
    # A secret at rest (the SMTP password), to read back after the restore.
    channel_setting_save(
        company=company,
        channel=Channel.EMAIL,
        is_active=True,
        options={"host": "127.0.0.1", "port": 25, "security": "none", "from_email": "faktura@solglimten.example"},
        secret=DRILL_SECRET,
    )
    issued = list(Invoice.objects.exclude(status=InvoiceStatus.DRAFT).values_list("pk", flat=True))
    documents_render(invoice_ids=issued)
    return {"invoices": len(issued), "documents": InvoiceDocument.objects.count()}


def write(stop_file: str) -> dict:
    """Register invoices one by one (each its own transaction, as staff would) until told to stop."""
    company, actor = _demo_company(), _actor()
    registered, index = 0, 0
    stop = Path(stop_file)
    while not stop.exists():
        registered += _register_one(company, actor, index)
        index += 1
        time.sleep(0.02)
    return {"registered": registered}


def verify() -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.test import Client

    from fakturera.demo.data import DEMO_PASSWORD, DEMO_USERNAME
    from fakturera.distribution.models import ChannelSetting
    from fakturera.documents.models import InvoiceDocument
    from fakturera.documents.services import documents_verify
    from fakturera.invoicing.models import Invoice, NumberSeries
    from fakturera.parties.models import Channel

    lines: list[str] = []
    failures: list[str] = []

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        failures.append(f"{len(pending)} migrations not applied: {pending[0][0]}")
    else:
        lines.append("every migration applied")
    call_command("check", verbosity=0)

    # Read as every reader reads them (documents.services.document_bytes: the row or the S3 store).
    checked, wrong = documents_verify(InvoiceDocument.objects.all())
    mismatched = len(wrong)
    failures.extend(f"stored document {pk}: its bytes do not match its SHA-256 or size" for pk in wrong[:5])
    lines.append(f"{checked} stored documents, {checked - mismatched} matching their SHA-256")
    if not checked:
        failures.append("no stored documents in the restored database")

    series_lines = []
    for series in NumberSeries.objects.order_by("pk"):
        numbers = sorted(Invoice.objects.filter(series=series, number__isnull=False).values_list("number", flat=True))
        if not numbers:
            continue
        expected = list(range(numbers[0], numbers[0] + len(numbers)))
        if numbers != expected:
            missing = sorted(set(expected) - set(numbers))[:5]
            failures.append(f"series {series.pk}: numbers {numbers[0]}-{numbers[-1]} have gaps (missing {missing})")
        if series.next_number != numbers[-1] + 1:
            failures.append(f"series {series.pk}: next number {series.next_number}, last issued {numbers[-1]}")
        series_lines.append(f"{series.prefix}{numbers[0]}-{numbers[-1]}")
    lines.append(f"number series gap-free: {', '.join(series_lines)}")

    company, actor = _demo_company(), _actor()
    series = NumberSeries.objects.filter(company=company).order_by("pk").first()
    before = series.next_number if series else None
    _register_one(company, actor, 0)
    newest = Invoice.objects.filter(company=company, number__isnull=False).order_by("-number").first()
    if newest is None or newest.number != before:
        failures.append(f"the next invoice took number {newest.number if newest else None}, expected {before}")
    else:
        lines.append(f"the next invoice registered after the restore took number {newest.number}")

    setting = ChannelSetting.objects.get(company=company, channel=Channel.EMAIL)
    if setting.secret != DRILL_SECRET:
        failures.append("the SMTP password stored before the backup does not read back")
    else:
        lines.append("secrets at rest read back with the installation's keys")

    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    form = client.get("/login/")
    token = form.cookies["csrftoken"].value if "csrftoken" in form.cookies else ""
    answer = client.post(
        "/login/",
        {"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        REMOTE_ADDR="127.0.0.1",
    )
    start = client.get(answer.headers.get("Location", "/")) if answer.status_code == 302 else answer
    if answer.status_code != 302 or start.status_code != 200 or "_auth_user_id" not in client.session:
        failures.append(f"the demo login failed (login answered {answer.status_code}, start page {start.status_code})")
    else:
        lines.append(f"the demo login (demo / demo) reaches the start page ({answer.headers['Location']})")
    return {"lines": lines, "failures": failures}


STEPS = {"prepare": prepare, "write": write, "verify": verify}


def main(argv: list[str]) -> int:
    django.setup()
    name, *args = argv
    result = STEPS[name](*args)
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
