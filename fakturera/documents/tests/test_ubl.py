"""Peppol BIS Billing 3.0 UBL of real invoices and credit notes (issue 3).

Given a company and its customers made by the factories, each case of the matrix is
issued through the services, read back with `document_data` and built with
`build_ubl`; then the official validator (`../shared/peppol/validate`, beside the
repository) checks every file in one run, and each case must come out without a
fatal rule.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from lxml import etree

from bench.run import MEASUREMENTS
from bench.ubl import ubl_run, ubl_setup, ubl_verify
from fakturera.documents.data import DocumentData, document_data
from fakturera.documents.ubl.build import build_ubl
from fakturera.documents.ubl.validator import fatal_rules, validate_files, validator_path
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import credit_note, exchange_rates, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory, StaffFactory

# The matrix is issued once per module (see `matrix`); the mark makes pytest-django set up the database.
pytestmark = pytest.mark.django_db

ISSUED_ON = dt.date(2026, 11, 20)
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def minimal_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table, written by hand."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


PDF = minimal_pdf()


@dataclass(frozen=True)
class Case:
    stored_total: Decimal
    document: DocumentData
    xml: bytes
    path: Path

    def tree(self) -> etree._Element:
        return etree.fromstring(self.xml)

    def value(self, xpath: str) -> str:
        [found] = self.tree().xpath(xpath, namespaces=NS)
        return found if isinstance(found, str) else found.text


def line(description, quantity, price, category="S", rate="25", unit="st", **extra):
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": price,
        "vat_category": category,
        "vat_rate": rate,
        "unit": unit,
        **extra,
    }


def issue(company, actor, customer, lines, **header) -> Invoice:
    return issued_invoice(company, actor, customer=customer, lines=lines, issued_on=ISSUED_ON, **header)


def issue_matrix() -> dict[str, tuple[Invoice, bytes | None]]:
    """Every case of the matrix, issued through the services: name -> (invoice, PDF to embed)."""
    company = CompanyFactory(name="Kliniken i Stan AB", phone="08-123 45 67")
    actor = StaffFactory(company=company, role="admin").user
    rounding_company = CompanyFactory(name="Avrundning AB", is_rounding_to_whole_units=True, has_ocr_length_digit=True)
    rounding_actor = StaffFactory(company=rounding_company, role="admin").user
    iban_company = CompanyFactory(name="Euro Konsult AB", iban="SE4550000000058398257466", bic="ESSESESS")
    iban_company.peppol_id = "0007:" + iban_company.org_number.replace("-", "")
    iban_company.save()
    iban_actor = StaffFactory(company=iban_company, role="admin").user
    # EUR 11.4321, NOK 0.9612, DKK 1.5327 SEK: its invoices in those currencies state their VAT in SEK too.
    exchange_rates(iban_company, on=ISSUED_ON)

    reference = PersonFactory(company=company, name="Karin Inköp")
    domestic_buyer = OrganisationFactory(
        company=company,
        name="Region Mitt AB",
        peppol_id="0007:5560360793",
        gln="7359990000006",
        invoice_reference=reference,
    )
    german = OrganisationFactory(
        company=company, name="Berlin Praxis GmbH", country="DE", org_number="", vat_number="DE136695976",
        language="en", postal_code="10115", city="Berlin",
    )  # fmt: skip
    danish = OrganisationFactory(
        company=company, name="Odense Udstyr ApS", country="DK", org_number="13585628", vat_number="DK13585628",
        language="da", postal_code="5000", city="Odense",
    )  # fmt: skip
    norwegian = OrganisationFactory(
        company=company, name="Bergen Helse AS", country="NO", org_number="923609016",
        vat_number="NO923609016MVA", language="nb", postal_code="5003", city="Bergen",
    )  # fmt: skip
    healthcare_buyer = OrganisationFactory(company=company, name="Vårdcentralen Norr AB", org_number="556703-7485")
    gln_buyer = OrganisationFactory(
        company=company, name="Landstinget Syd", org_number="556000-4615", vat_number="SE556000461501",
        gln="7300010000001",
    )  # fmt: skip
    # Registered by its VAT number under 9955, which Peppol no longer takes as an endpoint scheme.
    vat_scheme_buyer = OrganisationFactory(
        company=company, name="Telefonbolaget AB", org_number="556016-0680", vat_number="SE556016068001",
        peppol_id="9955:SE556016068001",
    )  # fmt: skip
    person = PersonFactory(company=company, name="Sven Svensson")

    cases: dict[str, tuple[Invoice, bytes | None]] = {}
    cases["domestic_mixed"] = (
        issue(
            company, actor, domestic_buyer,
            [
                line("Massage 60 min", "2", "695", unit="st"),
                line("Handledning", "1.5", "1200", unit="tim"),
                line("Träningsabonnemang november", "1", "450", rate="12", unit="mån",
                     period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 30)),
                line("Kursbok", "3", "349.50", rate="6"),
            ],
            buyer_reference="P-4711", order_reference="PO-2026-118", seller_reference="Anna Säljare",
            note="Tack för förtroendet.",
        ),
        None,
    )  # fmt: skip
    cases["reverse_charge_eu"] = (
        issue(
            company, actor, german,
            [line("Consulting, clinic software", "8", "1250", category="AE", rate="0", unit="h")],
            buyer_reference="Dr. Weber", language="en",
        ),
        None,
    )  # fmt: skip
    cases["intra_community_goods"] = (
        issue(
            company, actor, danish,
            [line("Behandlingsbänk", "2", "8900", category="K", rate="0")],
            order_reference="DK-PO-77",
        ),
        None,
    )  # fmt: skip
    cases["export_outside_eu"] = (
        issue(
            company, actor, norwegian,
            [line("Utdanning, to dager", "2", "9500", category="G", rate="0", unit="dag")],
            buyer_reference="Avdeling 12", currency="NOK",
        ),
        None,
    )  # fmt: skip
    cases["exempt_healthcare"] = (
        issue(
            company, actor, healthcare_buyer,
            [
                line("Fysioterapi, besök", "4", "650", category="E", rate="0"),
                line("Samtalsterapi", "1", "950", category="E", rate="0", unit="h"),
            ],
            buyer_reference="Vårdval 2026",
        ),
        None,
    )  # fmt: skip
    cases["outside_scope"] = (
        issue(
            company, actor, healthcare_buyer,
            [line("Vidarefakturerad avgift", "1", "1000", category="O", rate="0")],
            buyer_reference="Avgift",
        ),
        None,
    )  # fmt: skip
    cases["whole_unit_rounding"] = (
        issue(
            rounding_company, rounding_actor, OrganisationFactory(company=rounding_company),
            [line("Massage 30 min", "1", "99.90")], buyer_reference="R-1",
        ),
        None,
    )  # fmt: skip
    cases["eur_invoice"] = (
        issue(
            iban_company, iban_actor, OrganisationFactory(company=iban_company, name="Euro Kund AB"),
            [line("Konsultation", "3", "120.50", unit="h"), line("Rapport", "1", "80", rate="6")],
            currency="EUR", buyer_reference="EU-9",
        ),
        None,
    )  # fmt: skip
    # Issue 16: VAT in SEK (BT-6, BT-111) on invoices in NOK and DKK with VAT, as on the EUR one.
    cases["nok_with_vat"] = (
        issue(
            iban_company, iban_actor, OrganisationFactory(company=iban_company, name="Norsk Kund AB"),
            [line("Konsultation", "2", "1450", unit="h"), line("Kursbok", "1", "399", rate="6")],
            currency="NOK", buyer_reference="NO-1",
        ),
        None,
    )  # fmt: skip
    cases["dkk_with_vat"] = (
        issue(
            iban_company, iban_actor, OrganisationFactory(company=iban_company, name="Dansk Kund AB"),
            [line("Handledning", "3", "875.25", unit="h")],
            currency="DKK", buyer_reference="DK-1",
        ),
        None,
    )  # fmt: skip
    sixty = [
        line(
            f"Behandling {index}",
            f"{1 + index % 3}.{index % 10}",
            f"{100 + index * 7}.{index % 100:02d}",
            category="E" if index % 5 == 0 else "S",
            rate="0" if index % 5 == 0 else ("25", "12", "6")[index % 3],
            unit=("st", "h", "tim", "mån", "dag", "km", "kg", "paket")[index % 8],
        )
        for index in range(1, 61)
    ]
    cases["sixty_lines"] = (issue(company, actor, healthcare_buyer, sixty, buyer_reference="Lång"), None)
    cases["gln_buyer"] = (
        issue(company, actor, gln_buyer, [line("Kurs: hjärt-lungräddning", "12", "1450")], order_reference="GLN-1"),
        None,
    )
    cases["private_person"] = (issue(company, actor, person, [line("Massage 60 min", "1", "695")]), None)
    cases["vat_scheme_buyer"] = (issue(company, actor, vat_scheme_buyer, [line("Konsultation", "1", "1200")]), None)
    cases["with_pdf"] = (
        issue(company, actor, domestic_buyer, [line("Massage 60 min", "1", "695")], buyer_reference="PDF-1"),
        PDF,
    )

    # Seed 004: 2 % within 10 days, 30 days net, stated in the one payment terms note (BT-20).
    cases["cash_discount"] = (
        issue(
            company, actor, domestic_buyer,
            [line("Massage 60 min", "4", "695"), line("Kursbok", "2", "349.50", rate="6")],
            cash_discount_percent="2", cash_discount_days=10, buyer_reference="Rabatt-1",
        ),
        None,
    )  # fmt: skip
    cases["cash_discount_english"] = (
        issue(
            company, actor, german,
            [line("Consulting, clinic software", "8", "1250", category="AE", rate="0", unit="h")],
            buyer_reference="Dr. Weber", language="en", cash_discount_percent="1.5", cash_discount_days=14,
        ),
        None,
    )  # fmt: skip
    cases["credit_note_full"] = (
        credit_note(cases["domestic_mixed"][0], actor, reason="Fel pris", issued_on=ISSUED_ON),
        None,
    )
    eur = cases["eur_invoice"][0]
    first_line = eur.lines.order_by("position").first()
    cases["credit_note_partial"] = (
        credit_note(eur, iban_actor, quantities={first_line.pk: Decimal("1")}, issued_on=ISSUED_ON),
        None,
    )
    return cases


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Case]:
    """The matrix issued once for the module, in a transaction rolled back afterwards."""
    folder = tmp_path_factory.mktemp("ubl")
    cases = {}
    with django_db_blocker.unblock(), transaction.atomic():
        for name, (invoice, pdf) in issue_matrix().items():
            full = Invoice.objects.prefetch_related("lines", "vat_breakdown").get(pk=invoice.pk)
            document = document_data(full)
            xml = build_ubl(document, pdf=pdf)
            path = folder / f"{name}.xml"
            path.write_bytes(xml)
            cases[name] = Case(full.total_amount, document, xml, path)
        transaction.set_rollback(True)
    return cases


def broken_copy(case: Case, folder: Path) -> Path:
    """The case without its buyer's electronic address: the validator must call that fatal."""
    tree = case.tree()
    [endpoint] = tree.xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS)
    endpoint.getparent().remove(endpoint)
    path = folder / "broken.xml"
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    return path


