"""Register & send from the basis (seed 001): one step registers the invoices and queues
them through distribution's routing and undo window; an invoice that cannot go stays
registered and the page says why. A Register that splits a customer's basis into several
invoices (one per project number) says so first and lists them after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.billables.selectors import basis_splits
from fakturera.billables.tests.factories import add_lines, customer_with_items
from fakturera.distribution.models import Delivery, DeliveryState, SendBatch
from fakturera.distribution.services import channel_setting_save
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.parties.models import Channel
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db

REGISTER = "staff:basis_register"


def _post(client, *customers, send: str = "", **extra):
    data = {"customer": [str(c.pk) for c in customers], "scope": "selected", "issued_on": "2026-11-20", **extra}
    if send:
        data["send"] = send
    return client.post(reverse(REGISTER), data)


def _snapshot(company) -> list:
    return [
        *BasisItem.objects.filter(company=company).order_by("pk").values_list("pk", "status"),
        Invoice.objects.filter(company=company).count(),
        NumberSeries.objects.get(company=company).next_number,
        Delivery.objects.count(),
    ]


# --- Register & send -----------------------------------------------------------------------------------


def test_register_and_email_queues_the_ticked_customers_and_says_who_could_not_go(company):
    # Given three customers in the basis, one of the two ticked ones without an e-mail address
    client, _user = staff_client(company)
    email_channel(company, 2525, undo_minutes=5)
    anna, _ = customer_with_items(company, "1000", name="Anna Andersson")
    bo, _ = customer_with_items(company, "500", name="Bo Berg")
    bo.email = ""
    bo.save()
    cecilia, _ = customer_with_items(company, "700", name="Cecilia Ceder")

    # When Anna and Bo are ticked and "Register & e-mail" is chosen
    response = _post(client, anna, bo, send=Channel.EMAIL)

    # Then both are registered in one step; Anna's waits to be e-mailed for the undo window
    invoices = {i.customer_id: i for i in Invoice.objects.filter(company=company)}
    assert set(invoices) == {anna.pk, bo.pk}
    batch = SendBatch.objects.get()
    [delivery] = Delivery.objects.all()
    assert (delivery.invoice_id, delivery.channel, delivery.state) == (
        invoices[anna.pk].pk,
        Channel.EMAIL,
        DeliveryState.QUEUED,
    )
    assert delivery.next_attempt_at == batch.undo_until
    assert dt.timedelta(minutes=4) < batch.undo_until - batch.created_at <= dt.timedelta(minutes=5)
    assert sending_statuses(Invoice.objects.all()) == {
        invoices[anna.pk].pk: SendingStatus.QUEUED,
        invoices[bo.pk].pk: SendingStatus.UNSENT,
    }
    # ... Cecilia is still in the basis
    assert set(BasisItem.objects.filter(status=BasisItemStatus.OPEN).values_list("customer_id", flat=True)) == {
        cecilia.pk
    }
    # ... and the page after it lists both, Bo with why, and the way to send him
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:basis_registered"))
    assert messages_of(response) == [
        "2 invoices registered (numbers 1–2).",
        "Waiting to be sent: 1 E-mail.",
        "1 invoice could not be sent; it is registered and listed below with the reason.",
    ]
    page = client.get(response.url)
    html = page.content.decode()
    assert "Not sent: Bo Berg has no e-mail address." in html
    assert f'href="{reverse("staff:send")}?invoice={invoices[bo.pk].pk}"' in html
    assert f'href="{reverse("staff:send_detail", args=[batch.pk])}"' in html
    assert f'href="{reverse("staff:distribution")}"' in html
    assert [row["delivery"] is not None for row in page.context["rows"]] == [True, False]


def test_register_and_portal_refuses_an_organisation_with_the_reason(company):
    # Given a person and an organisation in the basis, the portal active
    client, _user = staff_client(company)
    email_channel(company, 2525)
    channel_setting_save(company=company, channel=Channel.PORTAL, is_active=True, options={})
    person = PersonFactory(company=company, name="Pia Person")
    organisation = OrganisationFactory(company=company, name="Orgen AB")
    add_lines(company, person, "100")
    add_lines(company, organisation, "200")

    # When both are registered & sent to the portal
    response = _post(client, person, organisation, send=Channel.PORTAL)

    # Then the person's invoice waits for the portal; the organisation's is registered, not sent, and why
    [delivery] = Delivery.objects.all()
    assert (delivery.invoice.customer_id, delivery.channel) == (person.pk, Channel.PORTAL)
    assert Invoice.objects.filter(customer=organisation).count() == 1
    html = client.get(response.url).content.decode()
    assert "Not sent: Orgen AB is an organisation; the portal is for persons." in html


def test_register_and_send_by_each_customers_channel_routes_each_one(company):
    # Given e-mail as the company's default and print active, one customer preferring print
    client, _user = staff_client(company)
    email_channel(company, 2525)
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    anna, _ = customer_with_items(company, "100", name="Anna")
    bo, _ = customer_with_items(company, "200", name="Bo")
    bo.preferred_channel = Channel.PRINT
    bo.save()

    # When both are registered & sent by their own channel
    response = _post(client, anna, bo, send="preferred")

    # Then each goes its routed way, and the message counts them per channel
    channels = dict(Delivery.objects.values_list("invoice__customer_id", "channel"))
    assert channels == {anna.pk: Channel.EMAIL, bo.pk: Channel.PRINT}
    assert messages_of(response)[1] == "Waiting to be sent: 1 E-mail, 1 Print."


def test_register_and_send_by_an_inactive_channel_keeps_the_invoices_registered(company):
    # Given e-mail active but not the letter
    client, _user = staff_client(company)
    email_channel(company, 2525)
    anna, _ = customer_with_items(company, "100", name="Anna")

    # When Anna is registered & sent by letter
    response = _post(client, anna, send=Channel.LETTER)

    # Then her invoice is registered and unsent, the basis empty, and the message says why
    invoice = Invoice.objects.get()
    assert sending_statuses(Invoice.objects.all()) == {invoice.pk: SendingStatus.UNSENT}
    assert not BasisItem.objects.filter(status=BasisItemStatus.OPEN).exists()
    assert messages_of(response) == [
        "1 invoice registered (number 1).",
        "The invoices are registered but were not sent: The channel Letter is not active.",
    ]
    page = client.get(response.url)
    assert page.status_code == 200
    assert f"?invoice={invoice.pk}" in page.content.decode()


def test_an_unknown_way_to_send_is_refused_and_writes_nothing(company):
    client, _user = staff_client(company)
    anna, _ = customer_with_items(company, "100")
    before = _snapshot(company)

    response = _post(client, anna, send="pigeon")

    assert response.status_code == 302
    assert "Select a valid choice" in messages_of(response)[0]
    assert _snapshot(company) == before


def _queries_for(company, n: int) -> int:
    client, _user = staff_client(company)
    customers = [customer_with_items(company, "100", "50")[0] for _ in range(n)]
    for customer in customers[::2]:
        customer.email = ""
        customer.save()
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, *customers, send=Channel.EMAIL)
    assert response.status_code == 302
    assert Invoice.objects.filter(company=company).count() == n
    return len(queries)


def test_register_and_send_costs_the_same_statements_for_3_or_12_customers():
    from fakturera.parties.tests.factories import CompanyFactory

    small, large = CompanyFactory(), CompanyFactory()
    email_channel(small, 2525)
    email_channel(large, 2525)

    assert _queries_for(small, 3) == _queries_for(large, 12)


# --- several invoices for one customer ----------------------------------------------------------------------


def _with_projects(company, name: str, *references: str):
    customer, items = customer_with_items(company, *["100"] * len(references), name=name)
    for item, reference in zip(items, references, strict=True):
        BasisItem.objects.filter(pk=item.pk).update(buyer_reference=reference)
    return customer


def test_basis_splits_names_the_customers_with_several_project_numbers_in_one_query(company, django_assert_num_queries):
    anna = _with_projects(company, "Anna", "102", "", "101", "101")
    bo = _with_projects(company, "Bo", "7", "7")
    _with_projects(company, "Cecilia", "", "")

    with django_assert_num_queries(1):
        splits = basis_splits(company=company)

    assert [(s.customer_id, s.references, s.count) for s in splits] == [(anna.pk, ["", "101", "102"], 3)]
    assert basis_splits(company=company, customer_ids=[bo.pk]) == []


def test_register_that_splits_a_customer_asks_first_then_lists_the_invoices(company):
    # Given Anna's basis with items of projects 101 and 102 and one without, and Bo's plain one
    client, _user = staff_client(company)
    anna = _with_projects(company, "Anna Andersson", "102", "", "101")
    bo, _ = customer_with_items(company, "500", name="Bo Berg")
    before = _snapshot(company)

    # When both are ticked and Register is pressed
    asked = _post(client, anna, bo)

    # Then nothing is registered yet: the page says Anna gets three invoices, and why
    assert asked.status_code == 200
    assert _snapshot(company) == before
    html = asked.content.decode()
    assert "Anna Andersson: 3 invoices (without project number, project 101, project 102)" in html
    assert "Bo Berg" not in html
    assert 'name="confirmed" value="1"' in html

    # When it is confirmed
    done = _post(client, anna, bo, confirmed="1")

    # Then Anna has one invoice per project number, Bo one, and the message lists Anna's
    invoices = list(Invoice.objects.order_by("number").values_list("customer_id", "buyer_reference", "number"))
    assert invoices == [(anna.pk, "", 1), (anna.pk, "101", 2), (anna.pk, "102", 3), (bo.pk, "", 4)]
    assert messages_of(done) == [
        "4 invoices registered (numbers 1–4). Anna Andersson: 1, 2 (project 101), 3 (project 102)."
    ]


def test_split_confirmation_keeps_the_way_to_send(company):
    client, _user = staff_client(company)
    email_channel(company, 2525)
    anna = _with_projects(company, "Anna", "1", "2")

    asked = client.post(reverse(REGISTER), {"only": str(anna.pk), "issued_on": "2026-11-20", "send": "email"})
    assert 'name="send" value="email"' in asked.content.decode()
    assert f'name="only" value="{anna.pk}"' in asked.content.decode()

    client.post(reverse(REGISTER), {"only": str(anna.pk), "issued_on": "2026-11-20", "send": "email", "confirmed": "1"})

    assert Delivery.objects.filter(channel=Channel.EMAIL).count() == 2


def test_the_basis_offers_only_the_active_channels_to_send_by(company):
    # Given print active and e-mail, letter, portal and Peppol not
    client, _user = staff_client(company)
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    customer_with_items(company, "100", name="Anna")

    # When the basis is opened
    html = client.get(reverse("staff:basis")).content.decode()

    # Then "How" offers Register, each customer's channel and print, and none that is off
    assert 'value="preferred"' in html
    assert 'value="print"' in html
    for off in ("email", "letter", "portal", "peppol"):
        assert f'<option value="{off}"' not in html
