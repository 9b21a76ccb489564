"""The accountant downloads the year's SIE file and journal from the Vouchers page (issue 16),
in a real browser: the file read back with our SIE reader holds the vouchers booked; a period
that ends before it starts is refused on the page with its reason."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fakturera.bookkeeping.models import Voucher
from fakturera.bookkeeping.sie import SieType, read_sie
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import PersonFactory


def test_the_sie_file_and_the_journal_download_from_the_vouchers_page(staff_page):
    page, company, user = staff_page
    issued_invoice(company, user, "1000", customer=PersonFactory(company=company, name="Åsa Öberg"))
    issued_invoice(company, user, "500", vat_rate="12")

    page.goto("/vouchers/")
    page.fill("#id_export-date_from", "2026-01-01")
    page.fill("#id_export-date_to", "2026-12-31")
    page.select_option("#id_export-what", "sie_4e")
    with page.expect_download() as download:
        page.click("#voucher-download")
    content = Path(download.value.path()).read_bytes()

    digits = "".join(ch for ch in company.org_number if ch.isdigit())
    assert download.value.suggested_filename == f"{digits}_20260101-20261231.se"
    sie = read_sie(content)
    assert sie.header.sie_type == SieType.EXPORT
    assert [(v.series, v.number, v.text) for v in sie.vouchers] == list(
        Voucher.objects.filter(company=company).order_by("number").values_list("series", "number", "text")
    )
    assert "Åsa Öberg" in sie.vouchers[0].text

    page.goto("/vouchers/")
    page.fill("#id_export-date_from", "2026-11-01")
    page.fill("#id_export-date_to", "2026-11-30")
    page.select_option("#id_export-what", "journal_csv")
    with page.expect_download() as journal:
        page.click("#voucher-download")
    rows = list(csv.DictReader(io.StringIO(Path(journal.value.path()).read_text(encoding="utf-8"))))
    assert [(row["series"], row["account"]) for row in rows[:3]] == [("B", "1510"), ("B", "3001"), ("B", "2611")]


def test_a_period_ending_before_it_starts_is_refused_on_the_page(staff_page):
    page, _company, _user = staff_page

    page.goto("/vouchers/")
    page.fill("#id_export-date_from", "2026-06-01")
    page.fill("#id_export-date_to", "2026-05-31")
    page.click("#voucher-download")

    assert "The period ends before it starts" in page.locator("#voucher-export").inner_text()
