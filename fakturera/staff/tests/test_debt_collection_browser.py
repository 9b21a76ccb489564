"""Debt collection as a person works it in Chromium: from the Reminders page to Debt
collection, an invoice whose last reminder's deadline has passed is ticked and handed over, the
claims are exported for the collection agency (CSV downloaded and read), exported again as XLSX,
and another hand-over is undone with a reason."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fakturera.collections.models import CollectionClaim
from fakturera.collections.tests.factories import collection_policy, reference_rates, reminded_to_the_last_level
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import PersonFactory

pytestmark = pytest.mark.browser


def test_hand_over_export_and_undo_on_the_debt_collection_page(staff_page):
    page, company, user = staff_page
    reference_rates()
    collection_policy(company, user)
    debtor = PersonFactory(company=company, name="Eva Svensson", personnummer="19800101-0008")
    exported = overdue_invoice(company, user, "400.00", days_overdue=40, customer=debtor)
    kept = overdue_invoice(company, user, "300.00", days_overdue=40)
    # Due 40 days ago: level 1 went 33 days ago and level 2 19 days ago, each sent.
    reminded_to_the_last_level(company, user, days_ago=(33, 19))

    page.goto("/reminders/")
    page.locator("#link-debt-collection").click()
    page.wait_for_url("**/reminders/debt-collection/")
    ready = page.locator("#collection-ready")
    assert ready.locator(f"tr[data-invoice='{exported.pk}']").count() == 1
    assert ready.locator(f"tr[data-invoice='{kept.pk}']").count() == 1
    page.check(f"#hand-over-selection input[value='{exported.pk}']")
    page.check(f"#hand-over-selection input[value='{kept.pk}']")
    page.locator("#hand-over-selected").click()
    page.wait_for_url("**/reminders/debt-collection/")
    assert "2 invoices handed over" in page.locator("body").inner_text()
    claims = {c.invoice_id: c for c in CollectionClaim.objects.all()}
    assert set(claims) == {exported.pk, kept.pk}
    assert page.locator("#none-ready").count() == 1

    # The one that stays with the company: undone, with the reason.
    undo = page.locator(f"form[data-undo='{claims[kept.pk].pk}']")
    undo.locator("input[name=reason]").fill("Payment plan agreed by phone")
    undo.get_by_role("button", name="Undo hand-over").click()
    page.wait_for_url("**/reminders/debt-collection/")
    assert "Payment plan agreed by phone" in page.locator("#collection-undone").inner_text()

    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, rows = text.split("\n", 1)
    assert header.startswith("Creditor organisation number;Creditor;")
    [row] = list(csv.DictReader(io.StringIO(rows), delimiter=";"))
    assert (row["debtor_name"], row["debtor_identity_number"]) == ("Eva Svensson", "19800101-0008")
    assert (row["invoice_number"], row["ocr_reference"]) == (exported.display_number, exported.payment_reference)
    assert row["remaining_principal"] == "500.00"
    claims[exported.pk].refresh_from_db()
    assert claims[exported.pk].state == "exported"

    page.goto("/reminders/debt-collection/")
    assert page.locator("#none-handed-over").count() == 1
    page.check(f"#export-again input[value='{claims[exported.pk].pk}']")
    with page.expect_download() as again:
        page.locator("#export-again").get_by_role("button", name="Export selected again (XLSX)").click()
    assert again.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(again.value.path()).read_bytes()), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 3
    assert dict(zip(values[1], values[2], strict=True))["invoice_number"] == exported.display_number
