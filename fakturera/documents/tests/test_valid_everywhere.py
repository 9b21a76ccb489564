"""Issue 13's property: every invoice and credit note the services accept is valid Peppol.

Hypothesis makes a seller (SE, DK, NO, FI; with and without a VAT number), a customer
(a person or an organisation in SE, NO, DK, FI, DE, GB or the US, with and without VAT
number, organisation number, Peppol ID, GLN), a currency (SEK, NOK, DKK, EUR, USD), the
company's exchange rates (issue 16: mostly of a day shortly before the invoice date, sometimes
none), and lines of every VAT category and rate, and asks the services: create the customer, create
and issue the invoice, credit it fully or partly. A refusal (DomainError) is a fine
answer if it says something. Every document accepted is built as UBL, and all of them
go through the official validator in ONE run at the end (its start-up dominates); no
fatal rule may fire. The one exception is declared, not tolerated: a buyer with no
identifier on Peppol's code list (a private person) has no electronic address, which
PEPPOL-EN16931-R010 reports and nothing else may; such a buyer is never routed to Peppol.

Each example runs in a transaction rolled back at its end, so examples do not meet.
About 40 examples here; `make property` runs many more (FAKTURERA_PROPERTY_EXAMPLES).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakturera.catalog.vat import STANDARD_RATES, VatCategory
from fakturera.core.errors import DomainError
from fakturera.core.identifiers import electronic_address
from fakturera.documents.data import document_data
from fakturera.documents.ubl.build import build_ubl
from fakturera.documents.ubl.validator import fatal_rules, validate_files, validator_path
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import RateIn, credit_note_create, exchange_rates_save, invoice_create_issued
from fakturera.parties.services import company_create, customer_create
from fakturera.parties.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.needs_shared("the Peppol validator")]

EXAMPLES = int(os.environ.get("FAKTURERA_PROPERTY_EXAMPLES", "40"))
ISSUED_ON = dt.date(2026, 12, 1)
NO_BUYER_ADDRESS = "PEPPOL-EN16931-R010"

# Sellers as the company settings take them: country, organisation number, VAT number, payment.
SELLERS = {
    "SE": {"org_number": "556732-1707", "vat_number": "SE556732170701", "bankgiro": "991-2346"},
    "DK": {"org_number": "13585628", "vat_number": "DK13585628", "iban": "DK5000400440116243", "bic": "DABADKKK"},
    "NO": {"org_number": "923609016", "vat_number": "NO923609016MVA", "iban": "NO9386011117947", "bic": "DNBANOKK"},
    "FI": {"org_number": "2077474-0", "vat_number": "FI20774740", "iban": "FI2112345600000785", "bic": "NDEAFIHH"},
}
# A valid identifier of each kind per buyer country (what staff would type).
ORG_NUMBERS = {"SE": "556036-0793", "NO": "974760673", "DK": "25313763", "FI": "0112038-9"}
VAT_NUMBERS = {
    "SE": "SE556036079301", "NO": "974760673MVA", "DK": "DK25313763", "FI": "01120389",
    "DE": "136695976", "GB": "GB980780684", "US": "123456789",
}  # fmt: skip
PEPPOL_IDS = {
    "SE": "0007:5560360793", "NO": "0192:974760673", "DK": "0184:25313763", "FI": "0216:003701120389",
    "DE": "9930:DE136695976", "GB": "9932:GB980780684",
}  # fmt: skip
CITIES = {"SE": "Västerås", "NO": "Bergen", "DK": "Odense", "FI": "Helsinki", "DE": "Berlin", "GB": "London"}
CURRENCIES = ("SEK", "SEK", "NOK", "DKK", "EUR", "EUR", "USD")  # USD is refused: not a currency we invoice in
UNITS = ("st", "h", "tim", "mån", "dag", "km", "kg", "paket", "")
# SEK per unit, around what they have been.
RATE_RANGES = {
    "EUR": (Decimal("9"), Decimal("13")),
    "NOK": (Decimal("0.8"), Decimal("1.2")),
    "DKK": (Decimal("1.2"), Decimal("1.8")),
}


@st.composite
def sellers(draw) -> dict[str, Any]:
    country = draw(st.sampled_from(sorted(SELLERS)))
    fields = {"country": country, **SELLERS[country]}
    if draw(st.integers(0, 4)) == 0:
        fields["vat_number"] = ""
    fields["is_f_tax_approved"] = country == "SE" and draw(st.booleans())
    fields["is_rounding_to_whole_units"] = draw(st.booleans())
    fields["default_currency"] = draw(st.sampled_from(("SEK", "NOK", "DKK", "EUR")))
    return fields


@st.composite
def customers(draw) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(("person", "organisation", "organisation")))
    country = draw(st.sampled_from(("SE", "SE", "NO", "DK", "FI", "DE", "GB", "US")))
    fields: dict[str, Any] = {"name": draw(st.sampled_from(("Anna Berg", "Kund AB", "Müller & Söhne GmbH"))),
                              "country": country, "city": CITIES.get(country, "Boston"), "postal_code": "12345",
                              "address_line1": "Storgatan 1"}  # fmt: skip
    if kind == "organisation":
        if country in ORG_NUMBERS and draw(st.booleans()):
            fields["org_number"] = ORG_NUMBERS[country]
        if draw(st.booleans()):
            fields["vat_number"] = VAT_NUMBERS[country]
        if country in PEPPOL_IDS and draw(st.integers(0, 3)) == 0:
            fields["peppol_id"] = PEPPOL_IDS[country]
        if draw(st.integers(0, 5)) == 0:
            fields["gln"] = "7300010000001"
    return kind, fields


@st.composite
def lines(draw, seller_country: str) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    # Mostly one category per invoice, as real ones are (O may not share one, BR-O-11..14).
    main = draw(st.sampled_from(VatCategory.values))
    result = []
    for index in range(count):
        mixed = draw(st.integers(0, 9)) == 0 if main == VatCategory.OUTSIDE_SCOPE else draw(st.booleans())
        category = draw(st.sampled_from(VatCategory.values)) if mixed else main
        rates = [f"{rate.normalize():f}" for rate in STANDARD_RATES[seller_country]]
        rate = draw(st.sampled_from(rates)) if category == VatCategory.STANDARD else "0"
        line = {
            "description": f"Rad {index + 1}",
            "quantity": str(draw(st.decimals(Decimal("0.5"), Decimal("40"), places=1))),
            "unit_price": str(draw(st.decimals(Decimal("0"), Decimal("9999.99"), places=2))),
            "vat_category": category,
            "vat_rate": rate,
            "unit": draw(st.sampled_from(UNITS)),
        }
        if draw(st.integers(0, 3)) == 0:
            start = dt.date(2026, 11, draw(st.integers(1, 15)))
            line["period_start"], line["period_end"] = start, start + dt.timedelta(days=draw(st.integers(0, 14)))
        result.append(line)
    return result


@st.composite
def examples(draw) -> dict[str, Any]:
    seller = draw(sellers())
    kind, customer = draw(customers())
    return {
        "seller": seller,
        "kind": kind,
        "customer": customer,
        "currency": draw(st.sampled_from(CURRENCIES)),
        "lines": draw(lines(seller["country"])),
        "credit": draw(st.sampled_from(("none", "full", "partial"))),
        # Issue 16: a Swedish seller's invoice in another currency with VAT needs a rate; mostly
        # there is one, of the invoice date or a few days before (a weekend), sometimes none.
        "rates": None
        if draw(st.integers(0, 4)) == 0
        else (
            ISSUED_ON - dt.timedelta(days=draw(st.integers(0, 4))),
            {
                currency: draw(st.decimals(low, high, places=draw(st.integers(2, 6))))
                for currency, (low, high) in RATE_RANGES.items()
            },
        ),
    }


@dataclass
class Outcome:
    documents: list[tuple[str, bytes, bool]] = field(default_factory=list)  # (label, UBL, buyer has an address)
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (what was refused, message)
    with_sek_vat: int = 0  # documents stating their VAT in SEK too (issue 16)


def _ubl(invoice: Invoice) -> tuple[bytes, bool]:
    full = Invoice.objects.prefetch_related("lines", "vat_breakdown").get(pk=invoice.pk)
    document = document_data(full)
    buyer = document.buyer
    address = electronic_address(
        peppol_id=buyer.peppol_id, gln=buyer.gln, org_number=buyer.org_number, vat_number=buyer.vat_number,
        country=buyer.country,
    )  # fmt: skip
    return build_ubl(document), address is not None


def _issue(example: dict[str, Any], outcome: Outcome) -> None:
    """What the services accept of one example, as UBL; what they refuse, with its message."""
    actor = UserFactory()
    try:
        company = company_create(actor=actor, name="Säljaren AB", **example["seller"])
        customer = customer_create(company=company, kind=example["kind"], **example["customer"])
        if example["rates"] is not None:
            rates_on, rates = example["rates"]
            exchange_rates_save(
                company=company, actor=actor, rates=[RateIn(code, rates_on, rate) for code, rate in rates.items()]
            )
        invoice = invoice_create_issued(
            company=company, customer=customer, actor=actor, lines=example["lines"], currency=example["currency"],
            issued_on=ISSUED_ON,
        )  # fmt: skip
    except DomainError as refused:
        outcome.refusals.append((repr(example), refused.message))
        return
    outcome.documents.append((repr(example), *_ubl(invoice)))
    # ML 17 kap. 29 §: a Swedish seller's invoice in another currency with VAT states it in SEK.
    states_sek = company.country == "SE" and invoice.currency != "SEK" and invoice.vat_amount != 0
    assert (invoice.sek_vat_amount is not None) == states_sek, example
    outcome.with_sek_vat += states_sek
    if example["credit"] == "none":
        return
    quantities = None
    if example["credit"] == "partial":
        first = invoice.lines.order_by("position").first()
        quantities = {first.pk: first.quantity}
    try:
        note = credit_note_create(invoice=invoice, actor=actor, quantities=quantities, issued_on=ISSUED_ON)
    except DomainError as refused:
        outcome.refusals.append((repr(example) + " (credit note)", refused.message))
        return
    outcome.documents.append((repr(example) + " (credit note)", *_ubl(note)))


def test_every_document_the_services_accept_passes_the_peppol_validator(tmp_path):
    if not validator_path().is_file():
        pytest.fail(f"The Peppol validator is missing at {validator_path().resolve()}.")
    outcome = Outcome()

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(example=examples())
    def run(example):
        with transaction.atomic():
            _issue(example, outcome)
            transaction.set_rollback(True)

    run()

    # Refusals must say something; accepted documents must all be valid, checked in one run.
    assert all(message.strip() for _example, message in outcome.refusals), outcome.refusals
    assert outcome.documents, "no example was accepted: the strategies make nothing the services take"
    paths = {}
    for index, (label, xml, has_address) in enumerate(outcome.documents):
        path = tmp_path / f"document-{index}.xml"
        path.write_bytes(xml)
        paths[str(path)] = (label, has_address)
    reports = validate_files(paths)
    reasons: dict[str, int] = {}
    for _example, message in outcome.refusals:
        reasons[message[:90]] = reasons.get(message[:90], 0) + 1
    print(
        f"\n{len(outcome.documents)} documents accepted and validated ({outcome.with_sek_vat} invoices with their "
        f"VAT in SEK too), {len(outcome.refusals)} refusals:"
    )
    for message, count in sorted(reasons.items(), key=lambda pair: -pair[1]):
        print(f"  {count:4} {message}")
    failures = []
    for file, report in reports.items():
        label, has_address = paths[file]
        fatal = fatal_rules(report)
        allowed = [] if has_address else [NO_BUYER_ADDRESS]
        if [rule.split(":")[0] for rule in fatal] != allowed:
            failures.append(f"{label}\n    " + "\n    ".join(fatal or ["(R010 expected: the buyer has no address)"]))
    assert not failures, f"{len(failures)} of {len(reports)} accepted documents are not valid:\n" + "\n".join(failures)
