"""When routing finds no channel, its reason names every channel tried and why each could
not take the invoice, stored as data and worded in the reader's language (issue 13)."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from fakturera.distribution.channels import channel_problem
from fakturera.distribution.reasons import Reason
from fakturera.distribution.routing import CompanyChannels, Facts, Recipient, route
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.history import describe
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.parties.tests.factories import PersonFactory
from fakturera.staff.tests.invoice_helpers import staff_client

NOWHERE = Facts(recipient=Recipient("Anna Berg", "", None, False, ""))


def test_no_channel_names_the_customer_channel_the_default_and_the_reserve():
    channels = CompanyChannels(active=frozenset({"email", "letter"}), default="email", reserve="letter")

    found = route(preferred="peppol", company=channels, facts=NOWHERE, problem=channel_problem)

    assert found.channel is None
    with translation.override("en"):
        assert str(found.reason) == (
            "No channel could take it. Peppol e-invoice: The channel Peppol e-invoice is not active. "
            "E-mail: Anna Berg has no e-mail address. Letter: Anna Berg has no postal address."
        )
    # Stored as codes and parameters, read back the same.
    assert Reason.from_data(json.loads(json.dumps(found.reason.as_data()))) == found.reason
    assert [tried.params["c"] for tried in found.reason.params["tried"]] == ["peppol", "email", "letter"]


def test_a_reminder_names_the_reminder_channel_and_the_reserve():
    channels = CompanyChannels(
        active=frozenset({"email", "letter"}), default="email", reserve="letter", reminder="email"
    )

    found = route(
        preferred="",
        company=channels,
        facts=Facts(recipient=NOWHERE.recipient, is_reminder=True),
        problem=channel_problem,
    )

    assert [(t.params["c"], t.params["r"].code) for t in found.reason.params["tried"]] == [
        ("email", "no_email"),
        ("letter", "no_postal_address"),
    ]


def test_a_reserve_that_is_not_active_is_named_too():
    channels = CompanyChannels(active=frozenset({"email"}), default="email", reserve="letter")

    found = route(preferred="", company=channels, facts=NOWHERE, problem=channel_problem)

    assert [(t.params["c"], t.params["r"].code) for t in found.reason.params["tried"]] == [
        ("email", "no_email"),
        ("letter", "channel_inactive"),
    ]


def test_the_channel_staff_chose_gives_its_own_reason():
    channels = CompanyChannels(active=frozenset({"email"}), default="email")

    found = route(preferred="", company=channels, facts=NOWHERE, problem=channel_problem, chosen="email")

    with translation.override("en"):
        assert str(found.reason) == "Anna Berg has no e-mail address."


@pytest.mark.django_db
def test_the_history_names_every_channel_tried_in_english_and_swedish(company, admin_user):
    # given an invoice whose customer wants letters (not active here) and has no e-mail
    anna = PersonFactory(company=company, name="Anna Berg", email="", preferred_channel=Channel.LETTER)
    invoice = basis_registered(company, admin_user, "400.00", customer=anna)
    email_channel(company, 25)

    # when it is sent
    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

    # then it stays unsent, and its history says what was tried, in the reader's language
    assert batch.unsent_count == 1
    event = invoice.events.get(kind=SendingEvent.NOT_SENT)
    with translation.override("en"):
        assert describe(event) == (
            "Not sent: No channel could take it. Letter: The channel Letter is not active. "
            "E-mail: Anna Berg has no e-mail address."
        )
    with translation.override("sv"):
        assert describe(event) == (
            "Inte skickad: Ingen distributionsmetod kunde ta emot den. Brev: Distributionsmetoden Brev är inte aktiv. "
            "E-post: Anna Berg saknar e-postadress."
        )


@pytest.mark.django_db
def test_the_send_page_lists_the_unsent_invoices_with_why(company, admin_user):
    anna = PersonFactory(company=company, name="Anna Berg", email="")
    invoice = basis_registered(company, admin_user, "400.00", customer=anna)
    email_channel(company, 25)
    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    client, _user = staff_client(company)

    english = client.get(f"/distribution/sends/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    swedish = client.get(f"/distribution/sends/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert "No channel could take it. E-mail: Anna Berg has no e-mail address." in english
    assert f">{invoice.display_number}</a>" in english
    assert "Ingen distributionsmetod kunde ta emot den. E-post: Anna Berg saknar e-postadress." in swedish
