"""The portal shows each invoice's payment state (paid, partly paid with what is left, unpaid,
overdue) from payments' receivables, read in one query for the whole list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fakturera.invoicing.tests.factories import credit_note, issued_invoice, overdue_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.payments.services import payment_register
from fakturera.portal.tests.test_portal import log_in

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 11, 25)


def _state_of(page: str, invoice_id: int) -> str:
    row = re.search(rf'/invoices/{invoice_id}/".*?</tr>', page, re.S)
    assert row is not None
    found = re.search(r'data-payment-state="([a-z_]+)"', row.group(0))
    return found.group(1) if found else ""


def _pay(company, user, invoice, amount: str) -> None:
    payment_register(
        company=company, actor=user, amount=amount, currency="SEK", booked_on=PAID_ON, invoice_id=invoice.pk
    )


def test_each_invoice_shows_its_payment_state(company, admin_user):
    anna = PersonFactory(company=company, name="Anna")
    late = overdue_invoice(company, admin_user, "300", customer=anna)
    paid = issued_invoice(company, admin_user, "100", customer=anna, issued_on=None)
    partly = issued_invoice(company, admin_user, "1000", customer=anna, issued_on=None)
    unpaid = issued_invoice(company, admin_user, "200", customer=anna, issued_on=None)
    credited = issued_invoice(company, admin_user, "400", customer=anna, issued_on=None)
    note = credit_note(credited, admin_user)
    _pay(company, admin_user, paid, "125.00")
    _pay(company, admin_user, partly, "250.00")
    client = Client()
    log_in(client, company, anna)

    page = client.get(reverse("portal:invoice_list", args=[company.pk])).content.decode()

    assert _state_of(page, paid.pk) == "paid"
    assert _state_of(page, partly.pk) == "partly_paid"
    assert "1\xa0000,00" in page  # what is left of 1 250,00 (the portal speaks the person's language)
    assert _state_of(page, unpaid.pk) == "unpaid"
    assert _state_of(page, late.pk) == "overdue"
    assert _state_of(page, note.pk) == ""  # a credit note has no payment state
    detail = client.get(reverse("portal:invoice_detail", args=[company.pk, partly.pk])).content.decode()
    assert 'data-payment-state="partly_paid"' in detail


def test_the_list_reads_the_payment_states_in_one_query(company, admin_user):
    anna = PersonFactory(company=company, name="Anna")
    issued_invoice(company, admin_user, "100", customer=anna, issued_on=None)
    client = Client()
    log_in(client, company, anna)
    url = reverse("portal:invoice_list", args=[company.pk])

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for price in ("200", "300", "400", "500"):
        issued_invoice(company, admin_user, price, customer=anna, issued_on=None)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()

    assert page.count('data-payment-state="unpaid"') == 5
    assert len(many.captured_queries) == len(few.captured_queries)
    assert sum("payments_receivable" in q["sql"] for q in many.captured_queries) == 1


def test_the_portal_shows_the_payment_state_in_swedish(company, admin_user, swedish):
    anna = PersonFactory(company=company, name="Anna")
    invoice = issued_invoice(company, admin_user, "1000", customer=anna, issued_on=None)
    _pay(company, admin_user, invoice, "250.00")
    client = Client(HTTP_ACCEPT_LANGUAGE="sv")
    log_in(client, company, anna)
    client.cookies["django_language"] = "sv"

    page = client.get(reverse("portal:invoice_list", args=[company.pk]), HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert "Delbetald" in page
    assert "kvar att betala" in page
