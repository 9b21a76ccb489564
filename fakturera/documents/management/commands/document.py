"""`fakturera document`: the stored documents of issued invoices, for scripts and checks.

fakturera document --format pdf --company 556732-1707 1042 > faktura-1042.pdf
fakturera document --format ubl --all --out documents/
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_bytes, document_get, documents_render
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company

ISSUED = (InvoiceStatus.ISSUED, InvoiceStatus.CREDITED)
SUFFIX = {DocumentFormat.PDF: "pdf", DocumentFormat.UBL: "xml"}


class Command(BaseCommand):
    help = "Write the stored PDF or UBL of an issued invoice or credit note (or of all of them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=DocumentFormat.values)
        parser.add_argument("--company", help="the issuing company's organisation number")
        parser.add_argument("--template", help="PDF layout (standard, window); default: the company's")
        parser.add_argument("--all", action="store_true", help="every issued document of every company")
        parser.add_argument("--out", help="with --all: the folder to write to")
        parser.add_argument("number", nargs="?", help="the invoice or credit note number")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        if options["all"]:
            if not options["out"] or options["number"] or options["company"]:
                raise CommandError("--all takes --out DIR and neither --company nor a number")
            self._write_all(fmt, Path(options["out"]), options["template"])
            return
        if not options["company"] or not options["number"]:
            raise CommandError("give --company ORG_NUMBER and an invoice NUMBER, or --all --out DIR")
        invoice = self._find(options["company"], options["number"])
        document = document_get(invoice=invoice, fmt=fmt, template=options["template"])
        sys.stdout.buffer.write(document_bytes(document))
        sys.stdout.buffer.flush()

    def _find(self, org_number: str, number: str) -> Invoice:
        digits = "".join(ch for ch in org_number if ch.isdigit())
        companies = [c for c in Company.objects.all() if "".join(ch for ch in c.org_number if ch.isdigit()) == digits]
        if not companies:
            raise CommandError(f"No company has organisation number {org_number}.")
        wanted = number.strip()
        # A number may carry its series' prefix ("F1042"): match on the trailing digits, then on the whole.
        trailing = re.search(r"(\d+)$", wanted)
        candidates = Invoice.objects.filter(
            company__in=companies, status__in=ISSUED, number=int(trailing.group(1)) if trailing else -1
        )
        invoice = next((i for i in candidates if i.display_number == wanted), None)
        if invoice is None:
            raise CommandError(f"{companies[0].name} has no issued invoice or credit note {number}.")
        return invoice

    def _write_all(self, fmt: str, out: Path, template: str | None) -> None:
        out.mkdir(parents=True, exist_ok=True)
        ids = list(Invoice.objects.filter(status__in=ISSUED).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 500):
            documents_render(invoice_ids=ids[start : start + 500], template=template)
        written = 0
        documents = InvoiceDocument.objects.filter(format=fmt).select_related("invoice__company").order_by("pk")
        for document in documents.iterator(chunk_size=200):
            invoice = document.invoice
            if fmt == DocumentFormat.PDF and document.template != (template or invoice.company.pdf_template):
                continue
            org = "".join(ch for ch in invoice.company.org_number if ch.isdigit())
            kind = "kreditfaktura" if invoice.is_credit_note else "faktura"
            (out / f"{org}-{kind}-{invoice.display_number}.{SUFFIX[fmt]}").write_bytes(document_bytes(document))
            written += 1
        self.stderr.write(f"{written} documents written to {out}")
