"""`sie_export_db`: the SIE 4I file of a year of one large company, read from the database as
`fakturera sie`, the staff download and `GET /api/v1/sie` make it (issue 16, "Performance").

Setup (not timed): a company with N/4 invoice vouchers of four transactions each (receivable
1510, sales 3001 and 3002, output VAT 2611; texts with Swedish letters) dated through the year,
written with COPY as bookkeeping writes them, then ANALYZE. Timed: `exports.sie_file` for the
year, every byte written to a temporary file (the figure: transactions per second);
`peak_rss_mb` is how far resident memory rose (flat: the rows are streamed), `file_mb` the
file's size. `sie_export_db_verify` (not timed) reads the file back with our reader, which checks
every voucher balances and the checksum, and counts vouchers and transactions.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection
from stdnum import luhn

from bench.sie_export import ROWS_PER_VOUCHER, YEAR, _reset_peak, _rss_kb, vouchers_of_a_year
from fakturera.bookkeeping.exports import Period, sie_file
from fakturera.bookkeeping.models import Voucher, VoucherLine
from fakturera.bookkeeping.sie import SieReader, SieType
from fakturera.bookkeeping.states import SourceKind
from fakturera.core.bulk import bulk_insert, bulk_insert_returning_ids
from fakturera.parties.models import Company
from fakturera.parties.services import company_create

ORG_BASE = "559900127"
BATCH = 50_000


@dataclass
class SieExportDbCase:
    company: Company
    n: int
    vouchers: int
    path: Path
    peak_rss_mb: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)


def sie_export_db_setup(*, n: int) -> SieExportDbCase:
    actor, _created = get_user_model().objects.get_or_create(username="bench-sie")
    org = ORG_BASE + luhn.calc_check_digit(ORG_BASE)
    company = company_create(
        actor=actor,
        name="Bänkföretaget Större AB",
        org_number=org,
        vat_number=f"SE{org}01",
        bankgiro="991-2346",
        address_line1="Mätvägen 3",
        postal_code="111 22",
        city="Stockholm",
    )
    count = max(1, n // ROWS_PER_VOUCHER)
    made = vouchers_of_a_year(count)
    year_start = dt.date(YEAR, 1, 1)
    written = 0
    while written < count:
        batch = [next(made) for _ in range(min(BATCH, count - written))]
        ids = bulk_insert_returning_ids(
            Voucher,
            ("company_id", "series", "fiscal_year_start", "number", "date", "text", "source_kind", "source_id"),
            [
                (company.pk, "A", year_start, v.number, v.date, v.text, SourceKind.INVOICE, written + offset + 1)
                for offset, v in enumerate(batch)
            ],
        )
        bulk_insert(
            VoucherLine,
            ("voucher_id", "position", "account", "amount", "text"),
            (
                (voucher_id, position, t.account, t.amount, "")
                for voucher_id, v in zip(ids, batch, strict=True)
                for position, t in enumerate(v.transactions, start=1)
            ),
        )
        written += len(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    handle, name = tempfile.mkstemp(prefix="bench-sie-db-", suffix=".si")
    os.close(handle)
    return SieExportDbCase(company=company, n=count * ROWS_PER_VOUCHER, vouchers=count, path=Path(name))


def sie_export_db_run(case: SieExportDbCase) -> float:
    period = Period(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    has_reset = _reset_peak()
    start_rss = _rss_kb("VmRSS")
    start_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    with case.path.open("wb") as out:
        for chunk in sie_file(
            company=case.company, period=period, sie_type=SieType.IMPORT, generated_on=dt.date(YEAR + 1, 1, 15)
        ):
            out.write(chunk)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    if has_reset and start_rss is not None:
        case.peak_rss_mb = ((_rss_kb("VmHWM") or 0) - start_rss) / 1024
    else:
        case.peak_rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_maxrss) / 1024
    case.extra = {
        "vouchers": str(case.vouchers),
        "cpu_s": f"{cpu_seconds:.3f}",
        "peak_rss_mb": f"{case.peak_rss_mb:.1f}",
        "file_mb": f"{case.path.stat().st_size / 1_048_576:.1f}",
        "load": f"{os.getloadavg()[0]:.1f}",
    }
    return seconds


def sie_export_db_verify(case: SieExportDbCase) -> None:
    """Read the file back: every voucher balances, the checksum holds, nothing is lost."""
    try:
        reader = SieReader(case.path)
        vouchers = transactions = 0
        for voucher in reader:
            vouchers += 1
            transactions += len(voucher.transactions)
        reader.result()
        if (vouchers, transactions) != (case.vouchers, case.n):
            raise AssertionError(f"read back {vouchers} vouchers, {transactions} transactions")
    finally:
        case.path.unlink(missing_ok=True)