@pytest.fixture(scope="module")
def peppol_reports(matrix, tmp_path_factory) -> dict[str, dict]:
    """One validator run over every file of the matrix (its start-up dominates): name -> file report."""
    if not validator_path().is_file():
        pytest.fail(
            f"The Peppol validator is missing at {validator_path().resolve()}: clone the shared material "
            "beside the repository (…/main and …/shared) and run `../shared/peppol/validate --setup`."
        )
    paths = {str(case.path): name for name, case in matrix.items()}
    folder = tmp_path_factory.mktemp("more")
    paths[str(broken_copy(matrix["domestic_mixed"], folder))] = "broken"
    # The benchmark's made-up documents must be real ones too, or its figure means little.
    bench = ubl_setup(n=10)
    for index in BENCH_SAMPLES:
        path = folder / f"bench_{index}.xml"
        path.write_bytes(build_ubl(bench.documents[index]))
        paths[str(path)] = f"bench_{index}"
    reports = {paths[file]: report for file, report in validate_files(paths).items()}
    assert set(reports) == set(paths.values())
    return reports


CASES = [
    "domestic_mixed", "reverse_charge_eu", "intra_community_goods", "export_outside_eu", "exempt_healthcare",
    "outside_scope", "whole_unit_rounding", "eur_invoice", "sixty_lines", "gln_buyer", "private_person",
    "vat_scheme_buyer", "with_pdf", "cash_discount", "cash_discount_english", "credit_note_full",
    "credit_note_partial", "nok_with_vat", "dkk_with_vat",
]  # fmt: skip


