"""Payments as a person handles them in Chromium: a payment registered on the invoice page and
undone; the unmatched queue of a bank file, one payment allocated to its suggested invoice in
one click and one allocated by hand with the invoice picker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.payments.importing import payments_import
from fakturera.payments.models import Payment, Receivable
from fakturera.payments.states import PaymentStatus, ReceivableState
from fakturera.payments.testing import Credit, camt054

pytestmark = pytest.mark.browser


def _state(invoice) -> str:
    return Receivable.objects.get(pk=invoice.pk).state


def test_register_a_payment_on_an_invoice_see_it_paid_then_undo_it(staff_page):
    page, company, user = staff_page
    invoice = issued_invoice(company, user, "1000")
    page.goto(f"/invoices/{invoice.pk}/")
    assert page.locator("#payment-state").inner_text() == "Unpaid"
    assert page.input_value("#register-payment input[name=amount]") == "1250.00"

    page.get_by_role("button", name="Register payment (SEK)").click()

    page.locator("#payment-state").filter(has_text="Paid").wait_for()
    assert _state(invoice) == ReceivableState.PAID
    assert "1,250.00" in page.locator("#payment-paid").inner_text()

    # Undo asks for a reason and a confirmation.
    page.on("dialog", lambda dialog: dialog.accept())
    page.fill("#invoice-allocations input[name=reason]", "Registered on the wrong invoice")
    page.locator("#invoice-allocations").get_by_role("button", name="Undo").click()

    page.locator("#payment-state").filter(has_text="Unpaid").wait_for()
    assert _state(invoice) == ReceivableState.UNPAID
    payment = Payment.objects.get(company=company)
    assert payment.status == PaymentStatus.REVERSED
    assert payment.reversal_reason == "Registered on the wrong invoice"


def test_the_unmatched_queue_one_click_and_by_hand_with_the_picker(staff_page):
    page, company, user = staff_page
    company.bankgiro = "991-2346"
    company.save(update_fields=["bankgiro"])
    suggested = issued_invoice(company, user, "1000", customer=PersonFactory(company=company, name="Anna Ek"))
    other = issued_invoice(company, user, "400", customer=PersonFactory(company=company, name="Bertil Lund"))
    payments_import(
        source=camt054(
            [
                Credit(Decimal("1250.00"), payer="Someone Else", message="thanks", bank_reference="A-1"),
                Credit(Decimal("700.00"), payer="Unknown Payer", message="for the treatment", bank_reference="A-2"),
            ]
        ),
        filename="bank.xml",
        company=company,
    )
    assert Payment.objects.filter(company=company, status=PaymentStatus.UNMATCHED).count() == 2

    page.goto("/payments/")
    assert page.locator("#nav-unmatched").inner_text() == "2"
    page.locator("#tab-unmatched").click()
    page.wait_for_url("**/payments/unmatched/")
    row = page.locator(".queue-row").filter(has_text="Someone Else")
    assert f"Pays invoice {suggested.display_number}" in row.inner_text()

    # one click on the suggestion
    row.locator(".allocate-suggestion").click()
    page.locator(".message.success").wait_for()
    assert _state(suggested) == ReceivableState.PAID
    assert page.locator("#nav-unmatched").inner_text() == "1"

    # the other payment by hand: the picker finds the invoice by its customer's name
    page.locator(".queue-row").filter(has_text="Unknown Payer").get_by_role("link", name="Allocate by hand").click()
    page.locator("#allocate-form").wait_for()
    picker = page.locator("input[name=rows-0-invoice_text]")
    picker.press_sequentially("Bertil", delay=20)
    page.locator("#allocate-form").get_by_role("option", name=f"{other.display_number} · Bertil Lund").wait_for()
    picker.press("ArrowDown")
    picker.press("Enter")
    page.fill("input[name=rows-0-amount]", "600.00")
    page.get_by_role("button", name="Allocate", exact=True).click()

    # too much for the invoice: refused at the row, nothing written
    page.locator("#allocate-form .error").wait_for()
    assert _state(other) == ReceivableState.UNPAID
    page.fill("input[name=rows-0-amount]", "500.00")
    page.get_by_role("button", name="Allocate", exact=True).click()

    page.locator(".message.success").wait_for()
    assert _state(other) == ReceivableState.PAID
    assert "Allocated by hand." in page.locator("#payment-match").inner_text()
    assert Payment.objects.filter(company=company, status=PaymentStatus.UNMATCHED).count() == 0
