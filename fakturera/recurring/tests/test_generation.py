"""Generating orders from recurring invoices, adjusting and invoicing them (seed 002)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from fakturera.catalog.models import Product
from fakturera.catalog.services import catalog_item_save
from fakturera.catalog.tests.factories import ProductFactory
from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceVat, NumberSeries
from fakturera.invoicing.services import invoice_issue, invoice_update_draft, invoices_issue_drafts
from fakturera.invoicing.states import EventKind, InvoiceStatus
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory
from fakturera.recurring.models import RecurringInvoice, RecurringLine
from fakturera.recurring.selectors import recurring_due_count, recurring_list, recurring_orders
from fakturera.recurring.services import (
    recurring_delete,
    recurring_generate,
    recurring_preview,
    recurring_update,
)
from fakturera.recurring.tests.helpers import line, order_lines, orders_of, recurring

pytestmark = pytest.mark.django_db

JAN_1 = dt.date(2027, 1, 1)


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_web_hosting_a_year_of_daily_runs_makes_eleven_hosting_orders_and_a_twelfth_with_the_domain(
    company, admin_user
):
    # given seed 002's example: hosting monthly from the 1st, the domain fee yearly, due in the twelfth month
    customer = PersonFactory(company=company)
    web = recurring(
        company,
        customer,
        admin_user,
        line("Webbhotell", "199", "monthly", JAN_1),
        line("Domänavgift", "150", "yearly", dt.date(2027, 12, 1)),
        description="Webbhotell",
    )

    # when generation runs every day for twelve months
    for day in _days(JAN_1, dt.date(2027, 12, 31)):
        recurring_generate(today=day)

    # then twelve orders, on the 1st of each month: eleven with hosting only, the twelfth with both
    orders = orders_of(web)
    assert [order.recurring_on for order in orders] == [dt.date(2027, month, 1) for month in range(1, 13)]
    assert [order_lines(order) for order in orders] == [["Webbhotell"]] * 11 + [["Webbhotell", "Domänavgift"]]
    assert all(order.status == InvoiceStatus.DRAFT and order.customer_id == customer.pk for order in orders)
    assert [order.total_amount for order in orders] == [Decimal("248.75")] * 11 + [Decimal("436.25")]
    # and each line's next date moved on along its own schedule
    assert list(web.lines.order_by("position").values_list("next_on", flat=True)) == [
        dt.date(2028, 1, 1),
        dt.date(2028, 12, 1),
    ]


def test_a_missed_run_catches_up_one_order_per_date_and_a_second_run_adds_nothing(company, admin_user):
    # given a month-end line from January 31 that nobody generated until April 15
    customer = PersonFactory(company=company)
    rent = recurring(company, customer, admin_user, line("Hyra", "1000", "monthly", dt.date(2027, 1, 31)))

    # when generation runs twice on April 15
    first = recurring_generate(today=dt.date(2027, 4, 15))
    second = recurring_generate(today=dt.date(2027, 4, 15))

    # then one order per missed date, in order, keeping the month's end; nothing twice
    assert (first.orders, second.orders) == (3, 0)
    assert [o.recurring_on for o in orders_of(rent)] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
    ]
    assert rent.lines.get().next_on == dt.date(2027, 4, 30)
    # and the 31st returns after the short months
    recurring_generate(today=dt.date(2027, 6, 1))
    assert [o.recurring_on for o in orders_of(rent)][3:] == [dt.date(2027, 4, 30), dt.date(2027, 5, 31)]


def test_dynamic_pricing_picks_a_price_change_between_generations_fixed_does_not(company, admin_user):
    # given a product at 100 on a dynamic line and a fixed line
    product = ProductFactory(company=company, name="Support", unit_price=Decimal("100.00"))
    customer = PersonFactory(company=company)
    support = recurring(
        company,
        customer,
        admin_user,
        line("Support (dynamic)", "", "monthly", JAN_1, product=product, pricing="dynamic"),
        line("Support (fixed)", "", "monthly", JAN_1, product=product, pricing="fixed"),
    )
    recurring_generate(today=JAN_1)

    # when the product's price changes before the next generation
    catalog_item_save(model=Product, company=company, instance=product, unit_price="120")
    recurring_generate(today=dt.date(2027, 2, 1))

    # then the dynamic line bills the new price, the fixed line the price it was created with
    january, february = orders_of(support)
    assert [line.unit_price for line in january.lines.all()] == [Decimal("100.0000"), Decimal("100.0000")]
    assert [line.unit_price for line in february.lines.all()] == [Decimal("120.0000"), Decimal("100.0000")]
    assert february.net_amount == Decimal("220.00")


def test_period_text_with_a_two_week_advance_reads_as_in_the_seed(admin_user):
    # given the company's period text, two weeks ahead
    company = CompanyFactory(
        has_period_text=True,
        period_text_template="Gäller för perioden [START] till [END]",
        period_advance_factor=2,
        period_advance_unit="weeks",
    )
    StaffFactory(company=company, user=admin_user, role="admin")
    hosting = recurring(
        company, PersonFactory(company=company), admin_user, line("Webbhotell", "100", "monthly", dt.date(2009, 1, 1))
    )

    # when January's order is generated
    recurring_generate(company=company, today=dt.date(2009, 1, 1))

    # then its line names the period, and carries it as the line's period
    (order,) = orders_of(hosting)
    (order_line,) = order.lines.all()
    assert order_line.description == "Webbhotell – Gäller för perioden 2009-01-15 till 2009-02-14"
    assert (order_line.period_start, order_line.period_end) == (dt.date(2009, 1, 15), dt.date(2009, 2, 14))


def test_without_period_text_the_line_keeps_its_description_and_the_plain_period(company, admin_user):
    hosting = recurring(
        company, PersonFactory(company=company), admin_user, line("Webbhotell", "100", "quarterly", JAN_1)
    )

    recurring_generate(today=JAN_1)

    (order_line,) = orders_of(hosting)[0].lines.all()
    assert order_line.description == "Webbhotell"
    assert (order_line.period_start, order_line.period_end) == (JAN_1, dt.date(2027, 3, 31))


def test_deleting_stops_generation_and_keeps_the_orders(company, admin_user):
    customer = PersonFactory(company=company)
    web = recurring(company, customer, admin_user, line("Webbhotell", "199", "monthly", JAN_1))
    recurring_generate(today=JAN_1)

    recurring_delete(recurring_invoice=web, actor=admin_user)
    result = recurring_generate(today=dt.date(2027, 6, 1))

    assert result.orders == 0
    assert [o.recurring_on for o in orders_of(web)] == [JAN_1]
    assert not recurring_list(company=company).exists()
    with pytest.raises(DomainError, match="deleted"):
        recurring_update(recurring_invoice=web, actor=admin_user, description="again")


def test_generation_for_one_company_leaves_the_others(company, admin_user):
    other = CompanyFactory()
    other_user = StaffFactory(company=other).user
    mine = recurring(company, PersonFactory(company=company), admin_user, line("A", "10", "monthly", JAN_1))
    theirs = recurring(other, PersonFactory(company=other), other_user, line("B", "10", "monthly", JAN_1))

    assert recurring_due_count(company=company, today=JAN_1) == 1
    recurring_generate(company=company, today=JAN_1)

    assert len(orders_of(mine)) == 1
    assert orders_of(theirs) == []
    assert recurring_due_count(company=company, today=JAN_1) == 0
    assert recurring_due_count(company=other, today=JAN_1) == 1


def test_an_order_is_adjusted_then_invoiced_and_keeps_its_origin(company, admin_user):
    # given a generated order
    web = recurring(company, PersonFactory(company=company), admin_user, line("Webbhotell", "199", "monthly", JAN_1))
    (order_id,) = recurring_generate(today=JAN_1).order_ids
    order = Invoice.objects.get(pk=order_id)

    # when staff change its price and add a line, then invoice it
    invoice_update_draft(
        invoice=order,
        actor=admin_user,
        lines=[
            {"description": "Webbhotell", "quantity": "1", "unit_price": "249", "vat_rate": "25"},
            {"description": "Extra e-post", "quantity": "2", "unit_price": "10", "vat_rate": "25"},
        ],
    )
    issued = invoice_issue(invoice=order, actor=admin_user, issued_on=dt.date(2027, 1, 2))

    # then it is an ordinary issued invoice, still known as generated from the recurring invoice
    assert (issued.status, issued.number, issued.net_amount) == (InvoiceStatus.ISSUED, 1, Decimal("269.00"))
    assert (issued.recurring_invoice_id, issued.recurring_on) == (web.pk, JAN_1)
    assert not recurring_orders(company=company).exists()
    assert web.lines.get().unit_price == Decimal("199.0000")


def test_orders_invoiced_in_bulk_get_consecutive_numbers_totals_vat_and_history(company, admin_user):
    # given three customers' orders and one ordinary invoice already issued
    product = ProductFactory(company=company, unit_price=Decimal("80"), vat_category="S", vat_rate=Decimal("6"))
    for name in ("Anna", "Bertil", "Cecilia"):
        recurring(
            company,
            PersonFactory(company=company, name=name),
            admin_user,
            line("Tidning", "", "monthly", JAN_1, product=product, pricing="dynamic", vat_rate="6"),
            line("Support", "100.005", "monthly", JAN_1),
        )
    ids = recurring_generate(today=JAN_1).order_ids

    # when they are invoiced at once, on their date
    with time_machine.travel(dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC), tick=False):
        invoices = invoices_issue_drafts(
            company=company, actor=admin_user, invoice_ids=ids, issued_on=dt.date(2027, 1, 5)
        )

    # then numbers 1..3 in order, totals by the one rule, a VAT breakdown per rate, an event each
    assert [i.number for i in invoices] == [1, 2, 3]
    stored = Invoice.objects.filter(pk__in=ids).order_by("number")
    assert [(i.status, i.number, i.issued_on, i.due_on) for i in stored] == [
        (InvoiceStatus.ISSUED, n, dt.date(2027, 1, 5), dt.date(2027, 2, 4)) for n in (1, 2, 3)
    ]
    first = stored[0]
    assert (first.net_amount, first.vat_amount, first.total_amount) == (
        Decimal("180.01"),
        Decimal("29.80"),
        Decimal("209.81"),
    )
    assert first.buyer["name"] == "Anna"
    assert first.seller["name"] == company.name
    assert first.payment_reference
    assert sorted(InvoiceVat.objects.filter(invoice=first).values_list("vat_rate", "vat_amount")) == [
        (Decimal("6.00"), Decimal("4.80")),
        (Decimal("25.00"), Decimal("25.00")),
    ]
    assert InvoiceEvent.objects.filter(invoice_id__in=ids, kind=EventKind.ISSUED).count() == 3
    assert NumberSeries.objects.get(company=company).next_number == 4
    assert invoices[0].display_number == "1"


def test_bulk_invoicing_leaves_out_what_was_invoiced_meanwhile_and_refuses_nothing_left(company, admin_user):
    for _ in range(2):
        recurring(company, PersonFactory(company=company), admin_user, line("A", "10", "monthly", JAN_1))
    first, second = recurring_generate(today=JAN_1).order_ids
    invoice_issue(invoice=Invoice.objects.get(pk=first), actor=admin_user)

    invoices = invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=[first, second])

    assert [(i.pk, i.number) for i in invoices] == [(second, 2)]
    with pytest.raises(DomainError, match="None of the chosen drafts is left"):
        invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=[first, second])


def test_bulk_invoicing_refuses_a_draft_without_lines_and_writes_nothing(company, admin_user):
    recurring(company, PersonFactory(company=company), admin_user, line("A", "10", "monthly", JAN_1))
    (order_id,) = recurring_generate(today=JAN_1).order_ids
    empty = Invoice.objects.create(company=company, customer=PersonFactory(company=company))

    with pytest.raises(DomainError, match=f"Draft {empty.pk} has no lines"):
        invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=[order_id, empty.pk])

    assert not Invoice.objects.filter(status=InvoiceStatus.ISSUED).exists()
    assert NumberSeries.objects.get(company=company).next_number == 1


def test_another_companys_drafts_are_not_invoiced(company, admin_user):
    other = CompanyFactory()
    recurring(other, PersonFactory(company=other), StaffFactory(company=other).user, line("B", "10", "monthly", JAN_1))
    (theirs,) = recurring_generate(today=JAN_1).order_ids

    with pytest.raises(DomainError):
        invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=[theirs])
    assert Invoice.objects.get(pk=theirs).status == InvoiceStatus.DRAFT


def test_refusals_say_which_line_and_field_and_write_nothing(company, admin_user):
    customer = PersonFactory(company=company)

    with pytest.raises(ValidationFailed) as refused:
        recurring(
            company,
            customer,
            admin_user,
            line("Utan produkt", "10", "monthly", JAN_1, pricing="dynamic"),
            line("Noll", "10", "monthly", JAN_1, factor=0),
            line("Aldrig", "10", "sometimes", JAN_1),
            line("", "-5", "monthly", None),
        )

    assert set(refused.value.errors) == {
        "lines.0.pricing",
        "lines.1.factor",
        "lines.2.frequency",
        "lines.3.next_on",
        "lines.3.description",
        "lines.3.unit_price",
    }
    assert not RecurringInvoice.objects.exists()


def test_a_date_already_generated_cannot_be_set_again(company, admin_user):
    web = recurring(company, PersonFactory(company=company), admin_user, line("A", "10", "monthly", JAN_1))
    recurring_generate(today=dt.date(2027, 2, 1))
    existing = web.lines.get()

    with pytest.raises(ValidationFailed) as refused:
        recurring_update(
            recurring_invoice=web, actor=admin_user, lines=[line("A", "10", "monthly", JAN_1, id=existing.pk)]
        )

    assert "already generated" in refused.value.errors["lines.0.next_on"][0]
    assert web.lines.get().next_on == dt.date(2027, 3, 1)


def test_editing_keeps_the_month_end_anchor_and_a_new_date_starts_afresh(company, admin_user):
    # given a line from January 31, generated through February (its next date is March 31)
    rent = recurring(
        company, PersonFactory(company=company), admin_user, line("Hyra", "10", "monthly", dt.date(2027, 1, 31))
    )
    recurring_generate(today=dt.date(2027, 2, 28))
    current = rent.lines.get()
    assert (current.start_on, current.next_on) == (dt.date(2027, 1, 31), dt.date(2027, 3, 31))

    # when only its description changes, the anchor stays; when its date changes, the date is the anchor
    recurring_update(
        recurring_invoice=rent,
        actor=admin_user,
        lines=[line("Lokalhyra", "10", "monthly", dt.date(2027, 3, 31), id=current.pk)],
    )
    kept = rent.lines.get()
    recurring_update(
        recurring_invoice=rent,
        actor=admin_user,
        lines=[line("Lokalhyra", "10", "monthly", dt.date(2027, 4, 15), id=kept.pk)],
    )
    moved = rent.lines.get()

    assert (kept.description, kept.start_on) == ("Lokalhyra", dt.date(2027, 1, 31))
    assert (moved.start_on, moved.next_on) == (dt.date(2027, 4, 15), dt.date(2027, 4, 15))


def test_preview_shows_the_next_twelve_months_with_amounts(company):
    preview = recurring_preview(
        company=company,
        lines=[line("Webbhotell", "199", "monthly", JAN_1), line("Domän", "150", "yearly", dt.date(2027, 12, 1))],
        today=JAN_1,
    )

    assert [order.on for order in preview] == [dt.date(2027, month, 1) for month in range(1, 13)]
    assert [len(order.lines) for order in preview] == [1] * 11 + [2]
    assert preview[-1].totals.total_amount == Decimal("436.25")
    assert not RecurringLine.objects.exists()


def test_a_vat_mix_outside_the_scope_is_refused_for_the_whole_recurring_invoice(company, admin_user):
    with pytest.raises(DomainError, match="outside the scope of VAT"):
        recurring(
            company,
            PersonFactory(company=company),
            admin_user,
            line("A", "10", "monthly", JAN_1),
            line("B", "10", "yearly", JAN_1, vat_category="O", vat_rate="0"),
        )


def test_the_command_generates_up_to_the_given_date(company, admin_user):
    web = recurring(company, PersonFactory(company=company), admin_user, line("A", "10", "monthly", JAN_1))
    out = StringIO()

    call_command("generate-recurring", "--date", "2027-03-01", stdout=out)

    assert len(orders_of(web)) == 3
    assert "3 orders from 1 recurring invoice" in out.getvalue()
    assert InvoiceLine.objects.filter(invoice__recurring_invoice=web).count() == 3
