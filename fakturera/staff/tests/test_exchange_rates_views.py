"""Settings, Exchange rates: an administrator types a rate, imports the Riksbank's file or removes
a rate; a refused rate or file is shown on its form and nothing is written; other roles are
refused (staff/tests/test_access.py walks the page too)."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fakturera.invoicing.models import ExchangeRate
from fakturera.invoicing.tests.factories import exchange_rates
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db

URL = reverse("staff:exchange_rates")
SAMPLE = Path(__file__).resolve().parents[2] / "invoicing" / "tests" / "data" / "riksbank_rates.csv"


def test_an_administrator_types_a_rate_with_a_decimal_comma(client, company):
    user = log_in(client, company, role="admin")

    response = client.post(URL, {"action": "add", "currency": "EUR", "rate_on": "2026-11-30", "rate": "11,4321"})

    assert response.status_code == 302
    rate = ExchangeRate.objects.get(company=company)
    assert (rate.currency, rate.rate_on, rate.rate, rate.source, rate.created_by) == (
        "EUR", dt.date(2026, 11, 30), Decimal("11.4321"), "manual", user,
    )  # fmt: skip
    page = client.get(URL)
    assert "11.4321" in page.content.decode()


def test_a_refused_rate_is_shown_on_its_field_and_nothing_is_saved(client, company):
    log_in(client, company, role="admin")

    response = client.post(URL, {"action": "add", "currency": "EUR", "rate_on": "2026-11-30", "rate": "elva"})

    assert response.status_code == 400
    assert response.context["rate_form"].errors["rate"] == ["The rate must be a number."]
    assert not ExchangeRate.objects.exists()


def test_the_riksbank_file_is_imported(client, company):
    log_in(client, company, role="admin")
    upload = SimpleUploadedFile("valutakurser.csv", SAMPLE.read_bytes(), content_type="text/csv")

    response = client.post(URL, {"action": "import", "file": upload}, follow=True)

    assert "9 rates were imported." in response.content.decode()
    assert ExchangeRate.objects.filter(company=company, source="riksbank").count() == 9


def test_a_malformed_file_is_refused_naming_its_line(client, company):
    log_in(client, company, role="admin")
    content = b"Datum;Grupp;Serie;V\xc3\xa4rde\n2026-11-30;130;SEKEURPMI;11,4321\n2026-11-31;130;SEKEURPMI;11,5\n"
    upload = SimpleUploadedFile("valutakurser.csv", content, content_type="text/csv")

    response = client.post(URL, {"action": "import", "file": upload})

    assert response.status_code == 400
    [message] = response.context["file_form"].errors["file"]
    assert message.startswith("Line 3 of the Riksbank file: “2026-11-31” is not a date")
    assert not ExchangeRate.objects.exists()


def test_a_rate_is_removed_and_another_company_s_rate_cannot_be(client, company):
    log_in(client, company, role="admin")
    exchange_rates(company)
    other = CompanyFactory()
    exchange_rates(other)
    mine = ExchangeRate.objects.filter(company=company).first()
    theirs = ExchangeRate.objects.filter(company=other).first()

    client.post(URL, {"action": "delete", "rate": mine.pk})
    client.post(URL, {"action": "delete", "rate": theirs.pk})

    assert not ExchangeRate.objects.filter(pk=mine.pk).exists()
    assert ExchangeRate.objects.filter(pk=theirs.pk).exists()
    assert {rate.company_id for rate in client.get(URL).context["rates"]} == {company.pk}


@pytest.mark.parametrize("role", ["accountant", "read_only"])
def test_only_administrators_open_the_page(client, company, role):
    log_in(client, company, role=role)
    assert client.get(URL).status_code == 403
    assert (
        client.post(URL, {"action": "add", "currency": "EUR", "rate_on": "2026-11-30", "rate": "11"}).status_code == 403
    )
    assert not ExchangeRate.objects.exists()