@pytest.mark.needs_shared("the Peppol validator")
@pytest.mark.parametrize("name", CASES)
def test_each_case_passes_the_peppol_validator_without_a_fatal_rule(peppol_reports, name):
    report = peppol_reports[name]

    if name in WITHOUT_ADDRESS:
        # Peppol's code list has no address for a private person, and none is made up (issue 13).
        assert [rule.split(":")[0] for rule in fatal_rules(report)] == [NO_BUYER_ADDRESS]
    else:
        assert fatal_rules(report) == []
        assert report["valid"]
    assert report["document"] == ("CreditNote" if name.startswith("credit_note") else "Invoice")


# Cases whose buyer has no electronic address on Peppol's code list (a private person).
WITHOUT_ADDRESS = {"private_person"}
NO_BUYER_ADDRESS = "PEPPOL-EN16931-R010"

# An organisation with a Peppol ID, a person, a credit note (to a person).
BENCH_SAMPLES = (0, 1, 9)
BENCH_PERSONS = (1, 9)  # bench/ubl.py: every fourth buyer is an organisation


@pytest.mark.needs_shared("the Peppol validator")
@pytest.mark.parametrize("index", BENCH_SAMPLES)
def test_the_benchmark_builds_valid_documents(peppol_reports, index):
    expected = [NO_BUYER_ADDRESS] if index in BENCH_PERSONS else []
    assert [rule.split(":")[0] for rule in fatal_rules(peppol_reports[f"bench_{index}"])] == expected


