"""`sie_export`: a year of one large company written as SIE 4I, streamed (issue 16, "Performance").

N is the number of #TRANS rows (default 1,000,000), in N/4 vouchers: each an invoice of the
year (receivable 1510, sales 3001 and 3002, output VAT 2611), with a text holding Swedish
letters, dated through the year, numbered in series A. The vouchers are made in memory by a
generator as the writer asks for them (the format alone: no database), so memory holds one
batch; the file goes to a temporary file on disk.

Timed: `write_sie` of all of it, with #KSUMMA (the figure: rows per second). `generate_s` is
the time the generator alone takes to make the vouchers, included in the figure; `peak_rss_mb`
how far resident memory rose during the write (Linux's high-water mark, reset before), which
stays flat whatever N is; `file_mb` the file's size. `sie_export_verify` (not timed) reads the
file back with our reader, which checks every voucher balances and the checksum, and counts
(`read_s`).

    uv run python -m bench.sie_export [--n N]     # alone, without the database bench.run sets up
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fakturera.bookkeeping.sie import (
    Account,
    FiscalYear,
    Header,
    SieReader,
    SieType,
    Transaction,
    Voucher,
    write_sie,
)

ROWS_PER_VOUCHER = 4
YEAR = 2026
_CUSTOMERS = ("Åkerlund & Söner AB", "Öbergs Bygg", "Café Ärlig", 'Firma "Nya" Ekström', "Renée Åström")


@dataclass
class SieExportCase:
    n: int
    vouchers: int
    path: Path
    header: Header
    accounts: tuple[Account, ...]
    generate_seconds: float = 0.0
    write_seconds: float = 0.0
    read_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    checksum: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _amounts(count: int) -> list[tuple[Decimal, Decimal, Decimal, Decimal]]:
    """(receivable, goods, services, VAT) of `count` invoices, as stored: two decimals, rounded."""
    cents = Decimal(1).scaleb(-2)
    amounts = []
    for index in range(count):
        goods = Decimal(10_000 + (index * 7919) % 990_000) * cents
        services = Decimal(5_000 + (index * 104_729) % 490_000) * cents
        vat = ((goods + services) * Decimal("0.25")).quantize(cents)
        amounts.append((goods + services + vat, -goods, -services, -vat))
    return amounts


def vouchers_of_a_year(count: int) -> Iterator[Voucher]:
    """`count` balanced invoice vouchers, made one at a time (the amounts from a pool of 1,009
    invoices: a database would hand over Decimals as they are stored)."""
    days = [dt.date(YEAR, 1, 1) + dt.timedelta(days=d) for d in range(365)]
    pool = _amounts(1_009)
    customers = len(_CUSTOMERS)
    for index in range(count):
        day = days[index * 365 // count]
        receivable, goods, services, vat = pool[index % 1_009]
        yield Voucher(
            series="A",
            number=index + 1,
            date=day,
            text=f"Faktura {10_001 + index} {_CUSTOMERS[index % customers]}",
            registered_on=day,
            transactions=(
                Transaction("1510", receivable),
                Transaction("3001", goods),
                Transaction("3002", services),
                Transaction("2611", vat),
            ),
        )


def sie_export_setup(n: int) -> SieExportCase:
    vouchers = max(1, n // ROWS_PER_VOUCHER)
    handle, name = tempfile.mkstemp(prefix="bench-sie-", suffix=".si")
    os.close(handle)
    return SieExportCase(
        n=vouchers * ROWS_PER_VOUCHER,
        vouchers=vouchers,
        path=Path(name),
        header=Header(
            company_name="Bänkföretaget Större AB",
            org_number="5599001234",
            generated_on=dt.date(YEAR + 1, 1, 15),
            generated_by="bench",
            fiscal_years=(FiscalYear(0, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)),),
            sie_type=SieType.IMPORT,
        ),
        accounts=(
            Account("1510", "Kundfordringar"),
            Account("2611", "Utgående moms på försäljning inom Sverige, 25 %"),
            Account("3001", "Försäljning inom Sverige, 25 % moms"),
            Account("3002", "Försäljning tjänster inom Sverige, 25 % moms"),
        ),
    )


def _rss_kb(name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset Linux's resident-memory high-water mark (clear_refs 5); False elsewhere."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def sie_export_run(case: SieExportCase) -> float:
    started = time.perf_counter()
    for _ in vouchers_of_a_year(case.vouchers):
        pass
    case.generate_seconds = time.perf_counter() - started

    has_reset = _reset_peak()
    start_rss = _rss_kb("VmRSS")
    start_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    with case.path.open("wb") as out:
        stats = write_sie(out, header=case.header, accounts=case.accounts, vouchers=vouchers_of_a_year(case.vouchers))
    case.write_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    if has_reset and start_rss is not None:
        case.peak_rss_mb = ((_rss_kb("VmHWM") or 0) - start_rss) / 1024
    else:
        case.peak_rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_maxrss) / 1024
    case.checksum = stats.checksum
    assert (stats.vouchers, stats.transactions) == (case.vouchers, case.n), stats
    case.extra = {
        "vouchers": str(case.vouchers),
        "cpu_s": f"{cpu_seconds:.3f}",
        "generate_s": f"{case.generate_seconds:.3f}",
        "peak_rss_mb": f"{case.peak_rss_mb:.1f}",
        "file_mb": f"{case.path.stat().st_size / 1_048_576:.1f}",
        "load": f"{os.getloadavg()[0]:.1f}",
    }
    return case.write_seconds


def sie_export_verify(case: SieExportCase) -> None:
    """Read the file back: every voucher balances, the checksum holds, nothing is lost."""
    started = time.perf_counter()
    reader = SieReader(case.path)
    vouchers = transactions = 0
    for voucher in reader:
        vouchers += 1
        transactions += len(voucher.transactions)
    case.read_seconds = time.perf_counter() - started
    result = reader.result()
    assert (vouchers, transactions) == (case.vouchers, case.n), (vouchers, transactions)
    assert result.checksum == case.checksum is not None
    case.extra["read_s"] = f"{case.read_seconds:.3f}"
    case.path.unlink()


def main() -> None:
    from bench.run import result_line

    parser = argparse.ArgumentParser(prog="python -m bench.sie_export", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--no-verify", action="store_true", help="do not read the file back")
    args = parser.parse_args()
    case = sie_export_setup(args.n)
    seconds = sie_export_run(case)
    if args.no_verify:
        case.path.unlink()
    else:
        sie_export_verify(case)
    print(result_line("sie_export", case.n, seconds, **case.extra), flush=True)


if __name__ == "__main__":
    main()
