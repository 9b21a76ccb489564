"""The home page, open and aged receivables (with their exports), the cash-in forecast and the
customer statement (page, PDF, e-mail through a real SMTP server), as a user would see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from fakturera.core.tests.smtp import SmtpServer
from fakturera.invoicing.tests.factories import draft_invoice, issued_invoice, overdue_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.payments.models import StatementSent
from fakturera.payments.services import payment_register
from fakturera.recurring.selectors import planned_invoicing
from fakturera.recurring.tests.helpers import line, recurring
from fakturera.staff.templatetags.fakturera import money
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\u00a0", " ")


@pytest.fixture
def staff(client, company):
    log_in(client, company)
    return client


def test_home_shows_what_needs_doing_with_links_in_few_queries(staff, company, admin_user):
    for _n in range(3):
        overdue_invoice(company, admin_user, "1000", days_overdue=12)
    draft_invoice(company, admin_user, "10")
    payment_register(company=company, actor=admin_user, amount="77", currency="SEK", booked_on=timezone.localdate())

    response = staff.get(reverse("staff:home"))
    page = response.content.decode()

    assert response.status_code == 200
    assert "3,750.00" in page  # three overdue invoices of 1,250.00
    assert "3 invoices" in page
    assert f'href="{reverse("staff:receivable_list")}?due=overdue&amp;currency=SEK"' in page
    assert f'href="{reverse("staff:invoice_list")}?status=draft"' in page
    assert 'id="tile-unmatched"' in page
    assert "77.00" in page
    # More invoices, the same queries.
    with CaptureQueriesContext(connection) as few:
        staff.get(reverse("staff:home"))
    for _n in range(5):
        overdue_invoice(company, admin_user, "10", days_overdue=12)
    with CaptureQueriesContext(connection) as more:
        staff.get(reverse("staff:home"))
    assert len(more) == len(few) <= 20


def test_overdue_list_behind_the_number(staff, company, admin_user):
    late = overdue_invoice(company, admin_user, "1000", days_overdue=5)
    issued_invoice(company, admin_user, "300", issued_on=timezone.localdate())  # not due

    page = staff.get(reverse("staff:receivable_list") + "?due=overdue").content.decode()

    assert late.display_number in page
    assert "375.00" not in page
    assert 'data-count="1"' in page


def test_aging_page_chart_table_and_exports(staff, company, admin_user):
    anna = PersonFactory(company=company, name="Anna")
    issued_invoice(company, admin_user, "1000", customer=anna, issued_on=dt.date(2026, 6, 1))
    issued_invoice(
        company,
        admin_user,
        "100",
        customer=PersonFactory(company=company, name="=cmd"),
        issued_on=dt.date(2026, 11, 20),
    )

    url = reverse("staff:aging")
    page = staff.get(url + "?as_of=2026-12-05").content.decode()

    assert "Receivables by age, SEK" in page
    assert "<svg" in page
    assert 'id="aging-totals"' in page
    assert "1,375.00" in page
    rows = list(
        csv.reader(
            io.StringIO(staff.get(url + "?as_of=2026-12-05&format=csv").content.decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[0][:3] == ["Customer number", "Customer", "Not due"]
    assert rows[1][1] == "'=cmd"  # never a formula
    assert rows[2][1:8] == ["Anna", "0.00", "0.00", "0.00", "0.00", "1250.00", "1250.00"]
    assert rows[-1][1:8] == ["Total", "125.00", "0.00", "0.00", "0.00", "1250.00", "1375.00"]
    xlsx = staff.get(url + "?as_of=2026-12-05&format=xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert len(list(sheet.iter_rows())) == 4  # header, two customers, totals
    header, formula, anna, totals = ([cell for cell in row[:8]] for row in sheet.iter_rows())
    assert [cell.value for cell in header[:3]] == ["Customer number", "Customer", "Not due"]
    assert all(cell.font.b for cell in header)
    assert (formula[1].data_type, formula[1].value) == ("s", "=cmd")  # text, never a formula
    assert [cell.value for cell in anna[1:8]] == ["Anna", 0, 0, 0, 0, 1250, 1250]
    assert [cell.value for cell in totals[1:8]] == ["Total", 125, 0, 0, 0, 1250, 1375]
    assert all(cell.data_type == "n" for cell in totals[2:8])


def test_aging_with_a_date_that_does_not_read_says_so_and_shows_today(staff, company, admin_user):
    issued_invoice(company, admin_user, "1000", issued_on=dt.date(2026, 6, 1))

    response = staff.get(reverse("staff:aging") + "?as_of=2026-13-45")

    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert response.context["as_of"] == timezone.localdate()


def test_aging_in_swedish(client, company, admin_user):
    log_in(client, company)
    issued_invoice(company, admin_user, "1000", issued_on=dt.date(2026, 6, 1))
    page = client.get(reverse("staff:aging"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Kundfordringar efter ålder, SEK" in page


def test_another_companys_customer_statement_is_404(staff):
    stranger = PersonFactory(company=CompanyFactory())
    assert staff.get(reverse("staff:customer_statement", args=[stranger.pk])).status_code == 404


def test_forecast_page_with_open_and_recurring(staff, company, admin_user):
    customer = PersonFactory(company=company)
    today = timezone.localdate()
    issued_invoice(company, admin_user, "1000", customer=customer, issued_on=today)
    recurring(company, customer, admin_user, line("Hyra", "800", "monthly", today + dt.timedelta(days=3)))

    planned = planned_invoicing(company=company, until=today + dt.timedelta(days=70))
    assert planned
    assert planned[0].total == Decimal("1000.00")
    assert planned[0].due_on == planned[0].on + dt.timedelta(days=company.payment_terms_days)

    page = staff.get(reverse("staff:cash_forecast")).content.decode()
    assert "Cash-in forecast, SEK" in page
    assert "Recurring invoices" in page
    assert "Likely range" in page
    assert "How the forecast is made" in page


def test_statement_page_pdf_in_the_customers_language_and_email(staff, company, admin_user, settings):
    customer = PersonFactory(company=company, name="Sigrid", language="sv", email="sigrid@kund.example")
    invoice = issued_invoice(company, admin_user, "1000", customer=customer, issued_on=dt.date(2026, 10, 1))
    payment_register(
        company=company,
        actor=admin_user,
        amount="250",
        currency="SEK",
        booked_on=dt.date(2026, 10, 20),
        invoice_id=invoice.pk,
    )
    url = reverse("staff:customer_statement", args=[customer.pk])
    query = "?starts_on=2026-10-01&ends_on=2026-11-30&currency=SEK"

    page = staff.get(url + query).content.decode()
    assert f'id="closing-balance">{money(Decimal("1000.00"), "SEK")}<' in page
    assert (
        reverse("staff:customer_statement", args=[customer.pk])
        in staff.get(reverse("staff:customer_detail", args=[customer.pk])).content.decode()
    )

    text = pdf_text(staff.get(url + query + "&format=pdf").content)
    assert "KONTOUTDRAG" in text
    assert "Ingående saldo" in text
    assert "Utgående saldo" in text
    assert "1 250,00" in text
    assert "1 000,00" in text
    assert "Betalning" in text

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with SmtpServer() as smtp:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        response = staff.post(reverse("staff:customer_statement_send", args=[customer.pk]),
                              {"starts_on": "2026-10-01", "ends_on": "2026-11-30", "currency": "SEK"})  # fmt: skip
        received = smtp.received
    assert response.status_code == 302
    (mail,) = received
    assert mail.recipients == ["sigrid@kund.example"]
    assert mail.message["Subject"] == f"Kontoutdrag från {company.name}"
    (attachment,) = list(mail.message.iter_attachments())
    assert "Utgående saldo" in pdf_text(attachment.get_content())
    sent = StatementSent.objects.get()
    assert (sent.recipient, sent.closing_balance) == ("sigrid@kund.example", Decimal("1000.00"))
    assert "sigrid@kund.example" in staff.get(url).content.decode()


def test_statement_in_english_and_without_address(staff, company, admin_user):
    customer = PersonFactory(company=company, language="en", email="", invoice_email="")
    issued_invoice(company, admin_user, "1000", customer=customer, issued_on=dt.date(2026, 10, 1))
    url = reverse("staff:customer_statement", args=[customer.pk])

    text = pdf_text(staff.get(url + "?starts_on=2026-01-01&ends_on=2026-12-31&format=pdf").content)
    assert "STATEMENT" in text
    assert "Closing balance" in text
    assert "1,250.00" in text

    period = {"starts_on": "2026-01-01", "ends_on": "2026-12-31", "currency": "SEK"}
    response = staff.post(reverse("staff:customer_statement_send", args=[customer.pk]), period, follow=True)
    assert "no e-mail address" in response.content.decode()
    assert not StatementSent.objects.exists()


def test_statement_period_that_ends_before_it_starts_is_refused(staff, company):
    customer = PersonFactory(company=company)
    page = staff.get(
        reverse("staff:customer_statement", args=[customer.pk]) + "?starts_on=2026-12-01&ends_on=2026-01-01"
    ).content.decode()
    assert "The period ends before it starts." in page


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("staff:receivable_list", {"customer": "²"}),
        ("staff:receivable_list", {"customer": "9" * 5000}),
        ("staff:aging", {"as_of": "0001-01-01"}),
    ],
)
def test_hostile_query_values_show_the_page(staff, page, query):
    assert staff.get(reverse(page), query).status_code == 200
