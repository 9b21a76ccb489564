"""The benchmark runner: `uv run python -m bench.run [--only NAME] [--n N]`.

It measures on PostgreSQL, in a database it drops and creates afresh (default
postgres://postgres@127.0.0.1:5432/fakturera_bench, or BENCH_DATABASE_URL), and
prints one line per measurement:

    bench <name> n=<N> seconds=<s> per_sec=<x>

`make bench` starts PostgreSQL first when nothing listens on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fakturera_bench"


def _measure_issue(n: int) -> tuple[int, float]:
    from bench.issue import issue_run, issue_setup, issue_verify

    case = issue_setup(n=n)
    seconds = issue_run(case)
    issue_verify(case)
    return case.n, seconds


def _measure_api_create_issue(n: int, *, two_calls: bool = False) -> tuple[int, float, dict[str, str]]:
    from bench.api import api_run, api_setup, api_stop, api_verify

    case = api_setup(n=n, two_calls=two_calls)
    try:
        seconds = api_run(case)
    finally:
        api_stop(case)
    api_verify(case)
    return case.n, seconds, {"p99_ms": f"{case.p99_ms:.1f}", "cpu_ms_per_invoice": f"{case.cpu_ms_per_invoice:.2f}"}


def _measure_ubl(n: int) -> tuple[int, float]:
    from bench.ubl import ubl_run, ubl_setup, ubl_verify

    case = ubl_setup(n=n)
    seconds = ubl_run(case)
    ubl_verify(case)
    return case.n, seconds


def _measure_pdf(n: int) -> tuple[int, float]:
    from bench.pdf import pdf_run, pdf_setup, pdf_verify

    case = pdf_setup(n=n)
    seconds = pdf_run(case)
    pdf_verify(case)
    return len(case.documents), seconds


def _measure_recurring(n: int) -> tuple[int, float]:
    from bench.recurring import recurring_run, recurring_setup, recurring_verify

    case = recurring_setup(n=n)
    seconds = recurring_run(case)
    recurring_verify(case)
    return case.n, seconds


def _measure_register_form(n: int) -> tuple[int, float, dict[str, str]]:
    from bench.register_form import (
        register_form_run,
        register_form_setup,
        register_form_stop,
        register_form_verify,
    )

    case = register_form_setup(n=n)
    try:
        seconds = register_form_run(case)
    finally:
        register_form_stop(case)
    register_form_verify(case)
    return case.n, seconds, {"p99_ms": f"{case.p99_ms:.1f}", "errors": str(len(case.errors))}


def _measure_send_email(n: int) -> tuple[int, float]:
    from bench.send_email import send_email_run, send_email_setup, send_email_verify

    case = send_email_setup(n=n)
    seconds = send_email_run(case)
    send_email_verify(case)
    return case.n, seconds


def _measure_basis_page(n: int) -> tuple[int, float, dict[str, str]]:
    from bench.basis_page import basis_page_run, basis_page_setup, basis_page_verify

    case = basis_page_setup(n=n)
    median = basis_page_run(case)
    basis_page_verify(case)
    return (
        case.n,
        median,
        {
            "median_ms": f"{median * 1000:.1f}",
            "max_ms": f"{max(case.seconds) * 1000:.1f}",
            "queries": str(case.queries[0]),
        },
    )


def _measure_camt_import(n: int) -> tuple[int, float, dict[str, str]]:
    from bench.camt_import import camt_import_run, camt_import_setup, camt_import_verify

    case = camt_import_setup(n=n)
    seconds = camt_import_run(case)
    camt_import_verify(case)
    return case.n, seconds, case.extra


def _measure_sie_export(n: int) -> tuple[int, float, dict[str, str]]:
    from bench.sie_export import sie_export_run, sie_export_setup, sie_export_verify

    case = sie_export_setup(n=n)
    seconds = sie_export_run(case)
    sie_export_verify(case)
    return case.n, seconds, case.extra


def _measure_sie_export_db(n: int) -> tuple[int, float, dict[str, str]]:
    from bench.sie_export_db import sie_export_db_run, sie_export_db_setup, sie_export_db_verify

    case = sie_export_db_setup(n=n)
    seconds = sie_export_db_run(case)
    sie_export_db_verify(case)
    return case.n, seconds, case.extra


def _measure_reminders(n: int) -> tuple[int, float, dict[str, str]]:
    from bench.reminders import reminders_run_case, reminders_setup, reminders_verify

    case = reminders_setup(n=n)
    seconds = reminders_run_case(case)
    reminders_verify(case)
    return case.n, seconds, case.extra


def _measure_month_end(n: int, workers: tuple[int, ...] | None = None) -> Iterator[tuple[int, float, dict[str, str]]]:
    from bench.month_end import DEFAULT_WORKERS, month_end_measure

    return ((n, seconds, extra) for _count, seconds, extra in month_end_measure(n, workers or DEFAULT_WORKERS))


# name -> (default N, measurement returning (N, seconds) or (N, seconds, {extra figure: value}))
MEASUREMENTS: dict[str, tuple[int, Callable[[int], tuple[Any, ...]]]] = {
    "issue": (10_000, _measure_issue),
    "ubl": (10_000, _measure_ubl),
    "pdf": (1_000, _measure_pdf),
    "api_create_issue": (3_000, _measure_api_create_issue),
    "api_create_then_issue": (3_000, lambda n: _measure_api_create_issue(n, two_calls=True)),
    "recurring": (100_000, _measure_recurring),
    "register_form": (5_000, _measure_register_form),
    "send_email": (10_000, _measure_send_email),
    # The basis tab: N customers' basis, a page of them (seconds: the median request).
    "basis_page": (1_000, _measure_basis_page),
    # One camt.054 file of N credits against N open invoices (seconds: the first import;
    # second_s: the same file again, every line already booked; peak_rss_mb: memory it took).
    "camt_import": (50_000, _measure_camt_import),
    # A year of one large company as SIE 4I: N #TRANS rows in N/4 vouchers, streamed from an
    # iterator to a file (the format alone, no database; seconds: the write; peak_rss_mb: flat).
    "sie_export": (1_000_000, _measure_sie_export),
    "sie_export_db": (1_000_000, _measure_sie_export_db),
    # One day's reminder run over N overdue invoices of N/5 customers (seconds: the first run;
    # second_s: the same run again, which queues nothing).
    "reminders": (100_000, _measure_reminders),
    # A whole month-end by the product's own processes (scheduler, task and delivery workers):
    # N recurring invoices generated, issued, rendered and e-mailed to a loopback SMTP sink, once
    # with each of --workers (default 1, 2, 4) task and delivery workers; one line per run
    # (seconds: the trigger to the last message accepted; each stage's window and share; CPU).
    # 20,000 by default, so the three runs take minutes; --n 100000 --workers 4 is the goal's size.
    "month_end": (20_000, _measure_month_end),
}
# Measurements that run once per worker count (--workers) and return one result per run.
PER_WORKERS = {"month_end"}


def result_line(name: str, n: int, seconds: float, **extra: str) -> str:
    """The agreed line; extra figures (p99_ms=...) follow at its end."""
    line = f"bench {name} n={n} seconds={seconds:.3f} per_sec={n / seconds:.1f}"
    return " ".join([line, *(f"{key}={value}" for key, value in extra.items())])


def _recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("The benchmark database URL names no database.")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(MEASUREMENTS), help="run one measurement")
    parser.add_argument("--n", type=int, help="override the measurement's size")
    parser.add_argument(
        "--workers",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        help="month_end: the numbers of task and delivery workers to run with, e.g. 1,2,4 (the default)",
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmarks run on PostgreSQL: give a postgres:// URL")

    _recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fakturera.settings")
    # The measurements' SMTP server and receivers listen on loopback, which outbound
    # connections refuse by default (core/net.py); the workers started here inherit this.
    os.environ.setdefault("FAKTURERA_OUTBOUND_ALLOW_PRIVATE", "1")
    # Measured as in production (DEBUG off, so no query log), but over plain HTTP on loopback:
    # a key of its own for the run and no redirect to HTTPS. The servers it starts inherit these.
    os.environ.setdefault("FAKTURERA_DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("FAKTURERA_SSL_REDIRECT", "0")
    os.environ.setdefault("FAKTURERA_SITE_URL", "http://127.0.0.1")  # required without DEBUG; no mail leaves
    # Secrets at rest need their keys when DEBUG is off: one of the run's own.
    from fakturera.core.secrets import new_key

    os.environ.setdefault("FAKTURERA_SECRET_KEYS", new_key())
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    names = [args.only] if args.only else list(MEASUREMENTS)
    for name in names:
        default_n, measure = MEASUREMENTS[name]
        if name in PER_WORKERS:
            for n, seconds, extra in measure(args.n or default_n, args.workers):
                print(result_line(name, n, seconds, **extra), flush=True)
            continue
        n, seconds, *extra = measure(args.n or default_n)
        print(result_line(name, n, seconds, **(extra[0] if extra else {})), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
