"""`camt_import`: one camt.054 file of N credit transactions read, matched and booked.

Setup (not timed) issues N open invoices, one per customer, through the basis as `issue` does
(bulk inserts, then one `invoices_register_from_basis`), and writes the file to a temporary
file piece by piece (payments.testing.camt054_chunks): of every 50 transactions, 45 pay an
invoice in full with its OCR reference, 3 give no reference but the invoice's exact amount and
the customer's name as the payer (amounts differ between customers, so each of those singles
out one invoice), and 2 are unknown (a payer who is no customer, an amount no invoice is open
for, half of them with a valid OCR reference of no invoice). The lines are shuffled.

Timed: `payments_import` of the file (the figure: transactions per second), then the same file
again, which must find every transaction already booked (`second_s`). `peak_rss_mb` is how far
the process's resident memory rose above where it stood when the first import began (Linux's
high-water mark, reset before the import once what setup freed is given back; `ru_maxrss`
elsewhere, which setup may hide). `cpu_s` and `second_cpu_s` are the imports' CPU time in this
process (PostgreSQL's work is not in them): on a shared machine the clock also counts the time
spent waiting for a CPU, so `load` (the 1-minute load average at the end) says how busy it was.
`db_floor_s` is the database's share measured alone (bench/db_floor.py): the rows the first import
wrote (payments, keys, allocations, invoice and task history, vouchers and their lines, the import's
record) and the rows it changed (receivables, tasks), written again by COPY into a copy of the
database as it was before the import, in one transaction with its commit; no Python builds them.
It is the least the database needs for this import on this machine, whatever the code around it.
`camt_import_verify` checks the counts: every invoice paid by a reference or by amount and payer
booked so, the unknown ones in the unmatched queue, the second import booking nothing.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import os
import random
import resource
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count
from stdnum import luhn

from bench.db_floor import Floor
from fakturera.billables.models import BasisItem, BasisSourceKind
from fakturera.bookkeeping.models import Voucher, VoucherCounter, VoucherLine
from fakturera.core.ocr import ocr_reference
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.services import company_create
from fakturera.payments.importing import payments_import
from fakturera.payments.models import Allocation, Payment, PaymentImport, PaymentKey, Receivable
from fakturera.payments.states import MatchMethod, PaymentStatus, ReceivableState
from fakturera.payments.testing import Credit, camt054_chunks
from fakturera.worklist.models import Task, TaskEvent

BENCH_ORG_NUMBER_BASE = "559900124"
BANKGIRO = "991-2346"
# Of every 50 transactions: 45 by OCR, 3 by amount and payer, 2 unknown.
BY_OCR, BY_AMOUNT, UNKNOWN = 45, 3, 2
BOOKED_ON = dt.date(2026, 11, 30)


@dataclass
class CamtImportCase:
    company: Company
    actor: AbstractBaseUser
    n: int
    path: Path
    by_ocr: int
    by_amount: int
    unknown: int
    file_bytes: int
    first: PaymentImport | None = None
    second: PaymentImport | None = None
    first_seconds: float = 0.0
    second_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    floor: Floor | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _org_number(index: int) -> str:
    base = f"56{index % 10_000_000:07d}"
    return f"{base[:6]}-{base[6:]}{luhn.calc_check_digit(base)}"


def _customer_name(index: int) -> str:
    # Words of two or more characters: a name's one-letter words are no part of the comparison.
    return f"Organisation {index:05d} AB" if index % 4 == 0 else f"Kund {index:05d}"


def camt_import_setup(*, n: int, seed: int = 1) -> CamtImportCase:
    rng = random.Random(seed)
    actor, _created = get_user_model().objects.get_or_create(username="bench-camt")
    company_org = BENCH_ORG_NUMBER_BASE + luhn.calc_check_digit(BENCH_ORG_NUMBER_BASE)
    company = company_create(
        actor=actor,
        name="Bänkmärket Betalningar AB",
        org_number=company_org,
        vat_number=f"SE{company_org}01",
        bankgiro=BANKGIRO,
        address_line1="Mätvägen 2",
        postal_code="111 22",
        city="Stockholm",
    )
    customers = []
    for index in range(n):
        is_organisation = index % 4 == 0
        org_number = _org_number(index) if is_organisation else ""
        customers.append(
            Customer(
                company=company,
                kind=CustomerKind.ORGANISATION if is_organisation else CustomerKind.PERSON,
                number=1001 + index,
                name=_customer_name(index),
                email=f"betalare{index}@post.example",
                address_line1=f"Gatan {index % 200 + 1}",
                postal_code="123 45",
                city="Västerås",
                org_number=org_number,
                vat_number=f"SE{org_number.replace('-', '')}01" if org_number else "",
            )
        )
    Customer.objects.bulk_create(customers, batch_size=2000)
    # One item per customer at a price of its own: the invoices' amounts spread like a real
    # customer base's, so an amount with the payer's name singles out one invoice.
    items = [
        BasisItem(
            company=company,
            customer=customer,
            source=BasisSourceKind.MANUAL,
            description=f"Konsultation {index}",
            occurred_on=BOOKED_ON - dt.timedelta(days=40),
            quantity=Decimal("1.000"),
            unit_price=Decimal(rng.randrange(10_000, 2_000_000)) / 100,
            vat_category="S",
            vat_rate=Decimal("25.00"),
            account_code="3001",
            currency="SEK",
            created_by=actor,
        )
        for index, customer in enumerate(customers)
    ]
    BasisItem.objects.bulk_create(items, batch_size=5000)
    invoices_register_from_basis(company=company, actor=actor, issued_on=BOOKED_ON - dt.timedelta(days=30))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    receivables = list(
        Receivable.objects.filter(company=company)
        .order_by("invoice_id")
        .values_list("payment_reference", "open_amount", "customer__name")
    )
    if len(receivables) != n:
        raise AssertionError(f"{len(receivables)} open invoices, expected {n}")
    rng.shuffle(receivables)
    open_amounts = {amount for _ref, amount, _name in receivables}
    by_ocr = n * BY_OCR // 50
    by_amount = n * BY_AMOUNT // 50
    unknown = n - by_ocr - by_amount
    credits: list[Credit] = []
    for reference, amount, name in receivables[:by_ocr]:
        credits.append(Credit(amount=amount, reference=reference, payer=name.upper()))
    # A payer paying one of their invoices without its reference: its amount and their name.
    taken: dict[tuple[Decimal, str], int] = {}
    for _reference, amount, name in receivables:
        taken[(amount, name)] = taken.get((amount, name), 0) + 1
    for _reference, amount, name in receivables[by_ocr : by_ocr + by_amount]:
        assert taken[(amount, name)] == 1
        credits.append(Credit(amount=amount, payer=name.upper()))
    for index in range(unknown):
        amount = Decimal(rng.randrange(5_000, 3_000_000)) / 100
        while amount in open_amounts:
            amount += Decimal("0.01")
        # Half give an OCR reference of an invoice that does not exist (a number far above the series').
        reference = ocr_reference(str(9_000_000 + index)) if index % 2 else ""
        credits.append(Credit(amount=amount, reference=reference, payer=f"Okänd Betalare {index + 1:05d}"))
    rng.shuffle(credits)
    credits = [
        Credit(
            amount=c.amount,
            reference=c.reference,
            payer=c.payer,
            bank_reference=f"BANK-{position:08d}",
            booked_on=BOOKED_ON,
        )
        for position, c in enumerate(credits, start=1)
    ]
    handle, name = tempfile.mkstemp(prefix="bench-camt-", suffix=".xml")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for piece in camt054_chunks(credits, bankgiro_digits=BANKGIRO.replace("-", ""), message_id="BENCH-CAMT-1"):
            out.write(piece)
    path = Path(name)
    floor = None
    # The copy is made of what is committed (in a test's transaction nothing is).
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # What an import writes: rows into these tables (its own record with its final counts,
        # the payment series' voucher counter, when new), and changes to these.
        inserted = (
            PaymentImport, Payment, PaymentKey, Allocation, InvoiceEvent, Voucher, VoucherLine, TaskEvent,
            VoucherCounter,
        )  # fmt: skip
        floor = Floor(
            inserted=[model._meta.db_table for model in inserted],
            updated=[model._meta.db_table for model in (PaymentImport, Receivable, Task, VoucherCounter)],
        )
        floor.clone()
    return CamtImportCase(
        company=company,
        actor=actor,
        n=n,
        path=path,
        by_ocr=by_ocr,
        by_amount=by_amount,
        unknown=unknown,
        file_bytes=path.stat().st_size,
        floor=floor,
    )


def _rss_kb(field_name: str) -> int | None:
    """A figure of /proc/self/status (VmRSS, VmHWM) in KiB; None where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Give freed memory back to the system (what setup freed would otherwise stay resident and
    hide the import's own growth), then reset the resident high-water mark to the current size
    (Linux: clear_refs 5)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return False
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def camt_import_run(case: CamtImportCase) -> float:
    """Seconds of the first import; the second's, the CPU time of both in this process (not the
    database's: on a shared machine the clock also counts waiting for a CPU) and the memory are
    kept on the case. A failure leaves no file and no copy of the database behind."""
    try:
        return _run(case)
    except BaseException:
        _discard(case)
        raise


def _discard(case: CamtImportCase) -> None:
    """The file and the floor's copy of the database, gone."""
    case.path.unlink(missing_ok=True)
    if case.floor is not None:
        case.floor.drop()


def _run(case: CamtImportCase) -> float:
    if case.floor is not None:
        case.floor.before()
    has_reset = _reset_peak()
    start_rss = _rss_kb("VmRSS")
    start_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    case.first = payments_import(source=case.path, filename=case.path.name, actor=case.actor, company=case.company)
    case.first_seconds = time.perf_counter() - started
    first_cpu = time.process_time() - cpu
    if has_reset and start_rss is not None:
        case.peak_rss_mb = ((_rss_kb("VmHWM") or 0) - start_rss) / 1024
    else:
        case.peak_rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_maxrss) / 1024
    if case.floor is not None:
        case.floor.after()
    started, cpu = time.perf_counter(), time.process_time()
    case.second = payments_import(source=case.path, filename=case.path.name, actor=case.actor, company=case.company)
    case.second_seconds = time.perf_counter() - started
    second_cpu = time.process_time() - cpu
    case.extra = {
        "cpu_s": f"{first_cpu:.3f}",
        "second_s": f"{case.second_seconds:.3f}",
        "second_cpu_s": f"{second_cpu:.3f}",
        "peak_rss_mb": f"{case.peak_rss_mb:.1f}",
        "file_mb": f"{case.file_bytes / 1_048_576:.1f}",
        "load": f"{os.getloadavg()[0]:.1f}",
    }
    if case.floor is not None:
        floor = case.floor
        # The receivables of the invoices it allocated to, the tasks it wrote history for.
        floor.replay(
            {
                Receivable._meta.db_table: ("invoice_id", Allocation._meta.db_table, "invoice_id"),
                Task._meta.db_table: ("id", TaskEvent._meta.db_table, "task_id"),
            }
        )
        case.extra["db_floor_s"] = f"{floor.seconds:.3f}"
        case.extra["db_floor_commit_s"] = f"{floor.commit_seconds:.3f}"
        case.extra["db_floor_rows"] = str(floor.rows)
    return case.first_seconds


