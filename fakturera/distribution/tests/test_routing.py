# ruff: noqa: E501 - a decision table reads best one row a line
"""Routing and recipient as decision tables (seed 003), one row per rule of the issue.
Pure: no database; the letter criterion is the letter transport's own address check."""

from __future__ import annotations

import pytest

from fakturera.distribution.channels import channel_problem
from fakturera.distribution.routing import (
    CompanyChannels,
    Facts,
    Party,
    PostalAddress,
    Recipient,
    recipient_for,
    route,
)

ADDRESS = PostalAddress("Anna Berg", ("Storgatan 1",), "111 22", "Stockholm", "SE")
BAD_ADDRESS = PostalAddress("Anna Berg", ("Storgatan 1",), "1", "Stockholm", "SE")


def facts(
    *,
    email: str = "anna@example.se",
    address: PostalAddress | None = ADDRESS,
    organisation: bool = False,
    peppol_id: str = "",
    registered: bool | None = None,
    mandate: bool = False,
    reminder: bool = False,
    credit_note: bool = False,
) -> Facts:
    return Facts(
        recipient=Recipient("Anna Berg", email, address, organisation, peppol_id),
        is_peppol_registered=registered,
        has_mandate=mandate,
        is_reminder=reminder,
        is_credit_note=credit_note,
    )


def company(active: str, default: str = "", reserve: str = "", reminder: str = "") -> CompanyChannels:
    return CompanyChannels(active=frozenset(active.split()), default=default, reserve=reserve, reminder=reminder)


