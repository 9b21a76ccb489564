# ruff: noqa: N999 - the command is named as the issue asks: `fakturera import-payments`
"""`fakturera import-payments FILE [--company ORG_NUMBER]`: import a bank file (camt.054,
camt.053, BgMax) or an Autogiro payment report, the same import as the staff upload page and
`POST /api/v1/payment-files`. The format is read from the content; the file's account says
which company it is for, and `--company` makes sure it is that one. A refused file writes
nothing; the command says why, naming the line or element, and exits with status 1."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Value
from django.db.models.functions import Replace
from django.utils import translation

from fakturera.core.errors import DomainError
from fakturera.parties.models import Company
from fakturera.payments.files import FileRefused
from fakturera.payments.importing import payments_import, refusal_message


class Command(BaseCommand):
    help = "Import a bank file of incoming payments (camt.054, camt.053, BgMax) or an Autogiro report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the file from the bank")
        parser.add_argument("--company", help="the organisation number of the company the file is for")

    def handle(self, *args, file: Path, company: str | None = None, **options) -> None:
        translation.activate("en")
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        named = None
        if company:
            digits = company.replace("-", "").replace(" ", "")
            # Stored as written ("556677-8899"); compared by its digits, in the database.
            bare = Replace(Replace("org_number", Value("-"), Value("")), Value(" "), Value(""))
            named = Company.objects.annotate(bare=bare).filter(bare=digits).order_by("pk").first()
            if not digits or named is None:
                raise CommandError(f"No company has the organisation number {company}.")
        try:
            record = payments_import(source=file, filename=file.name, company=named)
        except FileRefused as refused:
            raise CommandError(f"{file.name}: refused, nothing imported. {refusal_message(refused)}") from None
        except DomainError as refused:
            raise CommandError(f"{file.name}: refused, nothing imported. {refused.message}") from None
        self.stdout.write(
            f"{file.name}: {record.format} {record.version} for {record.company.name} ({record.account}): "
            f"{record.transaction_count} transactions, {record.booked_count} booked "
            f"({record.matched_count} matched, {record.unmatched_count} unmatched), "
            f"{record.skipped_count} already booked, {record.ignored_count} not incoming payments. Import {record.pk}."
        )
        if record.same_file_as_id is not None:
            self.stdout.write(
                f"The same file was imported before (import {record.same_file_as_id}): nothing was booked again."
            )
        if record.format.startswith("autogiro"):
            moved = [row for row in record.skipped if row["reason"] in ("rejected", "stopped")]
            self.stdout.write(
                f"Autogiro: {record.matched_count} collections paid their payment orders' invoices, "
                f"{len(moved)} payment orders rejected or stopped (the invoices stay unpaid)."
            )
