"""Seed 002: recurring invoices ("Repeterande faktura"): lines with their own price,
pricing, frequency, factor and date generate orders, which staff adjust and invoice
(../shared/seeds/002_*.txt).

Each step quotes the document between « and » and then checks what staff would see.
Built through the public services and selectors of recurring, invoicing, catalog and
parties.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from fakturera.catalog.models import Product
from fakturera.catalog.services import catalog_item_save
from fakturera.core.errors import StateConflict
from fakturera.invoicing.services import invoice_update_draft, invoices_issue_drafts
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import CustomerKind
from fakturera.parties.services import company_create, company_update, customer_create
from fakturera.parties.tests.factories import UserFactory
from fakturera.recurring.models import NoticeKind
from fakturera.recurring.selectors import (
    recurring_due_count,
    recurring_generated,
    recurring_list,
    recurring_notice_kind,
    recurring_orders,
)
from fakturera.recurring.services import recurring_create, recurring_delete, recurring_generate, recurring_notice_set
from fakturera.scenarios.tests.seeds import assert_quotes_are_the_documents

pytestmark = pytest.mark.django_db

JAN_1 = dt.date(2027, 1, 1)


def line(description: str, price: str, frequency: str, next_on: dt.date, **more: object) -> dict[str, object]:
    return {
        "description": description,
        "quantity": "1",
        "unit_price": price,
        "vat_rate": "25",
        "frequency": frequency,
        "factor": 1,
        "next_on": next_on,
        **more,
    }


def lines_of(order) -> list[str]:
    return [order_line.description for order_line in order.lines.order_by("position")]


@pytest.fixture
def webhost():
    """A web hosting company and its administrator."""
    admin = UserFactory(username="ekonomi")
    company = company_create(
        actor=admin,
        name="Webbhotellet i Norden AB",
        org_number="556703-7485",
        vat_number="SE556703748501",
        bankgiro="991-2346",
    )
    return company, admin


def test_the_web_hosting_example_a_year_of_monthly_rent_and_a_yearly_domain_fee(webhost):
    company, admin = webhost
    shop = customer_create(company=company, kind=CustomerKind.ORGANISATION, name="Butiken AB", org_number="5560360793")

    # «Exempel på repeterande faktura» «Vi ska fakturera ett webhotell den 1 i varje månad.»
    # «Vi lägger till två produktrader, en för hyra av webhotell och en för domänavgift.»
    # «1. Välj Ny repeterande faktura, då öppnas en fakturabild.» «2. Först måste man välja
    # vilken kund som ska faktureras samt fylla i fakturadetaljerna.» «4. Lägg in Pris, Antal,
    # Prisberäkning, Frekvens (daglig, veckovis, månadsvis, kvartalsvis, halvårsvis, årsvis) och
    # Datum på varje produkt.» «Det är mycket viktigt att man sätter förfallodatumet till samma
    # datum oavsett månad»: the domain fee falls due on the 1st too.
    hosting = recurring_create(
        company=company,
        customer=shop,
        actor=admin,
        description="Webbhotell",
        buyer_reference="Avtal 12",
        lines=[
            line("Hyra av webbhotell", "199", "monthly", JAN_1),
            line("Domänavgift", "150", "yearly", dt.date(2027, 12, 1)),
        ],
    )

    # «När man öppnar upp funktionen Repeterande faktura får man upp en översikt över redan
    # skapade repeterande fakturor och när nästa förfallodatum är.» «Fliken Repeterande faktura
    # visas också i CRM på respektive kund»
    [listed] = recurring_list(company=company)
    assert (listed, listed.next_on, listed.line_count) == (hosting, JAN_1, 2)
    assert list(recurring_list(company=company, customer=shop)) == [hosting]

    # «En repeterande faktura är klar till generering om dagens datum är lika med eller större
    # än» a line's date. «När datum för generering av fakturan kommer, första gången är datum
    # satt på varulinjen i varukorgen genererar systemet automatiskt en order»: the nightly run,
    # here on the 1st and the 15th of every month of the year.
    assert recurring_due_count(company=company, today=dt.date(2026, 12, 31)) == 0
    assert recurring_due_count(company=company, today=JAN_1) == 1
    for month in range(1, 13):
        for day in (1, 15):
            recurring_generate(company=company, today=dt.date(2027, month, day))

    # «Totalt 12 månader, vilket blir 12 repeterande fakturor.» «I detta exempel kommer 11
    # repeterande fakturor innehålla bara hyra av webhotell, medan den 12:e kommer innehålla
    # både hyra av webhotell och domänavgift.»
    # «Vid generering så skapas det en order som får orderstatus Repeterande.»
    orders = list(recurring_orders(company=company, recurring_invoice=hosting))
    assert [order.recurring_on for order in orders] == [dt.date(2027, month, 1) for month in range(1, 13)]
    assert [lines_of(order) for order in orders] == [["Hyra av webbhotell"]] * 11 + [
        ["Hyra av webbhotell", "Domänavgift"]
    ]
    assert [order.total_amount for order in orders] == [Decimal("248.75")] * 11 + [Decimal("436.25")]
    assert all(order.status == InvoiceStatus.DRAFT and order.buyer_reference == "Avtal 12" for order in orders)
    [listed] = recurring_list(company=company)
    assert listed.next_on == dt.date(2028, 1, 1)

    # «Den genererade ordern kan justeras och sedan faktureras.» «Om man önskar att göra
    # ändringar på fakturan innan man skickar ut den, måste det göras innan den faktureras.»
    # December's order gets an extra mailbox before it is invoiced.
    december = orders[-1]
    invoice_update_draft(
        invoice=december,
        actor=admin,
        lines=[
            {"description": "Hyra av webbhotell", "unit_price": "199", "vat_rate": "25"},
            {"description": "Domänavgift", "unit_price": "150", "vat_rate": "25"},
            {"description": "Extra brevlåda", "unit_price": "20", "vat_rate": "25"},
        ],
    )

    # «Gå in och markera de ordrar som ska faktureras och klicka på Fakturera. Detta genererar
    # en faktura och man kan välja att skriva ut den eller skicka på mail.» (Sending: seed 003.)
    # (on that day: an invoice is not dated more than the company's days ahead of today)
    with time_machine.travel(dt.datetime(2027, 12, 2, 9, tzinfo=dt.UTC), tick=False):
        invoiced = invoices_issue_drafts(
            company=company, actor=admin, invoice_ids=[order.pk for order in orders], issued_on=dt.date(2027, 12, 2)
        )
    assert [invoice.number for invoice in invoiced] == list(range(1, 13))
    assert not recurring_orders(company=company).exists()
    generated = list(recurring_generated(company=company, recurring_invoice=hosting))
    assert [invoice.status for invoice in generated] == [InvoiceStatus.ISSUED] * 12
    assert generated[0].total_amount == Decimal("461.25")  # December, with the mailbox
    with pytest.raises(StateConflict):
        invoice_update_draft(invoice=generated[0], actor=admin, note="too late")

    # «Hur man raderar en repeterande faktura» «Märk den fakturan som ska raderas och klicka på
    # radera.» Nothing more is generated; what it made stays.
    recurring_delete(recurring_invoice=hosting, actor=admin)
    assert recurring_generate(company=company, today=dt.date(2028, 6, 1)).orders == 0
    assert not recurring_list(company=company).exists()
    assert recurring_generated(company=company, recurring_invoice=hosting).count() == 12


def test_each_line_has_its_own_pricing_frequency_factor_and_date(webhost):
    company, admin = webhost
    customer = customer_create(company=company, kind=CustomerKind.PERSON, name="Karin Kund")
    support = catalog_item_save(model=Product, company=company, name="Support", unit_price="100", vat_rate="25")

    # «Dynamisk prisberäkning kommer priset på fakturan vara rörligt, alltså det pris som är
    # registrerat på produkten vid generering av fakturan kommer att vara det gällande priset.
    # Fast pris är det pris som blir valt vid det tillfälle man skapade den repeterande fakturan.»
    # «Exempel 2: om man väljer frekvens månadsvis och faktor 2, kommer fakturan att genereras
    # varannan månad.» «Exempel 3: om man väljer frekvens kvartal och faktor 2, kommer fakturan
    # att genereras vartannat kvartal.»
    recurring = recurring_create(
        company=company,
        customer=customer,
        actor=admin,
        lines=[
            line("Support, rörligt", "", "monthly", JAN_1, product=support, pricing="dynamic"),
            line("Support, fast", "", "monthly", JAN_1, product=support, pricing="fixed"),
            line("Säkerhetskopia", "50", "monthly", JAN_1, factor=2),
            line("Översyn", "900", "quarterly", JAN_1, factor=2),
        ],
    )

    # «Datum anger när ordern ska genereras nästa gång. Vid generering blir detta datum ändrat
    # automatiskt utifrån existerande datum, frekvens och faktor. Observera, det är detta datum
    # som styr genereringen och inte dagens datum vid generering som bestämmer nästa datum.»
    # The January run happens on the 5th; the next dates still count from the 1st.
    recurring_generate(company=company, today=dt.date(2027, 1, 5))
    assert [(rl.description, rl.next_on) for rl in recurring.lines.order_by("position")] == [
        ("Support, rörligt", dt.date(2027, 2, 1)),
        ("Support, fast", dt.date(2027, 2, 1)),
        ("Säkerhetskopia", dt.date(2027, 3, 1)),
        ("Översyn", dt.date(2027, 7, 1)),
    ]

    # Support's price rises to 120 before February's order.
    catalog_item_save(model=Product, company=company, instance=support, unit_price="120")
    recurring_generate(company=company, today=dt.date(2027, 7, 1))

    orders = {order.recurring_on: order for order in recurring_orders(company=company)}
    assert sorted(orders) == [dt.date(2027, month, 1) for month in range(1, 8)]
    assert [(ol.description, ol.unit_price) for ol in orders[dt.date(2027, 2, 1)].lines.order_by("position")] == [
        ("Support, rörligt", Decimal("120.0000")),
        ("Support, fast", Decimal("100.0000")),
    ]
    every_other_month = [on.month for on, order in sorted(orders.items()) if "Säkerhetskopia" in lines_of(order)]
    every_other_quarter = [on.month for on, order in sorted(orders.items()) if "Översyn" in lines_of(order)]
    assert (every_other_month, every_other_quarter) == ([1, 3, 5, 7], [1, 7])


def test_the_period_text_names_the_period_and_its_advance(webhost):
    company, admin = webhost
    customer = customer_create(company=company, kind=CustomerKind.PERSON, name="Karin Kund")
    january_2009 = dt.date(2009, 1, 1)

    # «För att aktivera denna funktion kan man kryssa för Infoga periodtext som artikelrad på
    # faktura.» «Exempel: Fakturadatum: 2009-01-01, frekvens: månadsvis» «Periodtext: Gäller för
    # perioden [START] till [END]. Denna text kommer då att bli Gäller för perioden 2009-01-01 till
    # 2009-01-31.»
    company_update(company=company, has_period_text=True, period_text_template="Gäller för perioden [START] till [END]")
    plain = recurring_create(
        company=company, customer=customer, actor=admin, lines=[line("Webbhotell", "100", "monthly", january_2009)]
    )
    recurring_generate(company=company, today=january_2009)
    [order] = recurring_orders(company=company, recurring_invoice=plain)
    assert lines_of(order) == ["Webbhotell – Gäller för perioden 2009-01-01 till 2009-01-31"]

    # «Förskott faktor 2; förskott intervall: vecka (alltså förskott 2 veckor.)» «Periodtexten
    # kommer då att bli Gäller för perioden 2009-01-15 till 2009-02-14.»
    company_update(company=company, period_advance_factor=2, period_advance_unit="weeks")
    ahead = recurring_create(
        company=company, customer=customer, actor=admin, lines=[line("Webbhotell", "100", "monthly", january_2009)]
    )
    recurring_generate(company=company, today=january_2009)
    [order] = recurring_orders(company=company, recurring_invoice=ahead)
    [order_line] = order.lines.all()
    assert order_line.description == "Webbhotell – Gäller för perioden 2009-01-15 till 2009-02-14"
    assert (order_line.period_start, order_line.period_end) == (dt.date(2009, 1, 15), dt.date(2009, 2, 14))


def test_staff_choose_how_they_are_told_that_orders_are_ready(webhost):
    company, admin = webhost
    customer = customer_create(company=company, kind=CustomerKind.PERSON, name="Karin Kund")
    recurring_create(
        company=company, customer=customer, actor=admin, lines=[line("Webbhotell", "199", "monthly", JAN_1)]
    )

    # «Man kan få ett popup-meddelande när ordern är klar för generering.» «Varna mig med en
    # ikon – Det kommer att visas en ikon i menyn när det finns ordrar klara för generering.»
    # The icon is the default, and counts what is ready.
    assert recurring_notice_kind(company=company, user=admin) == NoticeKind.ICON
    assert recurring_due_count(company=company, today=JAN_1) == 1

    # «Varna mig med en popup: En ikon kommer att visas och en popup kommer upp när man loggar
    # sig på som säger att det finns ordrar klara för generering.» «Varna mig inte – Man kommer
    # inte att få någon varning alls»
    recurring_notice_set(company=company, user=admin, kind=NoticeKind.POPUP)
    assert recurring_notice_kind(company=company, user=admin) == NoticeKind.POPUP
    recurring_notice_set(company=company, user=admin, kind=NoticeKind.NONE)
    assert recurring_notice_kind(company=company, user=admin) == NoticeKind.NONE

    # «Klicka på ikonen för att starta genereringen.»: Generate now makes the order; nothing is
    # ready after it.
    assert recurring_generate(company=company, today=JAN_1, actor=admin).orders == 1
    assert recurring_due_count(company=company, today=JAN_1) == 0


@pytest.mark.needs_shared("the seed documents")
def test_the_quoted_steps_are_the_documents_own_words():
    assert_quotes_are_the_documents(__file__, "002")
