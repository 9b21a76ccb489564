"""Payment pages: registering on the invoice page and undoing, the payments list and the unmatched
queue, a payment's page (allocate by hand, give to a customer), the customer card's credit balance,
the payment settings and the invoice list's payment filter; refusals and other companies' ids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fakturera.invoicing.tests.factories import issued_invoice, overdue_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.payments.importing import payments_import
from fakturera.payments.models import Allocation, Payment, PaymentSettings, Receivable
from fakturera.payments.services import payment_register, payment_settings_save
from fakturera.payments.states import PaymentStatus, ReceivableState
from fakturera.payments.testing import Credit, camt054
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 11, 25)


def _register_data(**changes: str) -> dict:
    return {
        "amount": "1250.00",
        "booked_on": "2026-11-25",
        "method": "transfer",
        "reference": "",
        "message": "",
    } | changes


def _rows(*pairs: tuple[int | str, str]) -> dict:
    data = {"rows-TOTAL_FORMS": str(len(pairs)), "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "0"}
    data["rows-MAX_NUM_FORMS"] = "1000"
    for n, (invoice, amount) in enumerate(pairs):
        data[f"rows-{n}-invoice"] = str(invoice)
        data[f"rows-{n}-amount"] = amount
    return data


def _unmatched(company, user, amount: str = "1250.00", **options) -> Payment:
    return payment_register(
        company=company, actor=user, amount=amount, currency="SEK", booked_on=PAID_ON, payer_name="Anna", **options
    )


def _state(invoice) -> str:
    return Receivable.objects.get(pk=invoice.pk).state


# --- the invoice page --------------------------------------------------------------------------------


def test_the_invoice_page_shows_the_payment_state_and_the_form_prefilled(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    client, _user = staff_client(company)

    response = client.get(reverse("staff:invoice_detail", args=[invoice.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="payment-state"' in html
    assert "Unpaid" in html
    form = response.context["register_form"]
    assert form["amount"].value() == "1250.00"
    assert form["booked_on"].value() == timezone.localdate()
    assert form["method"].value() == "transfer"


def test_registering_a_payment_pays_the_invoice_and_undo_opens_it_again(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    client, _user = staff_client(company)

    response = client.post(reverse("staff:invoice_payment_register", args=[invoice.pk]), _register_data())

    assert response.status_code == 302
    assert _state(invoice) == ReceivableState.PAID
    payment = Payment.objects.get(company=company)
    page = client.get(reverse("staff:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Paid" in page
    assert reverse("staff:payment_undo", args=[payment.pk]) in page

    refused = client.post(reverse("staff:payment_undo", args=[payment.pk]), {"invoice": invoice.pk, "reason": ""})
    assert refused.status_code == 302
    assert refused["Location"] == reverse("staff:invoice_detail", args=[invoice.pk])
    assert "Give a reason" in " ".join(messages_of(refused))
    assert _state(invoice) == ReceivableState.PAID

    client.post(reverse("staff:payment_undo", args=[payment.pk]), {"invoice": invoice.pk, "reason": "Wrong invoice"})

    assert _state(invoice) == ReceivableState.UNPAID
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REVERSED
    assert payment.reversal_reason == "Wrong invoice"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "12,345"}, "amount", "more decimals"),
        ({"amount": "abc"}, "amount", "as a number"),
        ({"booked_on": "2999-01-01"}, "booked_on", "after today"),
        ({"method": "gold"}, "method", ""),
        ({"booked_on": ""}, "booked_on", ""),
    ],
)
def test_a_refused_payment_shows_the_error_at_the_field_and_writes_nothing(
    company, admin_user, changes, field, message
):
    invoice = issued_invoice(company, admin_user, "1000")
    client, _user = staff_client(company)

    response = client.post(reverse("staff:invoice_payment_register", args=[invoice.pk]), _register_data(**changes))

    assert response.status_code == 400
    errors = response.context["register_form"].errors[field]
    assert message in " ".join(errors)
    assert not Payment.objects.exists()
    assert _state(invoice) == ReceivableState.UNPAID


def test_another_companys_invoice_or_payment_is_not_found(company, admin_user):
    other = CompanyFactory()
    invoice = issued_invoice(company, admin_user, "1000")
    payment = _unmatched(company, admin_user)
    customer = invoice.customer
    client, _user = staff_client(other)

    assert (
        client.post(reverse("staff:invoice_payment_register", args=[invoice.pk]), _register_data()).status_code == 404
    )
    assert client.get(reverse("staff:payment_detail", args=[payment.pk])).status_code == 404
    assert client.post(reverse("staff:payment_undo", args=[payment.pk]), {"reason": "x"}).status_code == 404
    assert (
        client.post(reverse("staff:payment_allocate", args=[payment.pk]), _rows((invoice.pk, "1250"))).status_code
        == 404
    )
    assert client.post(reverse("staff:payment_assign", args=[payment.pk]), {"customer": customer.pk}).status_code == 404
    assert client.post(reverse("staff:customer_credit_apply", args=[customer.pk])).status_code == 404
    assert client.post(reverse("staff:customer_refund", args=[customer.pk]), {}).status_code == 404
    assert not Allocation.objects.exists()


def test_another_companys_invoice_in_an_allocation_is_refused(company, admin_user):
    other = CompanyFactory()
    theirs = issued_invoice(other, admin_user, "1000")
    payment = _unmatched(company, admin_user)
    client, _user = staff_client(company)

    response = client.post(reverse("staff:payment_allocate", args=[payment.pk]), _rows((theirs.pk, "1250.00")))

    assert response.status_code == 400
    assert not Allocation.objects.exists()


def test_a_read_only_user_cannot_register_or_undo(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment = _unmatched(company, admin_user)
    client, _user = staff_client(company, role="read_only")

    assert (
        client.post(reverse("staff:invoice_payment_register", args=[invoice.pk]), _register_data()).status_code == 403
    )
    assert client.post(reverse("staff:payment_undo", args=[payment.pk]), {"reason": "x"}).status_code == 403
    page = client.get(reverse("staff:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="register-payment"' not in page
    assert Payment.objects.count() == 1


# --- lists ---------------------------------------------------------------------------------------------


def test_the_payments_list_filters_sorts_and_totals(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )
    _unmatched(company, admin_user, "300.00")
    payment_register(
        company=company, actor=admin_user, amount="99", currency="EUR", booked_on=dt.date(2026, 10, 1), payer_name="Bo"
    )
    client, _user = staff_client(company)
    url = reverse("staff:payment_list")

    everything = client.get(url)
    assert everything.context["listing"].count == 3
    assert everything.context["listing"].totals == {"EUR": Decimal("99.00"), "SEK": Decimal("1550.00")}
    unmatched = client.get(url, {"status": "unmatched"}).context["listing"]
    assert unmatched.count == 2
    assert client.get(url, {"q": "300"}).context["listing"].count == 1
    assert client.get(url, {"q": "Bo"}).context["listing"].count == 1
    assert client.get(url, {"booked_from": "2026-11-01"}).context["listing"].count == 2
    assert client.get(url, {"method": "swish"}).context["listing"].count == 0
    by_amount = client.get(url, {"sort": "-amount"}).context["listing"].rows
    assert [p.amount for p in by_amount] == [Decimal("1250.00"), Decimal("300.00"), Decimal("99.00")]


def test_the_queue_offers_the_suggested_invoice_in_one_click(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    company.bankgiro = "991-2346"
    company.save(update_fields=["bankgiro"])
    payments_import(
        source=camt054([Credit(Decimal("1250.00"), payer="Someone Else", message="thanks")]), company=company
    )
    payment = Payment.objects.get(company=company)
    assert payment.status == PaymentStatus.UNMATCHED
    client, _user = staff_client(company)

    queue = client.get(reverse("staff:payment_queue"))
    html = queue.content.decode()
    assert f"Pays invoice {invoice.display_number}" in html
    assert "same amount" in html
    assert 'id="nav-unmatched"' in html
    detail = client.get(reverse("staff:payment_detail", args=[payment.pk])).content.decode()
    assert "Not matched" in detail
    assert "Suggestions (not matches)" in detail
    assert f'data-invoice="{invoice.display_number}"' in detail

    response = client.post(
        reverse("staff:payment_allocate", args=[payment.pk]), {"from": "queue", **_rows((invoice.pk, "1250.00"))}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:payment_queue")
    assert _state(invoice) == ReceivableState.PAID
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.ALLOCATED
    detail = client.get(reverse("staff:payment_detail", args=[payment.pk])).content.decode()
    assert "Allocated by hand." in detail

    # A bank payment is taken off its invoice (back to the queue), never reversed.
    client.post(reverse("staff:payment_undo", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.UNMATCHED
    assert _state(invoice) == ReceivableState.UNPAID


# --- allocate by hand ------------------------------------------------------------------------------------


def test_allocating_by_hand_over_several_invoices(company, admin_user):
    customer = PersonFactory(company=company)
    first = issued_invoice(company, admin_user, "400", customer=customer)
    second = issued_invoice(company, admin_user, "600", customer=customer)
    payment = _unmatched(company, admin_user)
    client, _user = staff_client(company)

    response = client.post(
        reverse("staff:payment_allocate", args=[payment.pk]), _rows((first.pk, "500.00"), (second.pk, "750.00"))
    )

    assert response.status_code == 302
    assert _state(first) == _state(second) == ReceivableState.PAID


def test_allocating_by_hand_is_refused_whole_when_a_row_is_wrong(company, admin_user):
    first = issued_invoice(company, admin_user, "400")
    second = issued_invoice(company, admin_user, "600")
    payment = _unmatched(company, admin_user)
    client, _user = staff_client(company)
    url = reverse("staff:payment_allocate", args=[payment.pk])

    above_open = client.post(url, _rows((first.pk, "400.00"), (second.pk, "800.00")))
    assert above_open.status_code == 400
    assert "left to pay" in " ".join(above_open.context["formset"].forms[1].errors["amount"])
    assert 'class="error"' in above_open.content.decode()

    above_payment = client.post(url, _rows((first.pk, "500.00"), (second.pk, "751.00")))
    assert above_payment.status_code == 400
    assert "left to allocate" in " ".join(above_payment.context["formset"].non_form_errors())

    no_amount = client.post(url, _rows((first.pk, "")))
    assert no_amount.status_code == 400
    assert no_amount.context["formset"].forms[0].errors["amount"]

    nothing = client.post(url, _rows(("", "")))
    assert nothing.status_code == 400
    assert "at least one invoice" in " ".join(nothing.context["formset"].non_form_errors())

    assert not Allocation.objects.exists()
    assert _state(first) == _state(second) == ReceivableState.UNPAID


def test_a_one_click_allocation_that_no_longer_fits_is_refused_back_in_the_queue(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    payment = _unmatched(company, admin_user)
    payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )
    client, _user = staff_client(company)

    response = client.post(
        reverse("staff:payment_allocate", args=[payment.pk]), {"from": "queue", **_rows((invoice.pk, "1250.00"))}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:payment_queue")
    assert messages_of(response)
    assert not Allocation.objects.filter(payment=payment).exists()


def test_giving_an_unmatched_payment_to_a_customer_makes_it_their_credit(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    customer = PersonFactory(company=company)
    payment = _unmatched(company, admin_user, "200.00")
    client, _user = staff_client(company)

    refused = client.post(reverse("staff:payment_assign", args=[payment.pk]), {"customer": "", "customer_text": "zz"})
    assert refused.status_code == 400
    assert refused.context["assign_form"].errors["customer"]

    response = client.post(reverse("staff:payment_assign", args=[payment.pk]), {"customer": customer.pk})

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREDIT
    assert payment.customer == customer
    card = client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert card.context["money"].credit == {"SEK": Decimal("200.00")}


# --- the customer card ---------------------------------------------------------------------------------


def test_the_customer_card_applies_and_refunds_the_credit_balance(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    customer = PersonFactory(company=company)
    invoice = issued_invoice(company, admin_user, "400", customer=customer)
    payment_register(
        company=company, actor=admin_user, amount="800", currency="SEK", booked_on=PAID_ON, customer_id=customer.pk
    )
    client, _user = staff_client(company)
    card = client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert card.context["money"].open == {"SEK": Decimal("500.00")}
    assert card.context["money"].credit == {"SEK": Decimal("800.00")}

    client.post(reverse("staff:customer_credit_apply", args=[customer.pk]))
    assert _state(invoice) == ReceivableState.PAID

    url = reverse("staff:customer_refund", args=[customer.pk])
    data = {"amount": "400", "currency": "SEK", "refunded_on": "2026-11-30", "note": "Bank"}
    too_much = client.post(url, data | {"amount": "301"})
    assert too_much.status_code == 400
    assert "refund at most" in " ".join(too_much.context["refund_form"].errors["amount"])
    assert client.post(url, data | {"amount": "300"}).status_code == 302
    card = client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert card.context["money"].credit == {}

    nothing = client.post(reverse("staff:customer_credit_apply", args=[customer.pk]))
    assert "no credit balance" in " ".join(messages_of(nothing))


# --- settings and the invoice list ----------------------------------------------------------------------


def test_the_payment_settings_toggle(company, admin_user):
    client, _user = staff_client(company, role="admin")
    url = reverse("staff:payment_settings")
    assert client.get(url).context["form"]["is_applying_credit_automatically"].value() is True

    client.post(url, {})

    assert PaymentSettings.objects.get(company=company).is_applying_credit_automatically is False
    accountant, _user = staff_client(company)
    assert accountant.post(url, {"is_applying_credit_automatically": "on"}).status_code == 403
    assert PaymentSettings.objects.get(company=company).is_applying_credit_automatically is False


def test_the_invoice_list_filters_by_payment_state_in_the_database(company, admin_user):
    paid = issued_invoice(company, admin_user, "1000")
    part = issued_invoice(company, admin_user, "1000")
    unpaid = issued_invoice(company, admin_user, "1000")
    payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=paid.pk
    )
    payment_register(
        company=company, actor=admin_user, amount="250", currency="SEK", booked_on=PAID_ON, invoice_id=part.pk
    )
    client, _user = staff_client(company)
    url = reverse("staff:invoice_list")

    def numbers(**query) -> set[int]:
        return {invoice.pk for invoice, _sending in client.get(url, query).context["rows"]}

    assert numbers(payment="open") == {part.pk, unpaid.pk}
    assert numbers(payment="paid") == {paid.pk}
    assert numbers(payment="partly_paid") == {part.pk}
    assert numbers(payment="settled") == {paid.pk}
    response = client.get(url, {"sort": "-open"})
    assert next(invoice.pk for invoice, _s in response.context["rows"]) == unpaid.pk
    assert response.context["open_totals"] == {"SEK": Decimal("2250.00")}
    assert "Partly paid" in response.content.decode()
    with CaptureQueriesContext(connection) as before:
        client.get(url, {"payment": "open"})
    for _n in range(5):
        issued_invoice(company, admin_user, "10")
    with CaptureQueriesContext(connection) as after:
        client.get(url, {"payment": "open"})
    assert len(after.captured_queries) == len(before.captured_queries)


# --- the invoice picker, a bank file's payment, Swedish ---------------------------------------------


def test_the_invoice_picker_offers_the_companys_open_invoices_only(company, admin_user):
    anna = PersonFactory(company=company, name="Anna Ek")
    open_one = issued_invoice(company, admin_user, "1000", customer=anna)
    paid = issued_invoice(company, admin_user, "1000", customer=anna)
    payment_register(
        company=company, actor=admin_user, amount="1250", currency="SEK", booked_on=PAID_ON, invoice_id=paid.pk
    )
    other = CompanyFactory()
    issued_invoice(other, admin_user, "1000", customer=PersonFactory(company=other, name="Anna Ek"))
    client, _user = staff_client(company)

    html = client.get(reverse("staff:pick_invoices"), {"q": "Anna"}).content.decode()

    assert html.count('role="option"') == 1
    assert f'data-value="{open_one.pk}"' in html
    assert f"{open_one.display_number} · Anna Ek" in html
    # Without JavaScript the typed number is looked up on the server.
    payment = _unmatched(company, admin_user)
    data = _rows(("", "1250.00")) | {"rows-0-invoice_text": open_one.display_number}
    response = client.post(reverse("staff:payment_allocate", args=[payment.pk]), data)
    assert response.status_code == 302
    assert _state(open_one) == ReceivableState.PAID


def test_a_bank_files_payment_page_shows_what_the_bank_gave(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    company.bankgiro = "991-2346"
    company.save(update_fields=["bankgiro"])
    payments_import(
        source=camt054([Credit(Decimal("1250.00"), reference=invoice.payment_reference, payer="Anna Ek")]),
        filename="notification.xml",
        company=company,
    )
    payment = Payment.objects.get(company=company)
    client, _user = staff_client(company)

    html = client.get(reverse("staff:payment_detail", args=[payment.pk])).content.decode()

    assert "notification.xml" in html
    assert payment.position
    assert payment.position in html
    assert "Anna Ek" in html
    assert f"given with the payment is that of invoice {invoice.display_number}" in html
    assert 'id="unallocate-payment"' in html
    assert 'id="undo-payment"' not in html


def test_the_queue_in_swedish(company, admin_user, swedish):
    issued_invoice(company, admin_user, "1000")
    _unmatched(company, admin_user)
    client, _user = staff_client(company)
    client.cookies["django_language"] = "sv"

    html = client.get(reverse("staff:payment_queue"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert "Omatchade" in html
    assert "Betalningar" in html


def test_the_payment_lists_do_not_query_per_row(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    client, _user = staff_client(company)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    def add_payments(n: int) -> None:
        for _n in range(n):
            payment = _unmatched(company, admin_user, "10.00")
            Payment.objects.filter(pk=payment.pk).update(
                match_details={"suggestions": [{"invoice_id": invoice.pk, "why": ["payer"]}]}
            )

    add_payments(2)
    before = (queries(reverse("staff:payment_list")), queries(reverse("staff:payment_queue")))
    add_payments(6)
    after = (queries(reverse("staff:payment_list")), queries(reverse("staff:payment_queue")))

    assert after == before


def test_overdue_means_past_due_and_not_paid(company):
    # Given two invoices past their due date, one of them paid
    client, user = staff_client(company)
    unpaid = overdue_invoice(company, user, "100")
    paid = overdue_invoice(company, user, "200")
    payment_register(
        company=company,
        actor=user,
        amount=paid.total_amount,
        currency="SEK",
        booked_on=timezone.localdate(),
        invoice_id=paid.pk,
    )

    # When the list is filtered to overdue invoices
    response = client.get(reverse("staff:invoice_list"), {"overdue": "on"})

    # Then only the unpaid one is overdue
    assert [i.pk for i in response.context["page"].object_list] == [unpaid.pk]


def test_an_amount_written_the_swedish_way_is_registered_and_said_back(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    client, _user = staff_client(company)

    response = client.post(
        reverse("staff:invoice_payment_register", args=[invoice.pk]), _register_data(amount="1 250,00")
    )

    assert response.status_code == 302
    assert _state(invoice) == ReceivableState.PAID


def test_a_hostile_row_count_is_refused_without_reading_the_rows(company, admin_user):
    client, _user = staff_client(company)
    payment = payment_register(
        company=company, actor=admin_user, amount="10", currency="SEK", booked_on=timezone.localdate()
    )

    response = client.post(
        reverse("staff:payment_allocate", args=[payment.pk]),
        {"rows-TOTAL_FORMS": "5000", "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "1", "rows-MAX_NUM_FORMS": "50"},
    )

    assert response.status_code == 400
    assert not Allocation.objects.exists()
