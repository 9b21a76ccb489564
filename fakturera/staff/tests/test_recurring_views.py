"""Recurring invoice pages: overview, customer card, create with preview, generate,
orders (adjust, invoice one, invoice selected), delete, notice, period text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from fakturera.catalog.tests.factories import ProductFactory
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.recurring.models import RecurringInvoice, RecurringNotice
from fakturera.recurring.services import recurring_generate
from fakturera.recurring.tests.helpers import line, orders_of, recurring
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def _form_data(customer_pk: int | None, lines: list[dict[str, str]], **header: str) -> dict[str, str]:
    data = {
        "description": "",
        "currency": "SEK",
        "buyer_reference": "",
        "note": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **header,
    }
    if customer_pk is not None:
        data["customer"] = str(customer_pk)
    for index, row in enumerate(lines):
        values = {
            "product": "",
            "description": "",
            "quantity": "1",
            "unit": "st",
            "unit_price": "",
            "vat": "S:25",
            "pricing": "fixed",
            "frequency": "monthly",
            "factor": "1",
            "next_on": "2027-04-01",
            **row,
        }
        data.update({f"lines-{index}-{name}": value for name, value in values.items()})
    return data


def test_overview_lists_active_recurring_invoices_with_their_next_date(company):
    client, user = staff_client(company, role="read_only")
    anna = PersonFactory(company=company, name="Anna Ek")
    recurring(company, anna, user, line("Webbhotell", "199", "monthly", dt.date(2027, 3, 1)), description="Webb")
    gone = recurring(company, PersonFactory(company=company, name="Borta"), user, line("X", "1", "monthly", TODAY))
    gone.deleted_at = gone.created_at
    gone.save()
    other = CompanyFactory()
    recurring(other, PersonFactory(company=other, name="Annans kund"), None, line("Y", "1", "monthly", TODAY))

    response = client.get(reverse("staff:recurring_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Anna Ek" in html
    assert "Webb" in html
    assert "2027-03-01" in html
    assert "Ready for generation" in html
    assert "Borta" not in html
    assert "Annans kund" not in html
    assert 'id="generate-now"' not in html  # read-only users cannot generate


def test_customer_card_shows_its_recurring_invoices_and_offers_a_new_one(company):
    client, user = staff_client(company)
    anna = PersonFactory(company=company, name="Anna Ek")
    recurring(company, anna, user, line("Webbhotell", "199", "monthly", dt.date(2027, 4, 1)), description="Webb")

    response = client.get(reverse("staff:customer_detail", args=[anna.pk]))

    html = response.content.decode()
    assert 'id="recurring"' in html
    assert "Webb" in html
    assert "2027-04-01" in html
    assert f"{reverse('staff:recurring_create')}?customer={anna.pk}" in html


def test_create_from_the_customer_card_with_two_lines(company):
    client, _user = staff_client(company)
    anna = PersonFactory(company=company)
    product = ProductFactory(company=company, name="Domän", unit_price=Decimal("150"))

    page = client.get(reverse("staff:recurring_create") + f"?customer={anna.pk}")
    assert page.context["form"]["customer"].value()[0] == anna.pk

    response = client.post(
        reverse("staff:recurring_create") + f"?customer={anna.pk}",
        _form_data(
            anna.pk,
            [
                {"description": "Webbhotell", "unit_price": "199"},
                {"product": str(product.pk), "pricing": "dynamic", "frequency": "yearly", "next_on": "2027-12-01"},
            ],
            description="Webb",
            action="save",
        ),
    )

    created = RecurringInvoice.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("staff:recurring_edit", args=[created.pk])
    assert (created.customer, created.description) == (anna, "Webb")
    assert list(created.lines.values_list("description", "unit_price", "pricing", "frequency", "next_on")) == [
        ("Webbhotell", Decimal("199.0000"), "fixed", "monthly", dt.date(2027, 4, 1)),
        ("Domän", Decimal("150.0000"), "dynamic", "yearly", dt.date(2027, 12, 1)),
    ]


def test_the_head_chooses_to_issue_and_send_the_generated_invoices_and_can_take_it_back(company):
    client, _user = staff_client(company)
    anna = PersonFactory(company=company)
    page = client.get(reverse("staff:recurring_create") + f"?customer={anna.pk}")
    assert 'name="is_issued_automatically"' in page.content.decode()

    client.post(
        reverse("staff:recurring_create"),
        _form_data(anna.pk, [{"description": "Webbhotell", "unit_price": "199"}], is_issued_automatically="on"),
    )
    created = RecurringInvoice.objects.get()
    assert created.is_issued_automatically is True

    edit = client.get(reverse("staff:recurring_edit", args=[created.pk]))
    assert edit.context["form"]["is_issued_automatically"].value() is True
    data = _form_data(None, [{"description": "Webbhotell", "unit_price": "199"}])
    data.update({"lines-0-id": str(created.lines.get().pk), "lines-INITIAL_FORMS": "1"})
    client.post(reverse("staff:recurring_edit", args=[created.pk]), data)
    created.refresh_from_db()
    assert created.is_issued_automatically is False


def test_preview_over_htmx_shows_twelve_months_and_saves_nothing(company):
    client, _user = staff_client(company)
    anna = PersonFactory(company=company)

    response = client.post(
        reverse("staff:recurring_create"),
        _form_data(
            anna.pk,
            [
                {"description": "Webbhotell", "unit_price": "199", "next_on": "2027-04-01"},
                {"description": "Domän", "unit_price": "150", "frequency": "yearly", "next_on": "2028-03-01"},
            ],
            action="preview",
        ),
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert [str(order.on) for order in response.context["preview"]] == [
        f"{year}-{month:02d}-01"
        for year, month in [(2027, m) for m in range(4, 13)] + [(2028, 1), (2028, 2), (2028, 3)]
    ]
    assert html.count('class="preview-order"') == 12
    assert "Domän" in html
    assert "436.25" in html
    assert not RecurringInvoice.objects.exists()


def test_preview_of_incomplete_lines_says_what_is_missing(company):
    client, _user = staff_client(company)

    response = client.post(
        reverse("staff:recurring_create"),
        _form_data(
            PersonFactory(company=company).pk, [{"description": "Webbhotell", "unit_price": ""}], action="preview"
        ),
        **HTMX,
    )

    assert "Line 1:" in response.content.decode()
    assert not RecurringInvoice.objects.exists()


def test_a_refused_line_shows_its_error_on_its_row_and_nothing_is_saved(company):
    client, _user = staff_client(company)

    response = client.post(
        reverse("staff:recurring_create"),
        _form_data(
            PersonFactory(company=company).pk,
            [{"description": "Webbhotell", "unit_price": "199", "factor": "0"}],
            action="save",
        ),
    )

    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["factor"] == ["The factor is a whole number from 1 to 100."]
    assert not RecurringInvoice.objects.exists()


def test_edit_keeps_the_lines_and_shows_what_was_generated(company):
    client, user = staff_client(company)
    web = recurring(
        company, PersonFactory(company=company), user, line("Webbhotell", "199", "monthly", dt.date(2027, 3, 1))
    )
    recurring_generate(today=TODAY)
    existing = web.lines.get()

    page = client.get(reverse("staff:recurring_edit", args=[web.pk]))
    assert 'id="generated"' in page.content.decode()
    assert "2027-03-01" in page.content.decode()

    data = _form_data(None, [{"id": str(existing.pk), "description": "Webbhotell Plus", "unit_price": "249"}])
    data.update({"lines-INITIAL_FORMS": "1", "action": "save"})
    response = client.post(reverse("staff:recurring_edit", args=[web.pk]), data)

    assert response.status_code == 302
    assert list(web.lines.values_list("description", "unit_price", "next_on", "start_on")) == [
        ("Webbhotell Plus", Decimal("249.0000"), dt.date(2027, 4, 1), dt.date(2027, 3, 1))
    ]


def test_generate_now_makes_the_due_orders_of_this_company_only(company):
    client, user = staff_client(company)
    web = recurring(
        company, PersonFactory(company=company), user, line("Webbhotell", "199", "monthly", dt.date(2027, 2, 1))
    )
    other = CompanyFactory()
    theirs = recurring(other, PersonFactory(company=other), None, line("Y", "1", "monthly", dt.date(2027, 2, 1)))

    response = client.post(reverse("staff:recurring_generate"))

    assert response.url == reverse("staff:recurring_orders")
    assert messages_of(response) == ["2 orders were generated; invoice them below."]
    assert [o.recurring_on for o in orders_of(web)] == [dt.date(2027, 2, 1), dt.date(2027, 3, 1)]
    assert orders_of(theirs) == []


def test_orders_page_invoices_the_ticked_orders_in_one_batch(company):
    client, user = staff_client(company)
    for name in ("Anna", "Bertil", "Cecilia"):
        recurring(company, PersonFactory(company=company, name=name), user, line("Webb", "100", "monthly", TODAY))
    first, second, third = recurring_generate(today=TODAY).order_ids

    page = client.get(reverse("staff:recurring_orders"))
    assert page.content.decode().count('class="order-row"') == 3

    response = client.post(
        reverse("staff:recurring_orders_invoice"),
        {"order": [str(first), str(third)], "scope": "selected", "issued_on": "2027-03-11"},
    )

    assert messages_of(response) == ["2 invoices were issued: 1 to 2."]
    issued = Invoice.objects.filter(status=InvoiceStatus.ISSUED).order_by("number")
    assert [(i.pk, i.number, i.issued_on) for i in issued] == [
        (first, 1, dt.date(2027, 3, 11)),
        (third, 2, dt.date(2027, 3, 11)),
    ]
    assert Invoice.objects.get(pk=second).status == InvoiceStatus.DRAFT


def test_invoice_one_order_and_invoice_all(company):
    client, user = staff_client(company)
    for name in ("Anna", "Bertil"):
        recurring(company, PersonFactory(company=company, name=name), user, line("Webb", "100", "monthly", TODAY))
    first, second = recurring_generate(today=TODAY).order_ids

    one = client.post(reverse("staff:recurring_orders_invoice"), {"only": str(second), "issued_on": "2027-03-10"})
    assert one.url == reverse("staff:invoice_detail", args=[second])
    everything = client.post(reverse("staff:recurring_orders_invoice"), {"scope": "all", "issued_on": "2027-03-10"})

    assert messages_of(everything)[-1] == "Invoice 2 was issued."
    assert dict(Invoice.objects.values_list("pk", "number")) == {second: 1, first: 2}


def test_adjusting_an_order_keeps_its_line_period(company):
    client, user = staff_client(company)
    recurring(company, PersonFactory(company=company), user, line("Webb", "100", "quarterly", TODAY))
    (order_id,) = recurring_generate(today=TODAY).order_ids
    order_line = InvoiceLine.objects.get(invoice_id=order_id)

    page = client.get(reverse("staff:invoice_edit", args=[order_id]))
    formset = page.context["formset"]
    data = {
        "currency": "SEK", "payment_terms_days": "30", "buyer_reference": "", "order_reference": "",
        "seller_reference": "", "email": "", "note": "",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "Webb, justerad", "lines-0-quantity": "1", "lines-0-unit": "st",
        "lines-0-unit_price": "120", "lines-0-vat": "S:25",
        "lines-0-period_start": formset.forms[0].initial["period_start"].isoformat(),
        "lines-0-period_end": formset.forms[0].initial["period_end"].isoformat(),
        "lines-0-account_code": "",
    }  # fmt: skip
    response = client.post(reverse("staff:invoice_edit", args=[order_id]), data)

    assert response.status_code == 302
    adjusted = InvoiceLine.objects.get(invoice_id=order_id)
    assert (adjusted.description, adjusted.unit_price) == ("Webb, justerad", Decimal("120.0000"))
    assert (adjusted.period_start, adjusted.period_end) == (order_line.period_start, order_line.period_end)


def test_delete_stops_it_and_keeps_its_orders(company):
    client, user = staff_client(company)
    web = recurring(company, PersonFactory(company=company, name="Anna"), user, line("Webb", "100", "monthly", TODAY))
    recurring_generate(today=TODAY)

    response = client.post(reverse("staff:recurring_delete", args=[web.pk]))

    assert messages_of(response) == ["The recurring invoice of Anna was deleted; the orders it made stay."]
    web.refresh_from_db()
    assert not web.is_active
    assert len(orders_of(web)) == 1
    assert client.get(reverse("staff:recurring_edit", args=[web.pk])).status_code == 404


def test_another_companys_recurring_invoice_is_not_found(company):
    client, _user = staff_client(company)
    other = CompanyFactory()
    theirs = recurring(other, PersonFactory(company=other), None, line("Y", "1", "monthly", TODAY))

    assert client.get(reverse("staff:recurring_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("staff:recurring_delete", args=[theirs.pk])).status_code == 404
    assert RecurringInvoice.objects.get(pk=theirs.pk).is_active


def test_notice_icon_counts_ready_recurring_invoices_and_none_hides_it(company):
    client, user = staff_client(company)
    for _ in range(2):
        recurring(company, PersonFactory(company=company), user, line("Webb", "100", "monthly", TODAY))

    html = client.get(reverse("staff:customer_list")).content.decode()
    assert '<span class="badge notice"' in html
    assert ">2</span>" in html
    assert 'id="recurring-popup"' not in html

    client.post(reverse("staff:recurring_settings"), {"action": "notice", "kind": "none"})
    assert RecurringNotice.objects.get(user=user).kind == "none"
    assert '<span class="badge notice"' not in client.get(reverse("staff:customer_list")).content.decode()


def test_notice_popup_shows_once_per_login(company):
    client, user = staff_client(company, role="read_only")
    recurring(company, PersonFactory(company=company), user, line("Webb", "100", "monthly", TODAY))
    client.post(reverse("staff:recurring_settings"), {"action": "notice", "kind": "popup"})

    first = client.get(reverse("staff:customer_list")).content.decode()
    second = client.get(reverse("staff:customer_list")).content.decode()
    client.logout()
    client.force_login(user)
    after_login = client.get(reverse("staff:customer_list")).content.decode()

    assert 'id="recurring-popup"' in first
    assert "1 recurring invoice is ready for generation." in first
    assert 'id="recurring-popup"' not in second
    assert 'id="recurring-popup"' in after_login


def test_period_text_is_set_by_administrators_only(company):
    client, _user = staff_client(company, role="admin")
    data = {
        "action": "period",
        "has_period_text": "on",
        "period_text_template": "Avser [START] – [END]",
        "period_advance_factor": "2",
        "period_advance_unit": "weeks",
    }

    response = client.post(reverse("staff:recurring_settings"), data)

    assert response.status_code == 302
    company = Company.objects.get(pk=company.pk)
    assert (company.has_period_text, company.period_text_template, company.period_advance_factor) == (
        True,
        "Avser [START] – [END]",
        2,
    )
    accountant = Client()
    accountant.force_login(staff_client(company)[1])
    refused = accountant.post(reverse("staff:recurring_settings"), {**data, "period_text_template": "X"})
    assert refused.status_code == 403
    assert Company.objects.get(pk=company.pk).period_text_template == "Avser [START] – [END]"


def test_invoice_pages_show_an_order_as_recurring(company):
    client, user = staff_client(company)
    web = recurring(company, PersonFactory(company=company), user, line("Webb", "100", "monthly", TODAY))
    (order_id,) = recurring_generate(today=TODAY).order_ids

    listing = client.get(reverse("staff:invoice_list")).content.decode()
    detail = client.get(reverse("staff:invoice_detail", args=[order_id])).content.decode()

    assert '<span class="badge recurring">Recurring</span>' in listing
    assert reverse("staff:recurring_edit", args=[web.pk]) in detail
    assert "2027-03-10" in detail
