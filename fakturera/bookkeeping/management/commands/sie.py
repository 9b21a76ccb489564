"""`fakturera sie --company ORG_NUMBER --from 2026-01-01 --to 2026-12-31 [--type 4I|4E] > file.se`:
the company's vouchers of the period as an SIE 4 file (code page 437 bytes) on stdout, the same
bytes as the staff download and `GET /api/v1/sie` (bookkeeping.exports). 4I (the default) holds
the vouchers for import into an accounting program; 4E also the year's balances (#IB, #UB, #RES).
A refusal (unknown company, a date that is none, a period inverted or over two fiscal years, an
unknown type) is said on stderr with exit status 2, and nothing is written to stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone, translation

from fakturera.bookkeeping.exports import SIE_TYPES, export_check, sie_file
from fakturera.bookkeeping.management.commands._export import (
    add_period_arguments,
    company_by_org_number,
    parse_day,
    refusal,
    refuse,
    write_out,
)
from fakturera.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Write the company's vouchers of a period as an SIE 4 file (4I or 4E) to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser)
        parser.add_argument("--type", dest="sie_type", default="4I", help="4I (vouchers, the default) or 4E")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("en")
        sie_type = options["sie_type"].strip().upper()
        if sie_type not in SIE_TYPES:
            raise refuse(f"--type {options['sie_type']!r}: the SIE type is 4I or 4E.")
        company = company_by_org_number(options["company"])
        try:
            period = export_check(
                company=company,
                date_from=parse_day(options["date_from"], "--from"),
                date_to=parse_day(options["date_to"], "--to"),
                sie_type=sie_type,
            )
        except ValidationFailed as exc:
            raise refusal(exc) from None
        write_out(
            sie_file(company=company, period=period, sie_type=sie_type, generated_on=timezone.localdate()), options
        )
