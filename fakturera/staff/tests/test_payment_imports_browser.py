"""The bank-file upload as staff use it in a browser: a file chosen and imported leads to its
record; a file that is not a bank file is refused above the input and nothing is imported."""

from __future__ import annotations

from decimal import Decimal

from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.payments.models import Payment, PaymentImport
from fakturera.payments.testing import Credit, camt054


def test_a_bank_file_is_uploaded_and_its_lines_shown(staff_page, tmp_path):
    page, company, user = staff_page
    invoice = issued_invoice(company, user, "1000")
    path = tmp_path / "camt054-dec.xml"
    path.write_bytes(
        camt054(
            [
                Credit(amount=invoice.total_amount, reference=invoice.payment_reference, payer="Anna Andersson"),
                Credit(amount=Decimal("42.00"), payer="Okänd Betalare"),
            ]
        )
    )

    page.goto("/")
    page.click("#nav-payments")
    page.click("#tab-bank-files")
    page.set_input_files("input[type=file]", str(path))
    page.click("#upload-form button[type=submit]")

    page.wait_for_selector("#import-payments")
    record = PaymentImport.objects.get(company=company)
    assert page.url.endswith(f"/payments/imports/{record.pk}/")
    assert "Booked: 2, not matched: 1, already booked: 0." in page.inner_text(".messages")
    rows = page.locator("#import-payments tbody tr")
    assert rows.count() == 2
    assert "Anna Andersson" in rows.nth(0).inner_text()
    assert "Unmatched" in rows.nth(1).inner_text()
    assert record.sha256 in page.inner_text("#import-summary")
    # the list shows it with its counts
    page.click("text=All bank files")
    assert "camt054-dec.xml" in page.inner_text("#imports")


def test_a_file_that_is_no_bank_file_is_refused_above_the_input(staff_page, tmp_path):
    page, company, _user = staff_page
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: milk, bread\n")

    page.goto("/payments/imports/")
    page.set_input_files("input[type=file]", str(path))
    page.click("#upload-form button[type=submit]")

    refusal = page.locator("#upload-refusal")
    refusal.wait_for()
    assert "This is not a bank file Fakturera reads" in refusal.inner_text()
    box = refusal.bounding_box()
    field = page.locator("input[type=file]").bounding_box()
    assert box is not None
    assert field is not None
    assert box["y"] < field["y"]
    assert PaymentImport.objects.filter(company=company).count() == 0
    assert Payment.objects.filter(company=company).count() == 0