def test_the_ubl_benchmark_builds_and_verifies_a_small_batch():
    case = ubl_setup(n=20)

    seconds = ubl_run(case)

    ubl_verify(case)
    assert seconds > 0
    assert "ubl" in MEASUREMENTS


@pytest.mark.needs_shared("the Peppol validator")
def test_the_validator_run_reports_a_fatal_rule_when_there_is_one(peppol_reports):
    assert "PEPPOL-EN16931-R010" in {e["id"] for e in peppol_reports["broken"]["errors"] if e["flag"] == "fatal"}


def test_every_case_of_the_matrix_is_validated(matrix):
    assert set(matrix) == set(CASES)


def test_the_amount_due_is_the_stored_total(matrix):
    for name, case in matrix.items():
        assert Decimal(case.value("cac:LegalMonetaryTotal/cbc:PayableAmount")) == case.stored_total, name
        assert Decimal(case.value("cac:TaxTotal[cac:TaxSubtotal]/cbc:TaxAmount")) == case.document.vat_amount, name
        assert case.value("cbc:DocumentCurrencyCode") == case.document.currency, name


def test_whole_unit_rounding_is_its_own_amount(matrix):
    case = matrix["whole_unit_rounding"]

    assert case.value("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == "124.88"
    assert case.value("cac:LegalMonetaryTotal/cbc:PayableRoundingAmount") == "0.12"
    assert case.value("cac:LegalMonetaryTotal/cbc:PayableAmount") == "125.00"
    assert not matrix["domestic_mixed"].tree().xpath("//cbc:PayableRoundingAmount", namespaces=NS)


def test_the_ocr_reference_is_the_payment_id_with_the_bankgiro(matrix):
    case = matrix["domestic_mixed"]

    assert case.document.payment_reference
    means = case.tree().xpath("cac:PaymentMeans", namespaces=NS)
    assert len(means) == 1
    assert means[0].findtext("cbc:PaymentMeansCode", namespaces=NS) == "30"
    assert means[0].findtext("cbc:PaymentID", namespaces=NS) == case.document.payment_reference
    assert means[0].findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS) == "9912346"
    branch = "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"
    assert means[0].findtext(branch, namespaces=NS) == "SE:BANKGIRO"


