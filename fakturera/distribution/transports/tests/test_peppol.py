"""The Peppol transport against a real HTTP access point on loopback that validates the UBL
with the official Peppol validator (testing.FakePeppolAccessPoint)."""

from __future__ import annotations

import socket

import pytest
from lxml import etree

from fakturera.distribution.transports.errors import PermanentError, TransientError
from fakturera.distribution.transports.peppol import peppol_receiver_registered, peppol_send
from fakturera.distribution.transports.testing import FakePeppolAccessPoint
from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import document_get
from fakturera.invoicing.tests.factories import CONSULTATION, credit_note, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, StaffFactory

RECEIVER = "0007:5560360793"


@pytest.fixture
def access_point():
    with FakePeppolAccessPoint(registered={RECEIVER}) as fake:
        yield fake


@pytest.fixture
def issued(db):
    """An issued invoice to a Peppol-registered organisation, its UBL and the sender's id."""
    company = CompanyFactory(name="Kliniken i Stan AB")
    company.peppol_id = "0007:" + company.org_number.replace("-", "")
    company.save()
    actor = StaffFactory(company=company, role="admin").user
    buyer = OrganisationFactory(company=company, name="Region Mitt AB", peppol_id=RECEIVER)
    invoice = issued_invoice(company, actor, customer=buyer, lines=[CONSULTATION], issued_on=None)
    ubl = bytes(document_get(invoice=invoice, fmt=DocumentFormat.UBL).content)
    return invoice, ubl, company.peppol_id, actor


def send(access_point, ubl: bytes, sender: str, *, key: str = "delivery-1", kind: str = "invoice", **overrides):
    arguments = {
        "base_url": access_point.url,
        "api_key": access_point.api_key,
        "ubl": ubl,
        "sender_id": sender,
        "receiver_id": RECEIVER,
        "document_kind": kind,
        "idempotency_key": key,
        "timeout": 60,
        **overrides,
    }
    return peppol_send(**arguments)


def test_registered_and_unknown_receivers(access_point):
    assert peppol_receiver_registered(base_url=access_point.url, api_key=access_point.api_key, participant_id=RECEIVER)
    assert not peppol_receiver_registered(
        base_url=access_point.url, api_key=access_point.api_key, participant_id="0007:5567321707"
    )


def test_the_registration_lookup_fails_like_any_request(access_point):
    access_point.fail_next(503)

    with pytest.raises(TransientError):
        peppol_receiver_registered(base_url=access_point.url, api_key=access_point.api_key, participant_id=RECEIVER)


@pytest.mark.needs_shared("the Peppol validator")
def test_a_valid_invoice_is_accepted_once_per_key(access_point, issued):
    _invoice, ubl, sender, _actor = issued

    first = send(access_point, ubl, sender, key="invoice-1-peppol")
    again = send(access_point, ubl, sender, key="invoice-1-peppol")

    assert first == again
    [document] = access_point.received
    assert document["id"] == first.reference
    assert document["ubl"] == ubl
    assert (document["sender"], document["receiver"], document["kind"]) == (sender, RECEIVER, "invoice")


@pytest.mark.needs_shared("the Peppol validator")
def test_a_credit_note_goes_as_a_credit_note(access_point, issued):
    invoice, _ubl, sender, actor = issued
    note = credit_note(invoice, actor)
    ubl = bytes(document_get(invoice=note, fmt=DocumentFormat.UBL).content)

    with pytest.raises(PermanentError, match="CreditNote"):
        send(access_point, ubl, sender, key="note-as-invoice", kind="invoice")
    receipt = send(access_point, ubl, sender, key="note-1", kind="credit_note")

    assert [d["id"] for d in access_point.received] == [receipt.reference]


@pytest.mark.needs_shared("the Peppol validator")
def test_an_invalid_document_is_refused_with_the_broken_rules(access_point, issued):
    _invoice, ubl, sender, _actor = issued
    tree = etree.fromstring(ubl)
    [endpoint] = tree.xpath("//*[local-name()='AccountingCustomerParty']//*[local-name()='EndpointID']")
    endpoint.getparent().remove(endpoint)
    broken = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    with pytest.raises(PermanentError) as caught:
        send(access_point, broken, sender)

    assert caught.value.status == 400
    assert "PEPPOL-EN16931-R010" in caught.value.message
    assert access_point.received == []


def test_an_unregistered_receiver_is_permanent(access_point, issued):
    _invoice, ubl, sender, _actor = issued
    access_point.registered.clear()

    with pytest.raises(PermanentError, match="not registered"):
        send(access_point, ubl, sender)
    assert access_point.received == []


@pytest.mark.parametrize("status", [429, 500])
def test_busy_or_failing_access_point_is_transient_and_the_retry_sends_once(access_point, issued, status):
    _invoice, ubl, sender, _actor = issued
    access_point.is_validating = False  # the document is not what this test is about
    access_point.fail_next(status)

    with pytest.raises(TransientError) as caught:
        send(access_point, ubl, sender, key="retry-me")
    assert caught.value.status == status

    send(access_point, ubl, sender, key="retry-me")
    send(access_point, ubl, sender, key="retry-me")
    assert len(access_point.received) == 1


def test_a_slow_access_point_times_out_as_transient(access_point, issued):
    _invoice, ubl, sender, _actor = issued
    access_point.delay = 1.0

    with pytest.raises(TransientError, match="did not answer"):
        send(access_point, ubl, sender, timeout=0.2)


def test_a_refused_connection_is_transient(issued):
    _invoice, ubl, sender, _actor = issued
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TransientError, match="refused the connection"):
        peppol_send(
            base_url=f"http://127.0.0.1:{port}",
            api_key="k",
            ubl=ubl,
            sender_id=sender,
            receiver_id=RECEIVER,
            document_kind="invoice",
            idempotency_key="x",
            timeout=2,
        )


def test_a_wrong_key_is_permanent_and_not_shown(access_point, issued):
    _invoice, ubl, sender, _actor = issued

    with pytest.raises(PermanentError) as caught:
        send(access_point, ubl, sender, api_key="very-secret-key-77")

    assert caught.value.status == 401
    assert "very-secret-key-77" not in caught.value.message