# preferred, company channels, facts, chosen in the dialog -> channel (None: unsent), words of the reason
ROWS = [
    ("the customer's channel, active and met", "email", company("email print", "print"), facts(), "", "email", ""),
    ("no chosen channel: the default", "", company("email print", "print"), facts(), "", "print", ""),
    ("the customer's channel not active: the default", "letter", company("email print", "email"), facts(), "", "email", ""),
    ("no e-mail: the reserve", "email", company("email print", "email", "print"), facts(email=""), "", "print", "no e-mail"),
    ("no e-mail and no reserve: unsent", "email", company("email print", "email"), facts(email=""), "", None, "no e-mail"),
    ("the reserve does not fit either: unsent", "email", company("email letter", "email", "letter"), facts(email="", address=None), "", None, "no e-mail"),
    ("no valid postal address: the reserve", "letter", company("letter email", "letter", "email"), facts(address=BAD_ADDRESS), "", "email", "not a Swedish postal code"),
    ("no postal address at all: the reserve", "letter", company("letter email", "letter", "email"), facts(address=None), "", "email", "no postal address"),
    ("a valid postal address: letter", "letter", company("letter email", "letter", "email"), facts(), "", "letter", ""),
    ("no Peppol ID: the reserve", "peppol", company("peppol email", "peppol", "email"), facts(), "", "email", "no Peppol ID"),
    ("receiver not registered: the reserve", "peppol", company("peppol email", "peppol", "email"), facts(peppol_id="0007:5560360793", registered=False), "", "email", "not registered"),
    ("registered receiver: Peppol", "peppol", company("peppol email", "peppol", "email"), facts(peppol_id="0007:5560360793", registered=True), "", "peppol", ""),
    ("no mandate: the reserve", "direct_debit", company("direct_debit print", "direct_debit", "print"), facts(), "", "print", "no active Autogiro mandate"),
    ("an active mandate: direct debit", "direct_debit", company("direct_debit print", "direct_debit", "print"), facts(mandate=True), "", "direct_debit", ""),
    ("a credit note with a mandate: the reserve", "direct_debit", company("direct_debit print", "direct_debit", "print"), facts(mandate=True, credit_note=True), "", "print", "credit note"),
    ("an organisation on the portal: the reserve", "portal", company("portal email", "portal", "email"), facts(organisation=True), "", "email", "organisation"),
    ("a person on the portal", "portal", company("portal email", "portal", "email"), facts(), "", "portal", ""),
    ("nothing active by default: unsent", "letter", company("email"), facts(), "", None, "No active channel"),
    ("staff's channel in the dialog", "email", company("email print", "email"), facts(), "print", "print", ""),
    ("staff's channel not active", "email", company("email", "email"), facts(), "print", None, "not active"),
    ("staff's channel not met: no reserve", "", company("email print", "email", "print"), facts(email=""), "email", None, "no e-mail"),
    ("reminder: the reminder channel", "letter", company("letter email print", "letter", "", "email"), facts(reminder=True), "", "email", ""),
    ("reminder not met: the reserve", "", company("email print", "email", "print", "email"), facts(email="", reminder=True), "", "print", "no e-mail"),
    ("reminder without a reminder channel", "", company("email", "email"), facts(reminder=True), "", None, "No channel for reminders"),
    ("a Peppol customer's reminder: the reserve", "peppol", company("peppol email print", "peppol", "email", "print"), facts(peppol_id="0007:5560360793", reminder=True), "", "email", ""),
    ("a Peppol customer's reminder, reserve not for reminders: the reminder channel", "peppol", company("peppol direct_debit print", "peppol", "direct_debit", "print"), facts(peppol_id="0007:5560360793", reminder=True), "", "print", ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("preferred", "channels", "given", "chosen", "expected", "reason"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_routing_decision_table(preferred, channels, given, chosen, expected, reason):
    found = route(preferred=preferred, company=channels, facts=given, problem=channel_problem, chosen=chosen)
    assert found.channel == expected
    assert reason.lower() in str(found.reason or "").lower()


def test_a_peppol_customers_reminder_says_why_it_goes_another_way():
    channels = company("peppol email print", "peppol", "email", "print")
    found = route(
        preferred="peppol", company=channels, facts=facts(peppol_id="0007:1", reminder=True), problem=channel_problem
    )
    assert [str(note) for note in found.notes] == ["Peppol has no reminder document: the reminder goes by E-mail."]
    # Another customer's reminder goes by the reminder channel, with nothing to explain.
    other = route(preferred="email", company=channels, facts=facts(reminder=True), problem=channel_problem)
    assert (other.channel, other.notes) == ("print", ())


PERSON = Party("Per Son", "per@example.se", ADDRESS)
ORGANISATION = Party(
    "Firma AB", "faktura@firma.se", PostalAddress("Firma AB", ("Box 1",), "222 33", "Lund", "SE"), True, "0007:1"
)
REFERENCE = Party("Ref Erens", "ref@firma.se")


# customer, organisation, its reference, company setting on, invoice e-mail -> e-mail, addressee
RECIPIENT_ROWS = [
    ("setting off: the person", PERSON, ORGANISATION, REFERENCE, False, "", "per@example.se", "Per Son"),
    ("setting on: the organisation's invoice reference", PERSON, ORGANISATION, REFERENCE, True, "", "ref@firma.se", "Firma AB"),
    ("reference without e-mail: the organisation", PERSON, ORGANISATION, Party("Ref"), True, "", "faktura@firma.se", "Firma AB"),
    ("no reference: the organisation", PERSON, ORGANISATION, None, True, "", "faktura@firma.se", "Firma AB"),
    ("organisation without e-mail: the person", PERSON, Party("Firma AB", is_organisation=True), None, True, "", "per@example.se", "Firma AB"),
    ("no organisation: the person", PERSON, None, None, True, "", "per@example.se", "Per Son"),
    ("the invoice's own e-mail overrides", PERSON, ORGANISATION, REFERENCE, True, "annan@x.se", "annan@x.se", "Firma AB"),
    ("a cleared invoice e-mail derives again", PERSON, ORGANISATION, REFERENCE, True, "  ", "ref@firma.se", "Firma AB"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("customer", "organisation", "reference", "is_on", "invoice_email", "email", "name"),
    [r[1:] for r in RECIPIENT_ROWS],
    ids=[r[0] for r in RECIPIENT_ROWS],
)
def test_recipient_decision_table(customer, organisation, reference, is_on, invoice_email, email, name):
    found = recipient_for(
        customer=customer,
        organisation=organisation,
        organisation_reference=reference,
        is_invoicing_organisation_of_person=is_on,
        invoice_email=invoice_email,
    )
    assert (found.email, found.name) == (email, name)


def test_an_organisation_customer_is_reached_through_its_invoice_reference():
    found = recipient_for(customer=ORGANISATION, customer_reference=REFERENCE)
    assert (found.email, found.name, found.is_organisation, found.peppol_id) == (
        "ref@firma.se",
        "Firma AB",
        True,
        "0007:1",
    )
    assert found.address == ORGANISATION.address
