"""The same bank file imported by two processes at once, and an import killed (SIGKILL) half-way
through (PostgreSQL: real OS processes, each with its own connection). Imports of one company
run one at a time (the advisory lock), the bank keys are unique, and an import is one
transaction: every transaction is booked once, and a killed import leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from fakturera.core.tests.processes import _database_url, run_in_processes
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.payments import history
from fakturera.payments.importing import payments_import
from fakturera.payments.models import Allocation, Payment, PaymentImport, PaymentKey, Receivable
from fakturera.payments.states import ReceivableState
from fakturera.payments.testing import Credit, camt054

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 30
PAYMENT_KINDS = (history.PAYMENT_ALLOCATED, history.INVOICE_PAID, history.INVOICE_OVERPAID)


def import_file(*, path: str, company_id: int) -> dict:
    """One process: import the file for the company; its counts, or the error."""
    from fakturera.parties.models import Company

    try:
        record = payments_import(source=Path(path), filename="same.xml", company=Company.objects.get(pk=company_id))
    except Exception as exc:  # every error counts: the test wants none
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"booked": record.booked_count, "skipped": record.skipped_count}


def import_and_hang(*, path: str, company_id: int, marker: str) -> dict:
    """One process: import the file in chunks of 5 and, once two chunks are booked (in the
    import's transaction, not committed), say so in `marker` and wait to be killed."""
    from fakturera.parties.models import Company
    from fakturera.payments import importing

    importing.CHUNK = 5
    book = importing.book_payments
    chunks = 0

    def book_then_hang(**kwargs):
        nonlocal chunks
        booked = book(**kwargs)
        chunks += 1
        if chunks == 2:
            Path(marker).write_text(json.dumps({"booked": len(booked.payment_ids) * chunks}))
            time.sleep(300)
        return booked

    importing.book_payments = book_then_hang
    payments_import(source=Path(path), filename="killed.xml", company=Company.objects.get(pk=company_id))
    return {"finished": True}


def _bank_file(company, admin_user, tmp_path: Path) -> Path:
    invoices = [issued_invoice(company, admin_user, "100") for _ in range(N)]
    open_amounts = dict(Receivable.objects.filter(company=company).values_list("pk", "open_amount"))
    credits = [
        Credit(amount=open_amounts[invoice.pk], reference=invoice.payment_reference, bank_reference=f"B{n}")
        for n, invoice in enumerate(invoices)
    ]
    path = tmp_path / "same.xml"
    path.write_bytes(camt054(credits, bankgiro_digits=company.bankgiro.replace("-", "")))
    return path


def _booked_once(company) -> None:
    assert Payment.objects.filter(company=company).count() == N
    assert PaymentKey.objects.filter(company=company).count() == N
    assert Allocation.objects.filter(company=company).count() == N
    assert Receivable.objects.filter(company=company, state=ReceivableState.PAID).count() == N
    assert InvoiceEvent.objects.filter(invoice__company=company, kind=history.PAYMENT_ALLOCATED).count() == N


def test_two_processes_importing_the_same_file_at_once_book_each_transaction_once(company, admin_user, tmp_path):
    path = _bank_file(company, admin_user, tmp_path)

    results = run_in_processes(
        "fakturera.payments.tests.test_concurrency:import_file",
        [{"path": str(path), "company_id": company.pk}] * 2,
    )

    # one of them books everything; the other waits for it and finds every transaction booked
    assert sorted(results, key=lambda r: -r.get("booked", -1)) == [
        {"booked": N, "skipped": 0},
        {"booked": 0, "skipped": N},
    ], results
    assert PaymentImport.objects.filter(company=company).count() == 2
    _booked_once(company)


def test_an_import_killed_half_way_leaves_nothing_and_the_next_books_everything_once(company, admin_user, tmp_path):
    path = _bank_file(company, admin_user, tmp_path)
    marker = tmp_path / "booked.json"
    connection.close()  # the child reads what the test committed
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakturera.core.tests.processes",
            "fakturera.payments.tests.test_concurrency:import_and_hang",
            str(time.time()),
            json.dumps({"path": str(path), "company_id": company.pk, "marker": str(marker)}),
        ],
        env={**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "fakturera.settings"},
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, child.stderr.read().decode()[-3000:] if child.stderr else ""
            assert time.monotonic() < deadline, "the import never got half-way"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert json.loads(marker.read_text()) == {"booked": 10}

    # nothing of the killed import is there: no import, no payment, no key, no allocation, no history
    assert PaymentImport.objects.filter(company=company).count() == 0
    assert Payment.objects.filter(company=company).count() == 0
    assert PaymentKey.objects.filter(company=company).count() == 0
    assert Allocation.objects.filter(company=company).count() == 0
    assert not InvoiceEvent.objects.filter(invoice__company=company, kind__in=PAYMENT_KINDS).exists()
    assert Receivable.objects.filter(company=company, state=ReceivableState.UNPAID).count() == N

    # the next import (it waits for the server to end the dead one's transaction) books it all once
    again = payments_import(source=path, filename="again.xml", company=company)
    assert (again.booked_count, again.skipped_count, again.matched_count) == (N, 0, N)
    _booked_once(company)
