"""The Autogiro pages through the Django test client: mandates on the customer card
(admin and accountant change them, read-only only looks), the settings and the run file."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from fakturera.autogiro.models import AutogiroSettings, Mandate, MandateStatus, PaymentOrderStatus, Run
from fakturera.autogiro.services import payment_orders_add
from fakturera.autogiro.tests.factories import AutogiroSettingsFactory, MandateFactory
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db


def customer_page(client: Client, customer) -> str:
    return client.get(reverse("staff:customer_detail", args=[customer.pk])).content.decode()


@pytest.mark.parametrize("role", ["admin", "accountant"])
def test_staff_who_edit_add_and_cancel_a_mandate_on_the_customer_card(company, role):
    client = Client()
    log_in(client, company, role)
    customer = PersonFactory(company=company)
    assert 'id="mandate-form"' in customer_page(client, customer)

    response = client.post(
        reverse("staff:autogiro_mandate_add", args=[customer.pk]),
        {"valid_from": "2026-11-20", "clearing_number": "8327", "account_number": "99943 3344", "payer_number": ""},
    )

    assert response.status_code == 302
    mandate = Mandate.objects.get(customer=customer)
    assert mandate.account_number == "999433344"
    page = customer_page(client, customer)
    assert "8327-999433344" in page
    assert "Cancel mandate" in page

    response = client.post(reverse("staff:autogiro_mandate_cancel", args=[mandate.pk]))
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.CANCELLED


def test_a_bad_mandate_shows_the_error_on_the_card_and_writes_nothing(company):
    client = Client()
    log_in(client, company, "accountant")
    customer = PersonFactory(company=company)

    response = client.post(
        reverse("staff:autogiro_mandate_add", args=[customer.pk]),
        {"valid_from": "2026-11-20", "clearing_number": "83", "account_number": "1234"},
    )

    assert response.status_code == 400
    assert "A clearing number has 4 or 5 digits" in response.content.decode()
    assert not Mandate.objects.exists()


def test_read_only_staff_see_mandates_but_cannot_change_them(company):
    client = Client()
    log_in(client, company, "read_only")
    mandate = MandateFactory(company=company)

    page = customer_page(client, mandate.customer)
    assert mandate.payer_number in page
    assert 'id="mandate-form"' not in page
    assert "Cancel mandate" not in page

    add = client.post(
        reverse("staff:autogiro_mandate_add", args=[mandate.customer.pk]),
        {"valid_from": "2026-11-20", "clearing_number": "8327", "account_number": "1234"},
    )
    cancel = client.post(reverse("staff:autogiro_mandate_cancel", args=[mandate.pk]))
    assert (add.status_code, cancel.status_code) == (403, 403)
    mandate.refresh_from_db()
    assert mandate.is_active
    assert Mandate.objects.count() == 1


def test_another_companys_mandate_is_not_found(company):
    client = Client()
    log_in(client, company, "admin")
    foreign = MandateFactory(company=CompanyFactory())

    assert client.post(reverse("staff:autogiro_mandate_cancel", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("staff:autogiro_mandate_add", args=[foreign.customer.pk]), {}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active


def test_administrators_save_the_settings_and_accountants_cannot(company):
    admin, accountant = Client(), Client()
    log_in(admin, company, "admin")
    log_in(accountant, company, "accountant")
    data = {"customer_number": "471117", "bankgiro": "991-2346"}

    assert accountant.post(reverse("staff:autogiro_settings"), data).status_code == 403
    assert not AutogiroSettings.objects.exists()
    bad = admin.post(reverse("staff:autogiro_settings"), {"customer_number": "471117", "bankgiro": "991-2345"})
    assert bad.status_code == 400
    assert "check digit" in bad.content.decode()
    assert admin.post(reverse("staff:autogiro_settings"), data).status_code == 302
    saved = AutogiroSettings.objects.get(company=company)
    assert (saved.customer_number, saved.bankgiro) == ("471117", "991-2346")


def test_the_run_file_is_made_once_and_downloaded_as_the_same_bytes(company):
    client = Client()
    user = log_in(client, company, "accountant")
    AutogiroSettingsFactory(company=company)
    mandate = MandateFactory(company=company)
    invoice = issued_invoice(company, user, "800", customer=mandate.customer)
    [order] = payment_orders_add(invoices=[invoice])
    overview = client.get(reverse("staff:autogiro")).content.decode()
    assert invoice.display_number in overview

    response = client.post(reverse("staff:autogiro_run_create"), {"run_on": "2026-11-21"})
    assert response.status_code == 302
    run = Run.objects.get()
    download = client.get(reverse("staff:autogiro_run_file", args=[run.pk]))

    assert download["Content-Disposition"] == 'attachment; filename="autogiro-20261121.txt"'
    assert download.content == bytes(run.content)
    assert download.content.startswith(b"0120261121AUTOGIRO")
    assert f"{mandate.payer_number:0>16}000000100000".encode() in download.content
    order.refresh_from_db()
    assert order.status == PaymentOrderStatus.FILED
    again = client.post(reverse("staff:autogiro_run_create"), {"run_on": "2026-11-22"})
    assert again.status_code == 400
    assert "No payment orders are waiting" in again.content.decode()
    assert Run.objects.count() == 1


def test_a_read_only_user_downloads_but_does_not_make_files(company):
    client = Client()
    log_in(client, company, "read_only")
    AutogiroSettingsFactory(company=company)

    assert client.get(reverse("staff:autogiro")).status_code == 200
    assert client.post(reverse("staff:autogiro_run_create"), {"run_on": "2026-11-21"}).status_code == 403
