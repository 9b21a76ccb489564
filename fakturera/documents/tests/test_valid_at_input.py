"""Issue 13: an accepted invoice is valid Peppol, or it is refused at input.

The three faults the issue names, each through the services or the API as staff and
integrators reach them: a reverse-charge invoice to a buyer without a VAT number, a
VAT number stored without its country prefix (BR-CO-09), and a buyer without an
electronic address given the seller's own. Each accepted document is built and run
through the official validator (`../shared/peppol/validate`) in one run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from fakturera.core.errors import DomainError
from fakturera.documents.data import document_data
from fakturera.documents.ubl.build import build_ubl
from fakturera.documents.ubl.validator import fatal_rules, validate_files
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.invoicing.services import invoice_create_draft, invoice_create_issued, invoice_issue
from fakturera.parties.models import Company, Customer
from fakturera.parties.services import customer_create, customer_update
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db

ISSUED_ON = dt.date(2026, 12, 1)
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def _line(category: str = "S", rate: str = "25", description: str = "Konsultation") -> dict:
    return {
        "description": description,
        "quantity": "2",
        "unit_price": "1000",
        "vat_category": category,
        "vat_rate": rate,
    }


def _ubl(invoice: Invoice) -> bytes:
    full = Invoice.objects.prefetch_related("lines", "vat_breakdown").get(pk=invoice.pk)
    return build_ubl(document_data(full))


def _fatal(xml: bytes, folder: Path) -> list[str]:
    path = folder / "document.xml"
    path.write_bytes(xml)
    [report] = validate_files([path]).values()
    return fatal_rules(report)


def _next_number(company: Company) -> int:
    return NumberSeries.objects.get(company=company).next_number


# --- 1. reverse charge to a buyer without a VAT number -------------------------------------------------


def test_reverse_charge_to_a_buyer_without_a_vat_number_is_refused_and_takes_no_number(company, admin_user):
    buyer = customer_create(company=company, kind="organisation", name="Byggfirman AB", org_number="556703-7485")
    before = _next_number(company)

    with pytest.raises(DomainError) as refused:
        invoice_create_issued(company=company, customer=buyer, actor=admin_user, lines=[_line("AE", "0", "Byggtjänst")])

    assert refused.value.field == "lines.0.vat_category"
    assert "Byggtjänst" in refused.value.message
    assert "VAT number of Byggfirman AB" in refused.value.message
    assert (Invoice.objects.count(), _next_number(company)) == (0, before)


def test_a_draft_whose_buyer_lost_its_vat_number_is_refused_when_issued(company, admin_user):
    buyer = customer_create(
        company=company, kind="organisation", name="Berlin Praxis GmbH", country="DE", vat_number="DE136695976"
    )
    draft = invoice_create_draft(company=company, customer=buyer, actor=admin_user, lines=[_line("AE", "0")])
    customer_update(customer=buyer, vat_number="")
    before = _next_number(company)

    with pytest.raises(DomainError) as refused:
        invoice_issue(invoice=draft, actor=admin_user)

    assert "Berlin Praxis GmbH" in refused.value.message
    assert _next_number(company) == before
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.needs_shared("the Peppol validator")
def test_reverse_charge_to_a_buyer_with_a_vat_number_is_accepted_and_valid(company, admin_user, tmp_path):
    buyer = customer_create(
        company=company, kind="organisation", name="Berlin Praxis GmbH", country="DE", vat_number="136695976"
    )
    invoice = invoice_create_issued(
        company=company, customer=buyer, actor=admin_user, lines=[_line("AE", "0")], issued_on=ISSUED_ON
    )

    assert buyer.vat_number == "DE136695976"
    assert _fatal(_ubl(invoice), tmp_path) == []


# --- 2. a VAT number stored without its country prefix -------------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("NO", "NO923609016MVA", "NO923609016MVA"),
        ("NO", "923 609 016 MVA", "NO923609016MVA"),
        ("FI", "20774740", "FI20774740"),
        ("DE", "136695976", "DE136695976"),
        ("DK", "13585628", "DK13585628"),
        ("SE", "556036079301", "SE556036079301"),
        ("GR", "094259216", "EL094259216"),
        ("SE", "de136695976", "DE136695976"),
    ],
)
def test_vat_numbers_are_stored_with_their_country_prefix(company, country, typed, stored):
    buyer = customer_create(company=company, kind="organisation", name="Kund", country=country, vat_number=typed)

    assert Customer.objects.get(pk=buyer.pk).vat_number == stored


@pytest.mark.parametrize(
    ("country", "typed", "words"),
    [
        ("NO", "923609017MVA", "not a valid Norwegian VAT number"),
        ("US", "123456789", "cannot be checked"),
        ("SE", "XX123", "country code"),
    ],
)
def test_a_vat_number_that_cannot_be_checked_is_refused_with_a_clear_message(company, country, typed, words):
    with pytest.raises(DomainError) as refused:
        customer_create(company=company, kind="organisation", name="Kund", country=country, vat_number=typed)

    assert refused.value.field == "vat_number"
    assert words in refused.value.message
    assert Customer.objects.count() == 0


@pytest.mark.needs_shared("the Peppol validator")
def test_an_export_to_a_norwegian_vat_registered_buyer_is_valid(company, admin_user, tmp_path):
    buyer = customer_create(
        company=company, kind="organisation", name="Bergen Helse AS", country="NO", org_number="923609016",
        vat_number="923609016MVA", postal_code="5003", city="Bergen",
    )  # fmt: skip
    invoice = invoice_create_issued(
        company=company, customer=buyer, actor=admin_user, lines=[_line("G", "0")], currency="NOK",
        issued_on=ISSUED_ON,
    )  # fmt: skip

    xml = _ubl(invoice)

    [vat] = etree.fromstring(xml).xpath(
        "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS
    )
    assert vat.text == "NO923609016MVA"
    assert _fatal(xml, tmp_path) == []


# --- 3. a buyer without an electronic address ----------------------------------------------------------


def _buyer_endpoint(xml: bytes) -> list[tuple[str, str]]:
    found = etree.fromstring(xml).xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS)
    return [(element.get("schemeID"), element.text) for element in found]


@pytest.mark.needs_shared("the Peppol validator")
def test_a_person_is_never_given_the_sellers_electronic_address(company, admin_user, tmp_path):
    person = PersonFactory(company=company, name="Sven Svensson")
    invoice = invoice_create_issued(
        company=company, customer=person, actor=admin_user, lines=[_line()], issued_on=ISSUED_ON
    )

    xml = _ubl(invoice)

    seller = etree.fromstring(xml).xpath("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", namespaces=NS)[0]
    assert (seller.get("schemeID"), seller.text) not in _buyer_endpoint(xml)
    # Peppol's code list holds no address for a private person: the file says so (R010) and
    # breaks nothing else; it is an archive and export copy, never sent on the network.
    assert [rule.split(":")[0] for rule in _fatal(xml, tmp_path)] == ["PEPPOL-EN16931-R010"]


@pytest.mark.parametrize(
    ("fields", "endpoint"),
    [
        ({"country": "SE", "org_number": "556036-0793"}, ("0007", "5560360793")),
        ({"country": "FI", "org_number": "2077474-0"}, ("0216", "003720774740")),
        ({"country": "FI", "vat_number": "FI20774740"}, ("0216", "003720774740")),
        ({"country": "NO", "vat_number": "NO923609016MVA"}, ("0192", "923609016")),
        ({"country": "SE", "vat_number": "SE556036079301"}, ("0007", "5560360793")),
        ({"country": "DE", "vat_number": "DE136695976"}, ("9930", "DE136695976")),
        ({"country": "GB", "vat_number": "GB980780684"}, ("9932", "GB980780684")),
        ({"country": "SE", "peppol_id": "0212:2077474-0"}, ("0216", "003720774740")),
        ({"country": "US"}, None),
    ],
)
def test_an_organisation_gets_the_address_its_identifiers_make_on_peppols_code_list(
    company, admin_user, fields, endpoint
):
    buyer = customer_create(company=company, kind="organisation", name="Kund", **fields)
    invoice = invoice_create_issued(
        company=company, customer=buyer, actor=admin_user, lines=[_line("E", "0")], issued_on=ISSUED_ON
    )

    assert _buyer_endpoint(_ubl(invoice)) == ([endpoint] if endpoint else [])


def test_the_peppol_channel_is_refused_for_a_customer_without_a_peppol_id(company):
    from fakturera.distribution.channels.peppol import PeppolChannel
    from fakturera.distribution.routing import Facts, Recipient

    recipient = Recipient(name="Sven Svensson", email="", address=None, is_organisation=False, peppol_id="")

    problem = PeppolChannel().problem(Facts(recipient=recipient))

    assert problem is not None
    assert "Sven Svensson" in str(problem)


# --- identifier schemes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0007:556036-0793", "0007:5560360793"),
        ("9955:SE556016068001", "0007:5560160680"),
        ("0212:2077474-0", "0216:003720774740"),
        ("0037:003720774740", "0216:003720774740"),
        ("0216:003720774740ABC", "0216:003720774740ABC"),
        ("9930:136695976", "9930:DE136695976"),
        ("0198:DK13585628", "0198:DK13585628"),
        ("0192:923609016", "0192:923609016"),
    ],
)
def test_peppol_ids_are_stored_in_a_scheme_of_peppols_code_list(company, typed, stored):
    buyer = customer_create(company=company, kind="organisation", name="Kund", peppol_id=typed)

    assert buyer.peppol_id == stored


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("EM:faktura@example.se", "e-mail"),
        ("0216:003720774741", "Finnish OVT code"),
        ("9930:DE136695977", "VAT number"),
        ("0000:1", "not one we know"),
    ],
)
def test_a_peppol_id_outside_its_schemes_form_is_refused(company, typed, words):
    with pytest.raises(DomainError) as refused:
        customer_create(company=company, kind="organisation", name="Kund", peppol_id=typed)

    assert refused.value.field == "peppol_id"
    assert words in refused.value.message


def test_a_company_without_a_vat_number_outside_sweden_cannot_issue_standard_rated_lines():
    company = CompanyFactory(country="DK", org_number="13585628", vat_number="")
    actor = StaffFactory(company=company, role="admin").user
    buyer = customer_create(company=company, kind="organisation", name="Kunde ApS", country="DK")

    with pytest.raises(DomainError) as refused:
        invoice_create_draft(company=company, customer=buyer, actor=actor, lines=[_line()])

    assert "company's VAT number" in refused.value.message


@pytest.mark.needs_shared("the Peppol validator")
def test_a_danish_supplier_invoicing_a_danish_buyer_pays_to_a_bank_account_not_by_code_30(tmp_path):
    # Found by the property test: DK-R-005 refuses payment means 30 for Danish suppliers.
    company = CompanyFactory(
        country="DK", org_number="13585628", vat_number="DK13585628", bankgiro="", iban="DK5000400440116243",
        bic="DABADKKK", postal_code="5000", city="Odense",
    )  # fmt: skip
    actor = StaffFactory(company=company, role="admin").user
    buyer = customer_create(
        company=company, kind="organisation", name="Kunde ApS", country="DK", org_number="25313763",
        vat_number="DK25313763",
    )  # fmt: skip
    invoice = invoice_create_issued(
        company=company, customer=buyer, actor=actor, lines=[_line()], currency="DKK", issued_on=ISSUED_ON
    )

    xml = _ubl(invoice)

    assert etree.fromstring(xml).xpath("cac:PaymentMeans/cbc:PaymentMeansCode/text()", namespaces=NS) == ["42"]
    assert _fatal(xml, tmp_path) == []


def test_a_customer_without_a_peppol_id_cannot_prefer_peppol_e_invoices(company):
    with pytest.raises(DomainError) as refused:
        customer_create(
            company=company, kind="organisation", name="Kund AB", org_number="556036-0793", preferred_channel="peppol"
        )
    buyer = customer_create(
        company=company, kind="organisation", name="Kund AB", peppol_id="0007:5560360793", preferred_channel="peppol"
    )

    assert refused.value.field == "preferred_channel"
    assert "Peppol ID" in refused.value.message
    with pytest.raises(DomainError):
        customer_update(customer=buyer, peppol_id="")
