"""`ubl`: build N Peppol UBL files from prepared document data.

Setup makes N DocumentData in memory as `document_data` reads them from issued
invoices (amounts with two decimals, quantities with three, prices with four; one
to five lines in a clinic's mix of exempt care, 25 % and 6 %; every tenth a
credit note; every fourth buyer an organisation with a Peppol ID) and is not
timed; the timed part is `build_ubl` on each, nothing else. `ubl_verify` reads a
sample back and checks the amount due and the line count.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from fakturera.documents.data import DocumentData, Line, Party, VatBreakdown
from fakturera.documents.ubl.build import build_ubl

CENT = Decimal("0.01")
ITEM_KINDS = [
    ("Samtalsterapi", Decimal("950.0000"), "E", Decimal("0.00"), "st"),
    ("Parterapi", Decimal("1400.0000"), "E", Decimal("0.00"), "tim"),
    ("Massage", Decimal("695.0000"), "S", Decimal("25.00"), "st"),
    ("Kursbok", Decimal("349.0000"), "S", Decimal("6.00"), "st"),
]
SELLER = Party(
    name="Bänkmärket AB",
    org_number="559900-1236",
    vat_number="SE559900123601",
    peppol_id="0007:5599001236",
    email="faktura@example.se",
    address_line1="Mätvägen 1",
    postal_code="111 22",
    city="Stockholm",
    is_f_tax_approved=True,
    bankgiro="991-2346",
)
EXEMPTION = "Undantaget från mervärdesskatt (Mervärdesskattelagen 10 kap.)"
NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


@dataclass(frozen=True)
class UblCase:
    documents: list[DocumentData]
    results: list[bytes]

    @property
    def n(self) -> int:
        return len(self.documents)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _document(index: int, rng: random.Random) -> DocumentData:
    issued_on = dt.date(2026, 11, 1) + dt.timedelta(days=index % 28)
    is_organisation = index % 4 == 0
    buyer = Party(
        name=f"Organisation {index} AB" if is_organisation else f"Kund {index}",
        org_number="556036-0793" if is_organisation else "",
        vat_number="SE556036079301" if is_organisation else "",
        peppol_id="0007:5560360793" if is_organisation else "",
        email=f"kund{index}@post.example",
        address_line1=f"Gatan {index % 200 + 1}",
        postal_code="123 45",
        city="Västerås",
        kind="organisation" if is_organisation else "person",
        customer_number=1001 + index,
    )
    lines = []
    nets: dict[tuple[str, Decimal], Decimal] = {}
    for position in range(1, rng.randint(1, 5) + 1):
        name, price, category, rate, unit = rng.choice(ITEM_KINDS)
        quantity = Decimal(rng.choice(("1.000", "2.000", "1.500")))
        net = _money(quantity * price)
        lines.append(Line(position, f"{name} {issued_on:%Y-%m-%d}", quantity, unit, price, net, category, rate))
        nets[(category, rate)] = nets.get((category, rate), Decimal(0)) + net
    vat = tuple(
        VatBreakdown(
            category, rate, net, _money(net * rate / 100), exemption_reason=EXEMPTION if category == "E" else ""
        )
        for (category, rate), net in sorted(nets.items(), key=lambda item: -item[0][1])
    )
    net_amount = sum((row.taxable_amount for row in vat), Decimal("0.00"))
    vat_amount = sum((row.vat_amount for row in vat), Decimal("0.00"))
    is_credit_note = index % 10 == 9
    return DocumentData(
        kind="credit_note" if is_credit_note else "invoice",
        number=str(index + 1),
        issued_on=issued_on,
        due_on=None if is_credit_note else issued_on + dt.timedelta(days=30),
        currency="SEK",
        language="sv",
        seller=SELLER,
        buyer=buyer,
        lines=tuple(lines),
        vat=vat,
        net_amount=net_amount,
        vat_amount=vat_amount,
        rounding_amount=Decimal("0.00"),
        total_amount=net_amount + vat_amount,
        payment_reference="" if is_credit_note else f"{index + 1}0",
        buyer_reference=f"Projekt {index % 50}" if is_organisation else "",
        credited_number=str(index) if is_credit_note else "",
        credited_issued_on=issued_on if is_credit_note else None,
    )


def ubl_setup(*, n: int, seed: int = 1) -> UblCase:
    rng = random.Random(seed)
    return UblCase(documents=[_document(index, rng) for index in range(n)], results=[])


def ubl_run(case: UblCase) -> float:
    """Seconds taken by building every document's UBL."""
    started = time.perf_counter()
    results = [build_ubl(document) for document in case.documents]
    seconds = time.perf_counter() - started
    case.results.extend(results)
    return seconds


def ubl_verify(case: UblCase) -> None:
    if len(case.results) != case.n:
        raise AssertionError(f"{len(case.results)} UBL files, expected {case.n}")
    for index in range(0, case.n, max(1, case.n // 100)):
        document, root = case.documents[index], etree.fromstring(case.results[index])
        payable = root.findtext(".//cbc:PayableAmount", namespaces=NS)
        lines = len(root.findall("{*}InvoiceLine")) + len(root.findall("{*}CreditNoteLine"))
        if Decimal(payable) != document.total_amount or lines != len(document.lines):
            raise AssertionError(f"document {document.number}: payable {payable}, {lines} lines")