def test_a_euro_invoice_is_paid_to_the_iban_first(matrix):
    case = matrix["eur_invoice"]

    accounts = case.tree().xpath("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()", namespaces=NS)
    assert accounts == ["SE4550000000058398257466", "9912346"]
    assert case.value("cac:PaymentMeans[1]/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") == (
        "ESSESESS"
    )
    # Every amount in euro but the VAT in SEK of the second TaxTotal (BT-111, issue 16).
    assert set(case.tree().xpath("//@currencyID", namespaces=NS)) == {"EUR", "SEK"}
    tree = case.tree()
    in_sek = tree.xpath("//*[@currencyID='SEK']/..", namespaces=NS)
    assert in_sek == tree.xpath("cac:TaxTotal[not(cac:TaxSubtotal)]", namespaces=NS)
    assert len(in_sek) == 1


def test_a_credit_note_refers_to_the_invoice_it_credits(matrix):
    original = matrix["domestic_mixed"].document
    case = matrix["credit_note_full"]

    assert case.value("cbc:CreditNoteTypeCode") == "381"
    assert case.value("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == original.number
    assert case.value("cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == "2026-11-20"
    assert Decimal(case.value("cac:LegalMonetaryTotal/cbc:PayableAmount")) == original.total_amount
    assert case.tree().xpath("count(cac:CreditNoteLine)", namespaces=NS) == 4
    assert not case.tree().xpath("cac:PaymentMeans", namespaces=NS)


def test_the_cash_discount_is_in_the_one_payment_terms_note_in_the_documents_language(matrix):
    # 4 x 695 at 25 % = 3475.00 with VAT, 2 x 349.50 at 6 % = 740.94; 2 % of 4215.94 = 84.32.
    case = matrix["cash_discount"]
    assert case.stored_total == Decimal("4215.94")
    assert case.tree().xpath("count(cac:PaymentTerms/cbc:Note)", namespaces=NS) == 1
    assert case.value("cac:PaymentTerms/cbc:Note") == (
        "2 % kassarabatt vid betalning senast 2026-11-30 (att betala 4131.62 SEK), därefter 30 dagar netto"
    )
    # The discount is not deducted from the invoice: what is due stays the total.
    assert Decimal(case.value("cac:LegalMonetaryTotal/cbc:PayableAmount")) == case.stored_total
    assert matrix["cash_discount_english"].value("cac:PaymentTerms/cbc:Note") == (
        "1.5% cash discount if paid by 2026-12-04 (amount to pay 9850.00 SEK), otherwise 30 days net"
    )
    assert matrix["domestic_mixed"].value("cac:PaymentTerms/cbc:Note") == "30 dagar netto"


def test_a_partial_credit_note_credits_what_was_chosen(matrix):
    case = matrix["credit_note_partial"]

    assert (
        case.value("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == matrix["eur_invoice"].document.number
    )
    assert case.value("cac:CreditNoteLine/cbc:CreditedQuantity") == "1.000"
    assert case.value("cac:CreditNoteLine/cbc:CreditedQuantity/@unitCode") == "HUR"
    assert case.value("cac:LegalMonetaryTotal/cbc:PayableAmount") == "150.63"  # 120.50 + 25 %


def test_the_swedish_seller_states_f_tax_and_a_ten_digit_organisation_number(matrix):
    case = matrix["domestic_mixed"]
    seller = "cac:AccountingSupplierParty/cac:Party/"

    assert case.value(seller + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='TAX']/cbc:CompanyID") == "Godkänd för F-skatt"
    assert case.value(seller + "cac:PartyLegalEntity/cbc:CompanyLegalForm") == "Godkänd för F-skatt"
    org_number = case.document.seller.org_number.replace("-", "")
    assert case.value(seller + "cac:PartyLegalEntity/cbc:CompanyID") == org_number
    assert case.value(seller + "cac:PartyLegalEntity/cbc:CompanyID/@schemeID") == "0007"
    assert case.value(seller + "cbc:EndpointID") == org_number


def test_endpoints_follow_the_buyer_identifiers(matrix):
    buyer_endpoint = "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"

    def endpoint(name):
        return matrix[name].value(f"{buyer_endpoint}/@schemeID"), matrix[name].value(buyer_endpoint)

    assert endpoint("domestic_mixed") == ("0007", "5560360793")
    assert endpoint("gln_buyer") == ("0088", "7300010000001")
    assert endpoint("reverse_charge_eu") == ("9930", "DE136695976")
    assert endpoint("intra_community_goods") == ("0184", "13585628")
    assert endpoint("export_outside_eu") == ("0192", "923609016")
    # 9955 (the Swedish VAT number) is gone from Peppol's EAS list: the org number inside it, as 0007.
    assert endpoint("vat_scheme_buyer") == ("0007", "5560160680")
    # A private person has no participant id: no address at all, neither a made-up one nor the
    # seller's own (issue 13).
    assert not matrix["private_person"].tree().xpath(buyer_endpoint, namespaces=NS)


def test_buyer_reference_falls_back_to_the_reference_person_then_the_customer_number(matrix):
    assert matrix["domestic_mixed"].value("cbc:BuyerReference") == "P-4711"
    assert not matrix["gln_buyer"].tree().xpath("cbc:BuyerReference", namespaces=NS)  # the order number serves
    assert matrix["gln_buyer"].value("cac:OrderReference/cbc:ID") == "GLN-1"
    person = matrix["private_person"]
    assert person.value("cbc:BuyerReference") == str(person.document.buyer.customer_number)


def test_vat_categories_carry_their_exemption_reasons(matrix):
    def category(name):
        tree = matrix[name].tree()
        [subtotal] = tree.xpath("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", namespaces=NS)
        return (
            subtotal.findtext("cbc:ID", namespaces=NS),
            subtotal.findtext("cbc:TaxExemptionReasonCode", namespaces=NS),
            bool(subtotal.findtext("cbc:TaxExemptionReason", namespaces=NS)),
        )

    assert category("reverse_charge_eu") == ("AE", "VATEX-EU-AE", True)
    assert category("intra_community_goods") == ("K", "VATEX-EU-IC", True)
    assert category("export_outside_eu") == ("G", "VATEX-EU-G", True)
    assert category("exempt_healthcare") == ("E", None, True)
    assert category("outside_scope") == ("O", "VATEX-EU-O", True)
    rates = (
        matrix["domestic_mixed"]
        .tree()
        .xpath("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent/text()", namespaces=NS)
    )
    assert rates == ["25.00", "12.00", "6.00"]


def test_line_quantities_units_prices_and_periods_are_written_as_stored(matrix):
    tree = matrix["domestic_mixed"].tree()
    lines = tree.xpath("cac:InvoiceLine", namespaces=NS)

    assert [(q.text, q.get("unitCode")) for q in tree.xpath("cac:InvoiceLine/cbc:InvoicedQuantity", namespaces=NS)] == [
        ("2.000", "H87"),
        ("1.500", "HUR"),
        ("1.000", "MON"),
        ("3.000", "H87"),
    ]
    assert lines[3].findtext("cac:Price/cbc:PriceAmount", namespaces=NS) == "349.5000"
    assert lines[3].findtext("cbc:LineExtensionAmount", namespaces=NS) == "1048.50"
    assert lines[2].findtext("cac:InvoicePeriod/cbc:StartDate", namespaces=NS) == "2026-11-01"
    assert tree.xpath("string(cac:InvoicePeriod/cbc:EndDate)", namespaces=NS) == "2026-11-30"
    assert len(matrix["sixty_lines"].tree().xpath("cac:InvoiceLine", namespaces=NS)) == 60


def test_the_pdf_is_embedded_when_given(matrix):
    case = matrix["with_pdf"]
    [attachment] = case.tree().xpath(
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", namespaces=NS
    )

    assert attachment.get("mimeCode") == "application/pdf"
    assert attachment.get("filename") == f"invoice-{case.document.number}.pdf"
    assert base64.b64decode(attachment.text) == PDF
    assert not matrix["domestic_mixed"].tree().xpath("cac:AdditionalDocumentReference", namespaces=NS)


def test_no_vat_identifiers_on_an_invoice_outside_the_scope_of_vat(matrix):
    tree = matrix["outside_scope"].tree()

    assert not tree.xpath("//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']", namespaces=NS)


def test_the_same_document_builds_the_same_bytes(matrix):
    case = matrix["sixty_lines"]

    assert build_ubl(case.document) == case.xml


# --- VAT in SEK on a foreign-currency document (issue 16) -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "currency", "rate"),
    [
        ("eur_invoice", "EUR", "11.4321"),
        ("nok_with_vat", "NOK", "0.9612"),
        ("dkk_with_vat", "DKK", "1.5327"),
        ("credit_note_partial", "EUR", "11.4321"),
    ],
)
def test_a_foreign_currency_document_with_vat_states_its_vat_in_sek(matrix, name, currency, rate):
    case = matrix[name]
    tree = case.tree()
    document_vat = case.document.vat_amount

    assert case.value("cbc:DocumentCurrencyCode") == currency
    assert case.value("cbc:TaxCurrencyCode") == "SEK"  # BT-6
    first, second = tree.xpath("cac:TaxTotal", namespaces=NS)
    assert first.xpath("cbc:TaxAmount/@currencyID", namespaces=NS) == [currency]
    assert first.xpath("cbc:TaxAmount", namespaces=NS)[0].text == f"{document_vat:.2f}"
    # BT-111: the stored SEK figure (the VAT times the rate fixed at issue, rounded half-up), alone.
    assert [child.tag.split("}")[1] for child in second] == ["TaxAmount"]
    assert second[0].get("currencyID") == "SEK"
    expected = (document_vat * Decimal(rate)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert second[0].text == f"{expected:.2f}" == f"{case.document.sek_vat_amount:.2f}"


@pytest.mark.parametrize("name", ["domestic_mixed", "export_outside_eu", "reverse_charge_eu"])
def test_a_sek_document_or_one_without_vat_has_one_tax_total_and_no_tax_currency(matrix, name):
    tree = matrix[name].tree()
    assert tree.xpath("cbc:TaxCurrencyCode", namespaces=NS) == []
    assert len(tree.xpath("cac:TaxTotal", namespaces=NS)) == 1
