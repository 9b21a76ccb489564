# ruff: noqa: E501 - a decision table reads best one row a line
"""Routing and recipient as decision tables (seed 003), one row per rule of the issue.
Pure: no database. The letter, Peppol and Autogiro criteria are checked with stand-in
transports that answer as the real ones are documented to (distribution-split)."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

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


@pytest.fixture(autouse=True)
def transports(monkeypatch):
    """Stand-ins for the transports branch's modules, so every criterion can be tested here."""

    @dataclass(frozen=True)
    class LetterAddress:
        name: str
        lines: list
        postal_code: str
        city: str
        country: str

    letter = types.ModuleType("fakturera.distribution.transports.letter")
    letter.LetterAddress = LetterAddress
    letter.letter_address_problem = lambda a: None if len(a.postal_code) >= 5 else "Not a valid postal code."
    peppol = types.ModuleType("fakturera.distribution.transports.peppol")
    autogiro = types.ModuleType("fakturera.autogiro.services")
    monkeypatch.setitem(sys.modules, "fakturera.distribution.transports.letter", letter)
    monkeypatch.setitem(sys.modules, "fakturera.distribution.transports.peppol", peppol)
    monkeypatch.setitem(sys.modules, "fakturera.autogiro.services", autogiro)


def facts(
    *,
    email: str = "anna@example.se",
    address: PostalAddress | None = ADDRESS,
    organisation: bool = False,
    peppol_id: str = "",
    registered: bool | None = None,
    mandate: bool = False,
    reminder: bool = False,
) -> Facts:
    return Facts(
        recipient=Recipient("Anna Berg", email, address, organisation, peppol_id),
        is_peppol_registered=registered,
        has_mandate=mandate,
        is_reminder=reminder,
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
    ("no valid postal address: the reserve", "letter", company("letter email", "letter", "email"), facts(address=BAD_ADDRESS), "", "email", "valid postal code"),
    ("no postal address at all: the reserve", "letter", company("letter email", "letter", "email"), facts(address=None), "", "email", "no postal address"),
    ("a valid postal address: letter", "letter", company("letter email", "letter", "email"), facts(), "", "letter", ""),
    ("no Peppol ID: the reserve", "peppol", company("peppol email", "peppol", "email"), facts(), "", "email", "no Peppol ID"),
    ("receiver not registered: the reserve", "peppol", company("peppol email", "peppol", "email"), facts(peppol_id="0007:5560360793", registered=False), "", "email", "not registered"),
    ("registered receiver: Peppol", "peppol", company("peppol email", "peppol", "email"), facts(peppol_id="0007:5560360793", registered=True), "", "peppol", ""),
    ("no mandate: the reserve", "direct_debit", company("direct_debit print", "direct_debit", "print"), facts(), "", "print", "no active Autogiro mandate"),
    ("an active mandate: direct debit", "direct_debit", company("direct_debit print", "direct_debit", "print"), facts(mandate=True), "", "direct_debit", ""),
    ("an organisation on the portal: the reserve", "portal", company("portal email", "portal", "email"), facts(organisation=True), "", "email", "organisation"),
    ("a person on the portal", "portal", company("portal email", "portal", "email"), facts(), "", "portal", ""),
    ("nothing active by default: unsent", "letter", company("email"), facts(), "", None, "No active channel"),
    ("staff's channel in the dialog", "email", company("email print", "email"), facts(), "print", "print", ""),
    ("staff's channel not active", "email", company("email", "email"), facts(), "print", None, "not active"),
    ("staff's channel not met: no reserve", "", company("email print", "email", "print"), facts(email=""), "email", None, "no e-mail"),
    ("reminder: the reminder channel", "letter", company("letter email print", "letter", "", "email"), facts(reminder=True), "", "email", ""),
    ("reminder not met: the reserve", "", company("email print", "email", "print", "email"), facts(email="", reminder=True), "", "print", "no e-mail"),
    ("reminder without a reminder channel", "", company("email", "email"), facts(reminder=True), "", None, "No channel for reminders"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("preferred", "channels", "given", "chosen", "expected", "reason"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_routing_decision_table(preferred, channels, given, chosen, expected, reason):
    found = route(preferred=preferred, company=channels, facts=given, problem=channel_problem, chosen=chosen)
    assert found.channel == expected
    assert reason.lower() in found.reason.lower()


def test_a_missing_transport_makes_its_channel_unavailable_and_the_reserve_is_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "fakturera.distribution.transports.letter", None)  # import fails
    found = route(
        preferred="letter", company=company("letter email", "letter", "email"), facts=facts(), problem=channel_problem
    )
    assert found.channel == "email"
    assert "not available" in found.reason


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
