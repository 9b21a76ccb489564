"""`fakturera journal --company ORG_NUMBER --from 2026-01-01 --to 2026-12-31 [--format csv|xlsx]
[--series B|C] > journal.csv`: one row per transaction of the period's vouchers (series, number,
date, text, account, account name, debit, credit, currency, source document), for programs without
SIE import; the same bytes as the staff download and `GET /api/v1/journal`. Refusals on stderr,
exit status 2, nothing on stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from fakturera.bookkeeping.exports import export_check, journal_file
from fakturera.bookkeeping.management.commands._export import (
    add_period_arguments,
    company_by_org_number,
    parse_day,
    refusal,
    write_out,
)
from fakturera.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Write the company's journal of a period (one row per transaction) as CSV or XLSX to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser)
        parser.add_argument("--format", dest="fmt", default="csv", help="csv (the default) or xlsx")
        parser.add_argument("--series", default="", help="only this voucher series (B invoices, C payments)")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("en")
        company = company_by_org_number(options["company"])
        try:
            period = export_check(
                company=company,
                date_from=parse_day(options["date_from"], "--from"),
                date_to=parse_day(options["date_to"], "--to"),
            )
            chunks = journal_file(
                company=company, period=period, fmt=options["fmt"].strip().lower(), series=options["series"].strip()
            )
        except ValidationFailed as exc:
            raise refusal(exc) from None
        write_out(chunks, options)