def camt_import_verify(case: CamtImportCase) -> None:
    try:
        _verify(case)
    finally:
        _discard(case)


def _verify(case: CamtImportCase) -> None:
    first, second = case.first, case.second
    assert first is not None
    assert second is not None
    matched = case.by_ocr + case.by_amount
    got = (first.transaction_count, first.booked_count, first.matched_count, first.unmatched_count)
    if got != (case.n, case.n, matched, case.unknown):
        raise AssertionError(
            f"first import (transactions, booked, matched, unmatched) {got}, expected "
            f"{(case.n, case.n, matched, case.unknown)}"
        )
    by_match = dict(
        Payment.objects.filter(payment_import=first).values_list("match").annotate(count=Count("pk")).order_by()
    )
    expected = {MatchMethod.OCR: case.by_ocr, MatchMethod.AMOUNT_PAYER: case.by_amount, MatchMethod.NONE: case.unknown}
    if by_match != expected:
        raise AssertionError(f"payments by match {by_match}, expected {expected}")
    by_status = dict(
        Payment.objects.filter(payment_import=first).values_list("status").annotate(count=Count("pk")).order_by()
    )
    if by_status != {PaymentStatus.ALLOCATED: matched, PaymentStatus.UNMATCHED: case.unknown}:
        raise AssertionError(f"payments by status {by_status}")
    paid = Receivable.objects.filter(company=case.company, state=ReceivableState.PAID).count()
    if paid != matched:
        raise AssertionError(f"{paid} invoices paid, expected {matched}")
    got = (second.transaction_count, second.booked_count, second.skipped_count)
    if got != (case.n, 0, case.n):
        raise AssertionError(f"second import (transactions, booked, skipped, lines) {got}, expected all skipped")
    if Payment.objects.filter(company=case.company).count() != case.n:
        raise AssertionError("the second import booked payments")
