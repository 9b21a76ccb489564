"""Peppol BIS Billing 3.0 UBL: an issued invoice as a UBL 2.1 Invoice (380) or CreditNote (381).

A pure function of DocumentData: every amount is the stored figure, written as it
is (nothing summed or rounded here), so the UBL agrees with the PDF to the öre.
Checked by `../shared/peppol/validate` (XSD, EN 16931 and Peppol rules, including
the Swedish SE-R rules); rule ids in the comments say which rule a choice serves.

Choices where the data leaves room:
- Electronic addresses (BT-34, BT-49, required by PEPPOL-EN16931-R020/R010): the
  party's Peppol ID; else its GLN (0088); else the identifier it would be
  registered under in Peppol: its organisation number in the national scheme
  (0007 SE, 0184 DK, 0192 NO, 0216 FI OVT) or its VAT number in the country's VAT
  scheme (9930 DE ...) (core.identifiers.electronic_address). A buyer with none
  of these (a private person) gets no EndpointID: Peppol's EAS list has no e-mail
  scheme ("EM" is EN 16931 only, PEPPOL-EN16931-CL008 refuses it) and persons
  have no participant id, and any other address would be made up or someone
  else's (the seller's own, before issue 13). Such a file breaks
  PEPPOL-EN16931-R010 and nothing else; it serves archives and exports, and is
  never sent on the network (distribution routes to Peppol only customers with a
  Peppol ID). Person invoices go by e-mail, letter or portal.
- Buyer reference (BT-10; PEPPOL-EN16931-R003 wants it or an order reference):
  the invoice's reference; else the buyer's invoice reference person ("Er
  referens", as Swedish practice uses BT-10); else, when there is no order number
  either, the customer number, which identifies the buyer at the seller.
- Payment (BG-16): credit transfer, code 30, with the bankgiro as the account and
  FinancialInstitutionBranch "SE:BANKGIRO" (SE-R-008, SE-R-009, SE-R-011), and the
  IBAN with the BIC; the OCR reference as the payment id (BT-83). Invoices in
  another currency than SEK list the IBAN first. Credit notes carry no payment
  means, only the payment terms text (BR-CO-25: a positive amount due needs a due
  date or payment terms).
- VAT in the accounting currency: a Swedish seller's document in EUR, NOK or DKK with VAT
  names SEK as its VAT accounting currency (BT-6, TaxCurrencyCode) and adds a second
  TaxTotal holding only the VAT in SEK stored at issue (BT-111; BR-53, PEPPOL-EN16931-R054:
  no subtotals in it), as Mervärdesskattelagen 17 kap. 29 § asks the VAT in kronor.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from decimal import Decimal

from lxml import etree

from fakturera.core.identifiers import electronic_address
from fakturera.documents.data import DocumentData, Line, Party, VatBreakdown

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"


class _Tags(dict[str, str]):
    """Clark-notation tag names of one namespace, made once: `CBC["ID"]`."""

    def __init__(self, namespace: str) -> None:
        super().__init__()
        self.namespace = namespace

    def __missing__(self, name: str) -> str:
        tag = self[name] = f"{{{self.namespace}}}{name}"
        return tag


CBC = _Tags(CBC_NS)
CAC = _Tags(CAC_NS)
# Parts made once and copied into documents declare the two namespaces the documents declare.
FRAGMENT_NSMAP = {"cac": CAC_NS, "cbc": CBC_NS}
_copy = etree._Element.__copy__  # a deep copy, without copy.deepcopy's bookkeeping


class _Kind:
    """What differs between an invoice and a credit note (UBL 2.1 maindoc schemas)."""

    def __init__(self, namespace: str, root: str, type_tag: str, type_code: str, line: str, quantity: str) -> None:
        self.root = f"{{{namespace}}}{root}"
        self.nsmap = {None: namespace, "cac": CAC_NS, "cbc": CBC_NS}
        self.type_tag = type_tag
        self.type_code = type_code
        self.line = line
        self.quantity = quantity


INVOICE = _Kind(INVOICE_NS, "Invoice", "InvoiceTypeCode", "380", "InvoiceLine", "InvoicedQuantity")
CREDIT_NOTE = _Kind(CREDIT_NOTE_NS, "CreditNote", "CreditNoteTypeCode", "381", "CreditNoteLine", "CreditedQuantity")

# Organisation numbers as ISO 6523 ICD: the legal registration identifier (BT-30, BT-47, BR-CL-11).
LEGAL_SCHEMES = {"SE": "0007", "DK": "0184", "NO": "0192", "FI": "0212"}

# Our units (as staff type them, in the customer's languages) as UN/ECE Recommendation 20
# codes (BR-CL-23). Anything else is C62, "one".
UNIT_CODES = {
    **dict.fromkeys(("st", "stk", "styck", "styk", "stykk", "pc", "pcs", "piece", "pieces", "ea"), "H87"),
    **dict.fromkeys(("h", "tim", "timme", "timmar", "time", "timer", "hour", "hours", "hr"), "HUR"),
    **dict.fromkeys(("min", "minut", "minuter", "minutter", "minute", "minutes"), "MIN"),
    **dict.fromkeys(("dag", "dagar", "dage", "dager", "dygn", "d", "day", "days"), "DAY"),
    **dict.fromkeys(("v", "vecka", "veckor", "uge", "uger", "uke", "uker", "week", "weeks"), "WEE"),
    **dict.fromkeys(("mån", "månad", "månader", "måned", "måneder", "mnd", "md", "month", "months"), "MON"),
    **dict.fromkeys(("år", "year", "years"), "ANN"),
    **dict.fromkeys(("km",), "KMT"),
    **dict.fromkeys(("m", "meter"), "MTR"),
    **dict.fromkeys(("kg",), "KGM"),
    **dict.fromkeys(("g",), "GRM"),
    **dict.fromkeys(("ton",), "TNE"),
    **dict.fromkeys(("l", "liter", "litre"), "LTR"),
    **dict.fromkeys(("m2", "m²", "kvm"), "MTK"),
    **dict.fromkeys(("m3", "m³"), "MTQ"),
    **dict.fromkeys(("kwh",), "KWH"),
    **dict.fromkeys(("paket", "pkt", "pack", "pk"), "XPK"),
}
DEFAULT_UNIT_CODE = "C62"

# Payment terms (BT-20) in the document's language: the invoice's terms, and on a credit
# note which invoice it credits.
TERMS_TEXTS = {
    "sv": ("{days} dagar netto", "Krediterar faktura {number}"),
    "en": ("{days} days net", "Credits invoice {number}"),
    "da": ("Netto {days} dage", "Krediterer faktura {number}"),
    "nb": ("{days} dager netto", "Krediterer faktura {number}"),
}
# The terms with a cash discount (seed 004), in the same one note: Peppol BIS 3 has one
# payment terms text (BT-20) and no structured field for a discount that is not deducted.
DISCOUNT_TERMS_TEXTS = {
    "sv": "{percent} % kassarabatt vid betalning senast {date} (att betala {amount} {currency}), "
    "därefter {days} dagar netto",
    "en": "{percent}% cash discount if paid by {date} (amount to pay {amount} {currency}), otherwise {days} days net",
    "da": "{percent} % kontantrabat ved betaling senest {date} (at betale {amount} {currency}), "
    "ellers netto {days} dage",
    "nb": "{percent} % kontantrabatt ved betaling innen {date} (å betale {amount} {currency}), "
    "deretter {days} dager netto",
}
# SE-R-005: a Swedish seller's tax registration (BT-32) states exactly this.
F_TAX_TEXT = "Godkänd för F-skatt"
BANKGIRO_BRANCH = "SE:BANKGIRO"
CREDIT_TRANSFER = "30"
# DK-R-005/006: a Danish supplier's invoice to a Danish buyer may not say 30; payment to a
# bank account (42) names the account and its branch (the BIC), else SEPA credit transfer.
DANISH_ACCOUNT_TRANSFER, SEPA_CREDIT_TRANSFER = "42", "58"
OUTSIDE_SCOPE = "O"
# The VAT accounting currency of a Swedish seller (BT-6).
TAX_CURRENCY = "SEK"
INTRA_COMMUNITY = "K"


def build_ubl(document: DocumentData, *, pdf: bytes | None = None) -> bytes:
    """The UBL 2.1 Invoice or CreditNote of an issued document, with `pdf` embedded if given."""
    kind = CREDIT_NOTE if document.is_credit_note else INVOICE
    currency = {"currencyID": document.currency}
    categories = {row.vat_category for row in document.vat}
    # BR-O-02: an invoice with "not subject to VAT" lines names no VAT identifiers.
    has_vat_ids = OUTSIDE_SCOPE not in categories
    seller, buyer = document.seller, document.buyer

    root = etree.Element(kind.root, nsmap=kind.nsmap)
    _text(root, "CustomizationID", CUSTOMIZATION_ID)
    _text(root, "ProfileID", PROFILE_ID)
    _text(root, "ID", document.number)
    _text(root, "IssueDate", document.issued_on.isoformat())
    if document.due_on is not None and kind is INVOICE:
        _text(root, "DueDate", document.due_on.isoformat())
    _text(root, kind.type_tag, kind.type_code)
    # PEPPOL-EN16931-R002: one note at most.
    note = "\n".join(text for text in (document.credit_reason, document.note) if text)
    if note:
        _text(root, "Note", note)
    _text(root, "DocumentCurrencyCode", document.currency)
    has_tax_currency = document.sek_vat_amount is not None and document.currency != TAX_CURRENCY
    if has_tax_currency:
        # BT-6 (PEPPOL-EN16931-R005: only when it differs from the document's currency).
        _text(root, "TaxCurrencyCode", TAX_CURRENCY)
    buyer_reference = _buyer_reference(document)
    if buyer_reference:
        _text(root, "BuyerReference", buyer_reference)
    period = document.period
    if period is not None and period[0] > period[1]:
        period = None  # BR-29: lines whose periods do not overlap make no invoice period
    if period is not None:
        _period(root, *period)
    if document.order_reference:
        _text(etree.SubElement(root, CAC["OrderReference"]), "ID", document.order_reference)
    if kind is CREDIT_NOTE and document.credited_number:
        reference = etree.SubElement(etree.SubElement(root, CAC["BillingReference"]), CAC["InvoiceDocumentReference"])
        _text(reference, "ID", document.credited_number)
        if document.credited_issued_on is not None:
            _text(reference, "IssueDate", document.credited_issued_on.isoformat())
    if pdf is not None:
        _attachment(root, document, pdf)

    seller_endpoint = _endpoint(seller)
    if seller_endpoint is None:
        raise ValueError(f"The seller {seller.name!r} has neither a Peppol ID nor an organisation number")
    root.append(
        _copy(
            _seller_party(
                "AccountingSupplierParty",
                seller,
                seller_endpoint,
                has_vat_ids=has_vat_ids,
                is_seller=True,
                contact_name=document.seller_reference,
            )
        )
    )
    root.append(
        _party(
            "AccountingCustomerParty",
            buyer,
            _endpoint(buyer),
            has_vat_ids=has_vat_ids,
            is_seller=False,
            contact_name=buyer.reference_name,
        )
    )
    if INTRA_COMMUNITY in categories:
        _delivery(root, document, has_period=period is not None)
    if kind is INVOICE:
        _payment_means(root, document)
    _text(etree.SubElement(root, CAC["PaymentTerms"]), "Note", _terms_text(document, kind))

    tax_total = etree.SubElement(root, CAC["TaxTotal"])
    _text(tax_total, "TaxAmount", _amount(document.vat_amount), currency)
    for row in document.vat:
        _tax_subtotal(tax_total, row, currency)
    if has_tax_currency:
        # BT-111: the VAT in the accounting currency, the stored figure, without subtotals.
        accounting_total = etree.SubElement(root, CAC["TaxTotal"])
        _text(accounting_total, "TaxAmount", _amount(document.sek_vat_amount), {"currencyID": TAX_CURRENCY})

    totals = etree.SubElement(root, CAC["LegalMonetaryTotal"])
    _text(totals, "LineExtensionAmount", _amount(document.net_amount), currency)
    _text(totals, "TaxExclusiveAmount", _amount(document.net_amount), currency)
    # BR-CO-15: net + VAT, which is the stored total before its rounding (BT-114).
    _text(totals, "TaxInclusiveAmount", _amount(document.total_amount - document.rounding_amount), currency)
    if document.prepaid_amount:
        # BT-113: paid from the customer's credit balance; BR-CO-16 payable = inclusive - paid + rounding.
        _text(totals, "PrepaidAmount", _amount(document.prepaid_amount), currency)
    if document.rounding_amount:
        _text(totals, "PayableRoundingAmount", _amount(document.rounding_amount), currency)
    _text(totals, "PayableAmount", _amount(document.payable_amount), currency)

    for line in document.lines:
        _line(root, kind, line, currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- parts -------------------------------------------------------------------------------------------


def _terms_text(document: DocumentData, kind: _Kind) -> str:
    """BT-20 in the document's language: what a credit note credits, an invoice's net days and,
    with a cash discount, its percent, last day and the amount to pay until then."""
    terms = TERMS_TEXTS.get(document.language, TERMS_TEXTS["en"])
    if kind is CREDIT_NOTE:
        return terms[1].format(number=document.credited_number)
    if document.cash_discount_until is None or document.cash_discount_payable_amount is None:
        return terms[0].format(days=document.payment_terms_days)
    return DISCOUNT_TERMS_TEXTS.get(document.language, DISCOUNT_TERMS_TEXTS["en"]).format(
        percent=f"{document.cash_discount_percent.normalize():f}",
        date=document.cash_discount_until.isoformat(),
        amount=_amount(document.cash_discount_payable_amount),
        currency=document.currency,
        days=document.payment_terms_days,
    )


def _text(parent: etree._Element, name: str, text: str, attrib: dict[str, str] | None = None) -> etree._Element:
    element = etree.SubElement(parent, CBC[name], attrib) if attrib else etree.SubElement(parent, CBC[name])
    element.text = text
    return element


def _amount(value: Decimal) -> str:
    # Stored amounts have two decimals already; this only writes them (BR-DEC-*).
    return f"{value:.2f}"


def _decimal(value: Decimal) -> str:
    return f"{value:f}"


def _digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def _buyer_reference(document: DocumentData) -> str:
    reference = document.buyer_reference or document.buyer.reference_name
    if reference or document.order_reference:
        return reference
    if document.buyer.customer_number is not None:
        return str(document.buyer.customer_number)
    return document.buyer.name


def _period(parent: etree._Element, start: dt.date | None, end: dt.date | None) -> None:
    period = etree.SubElement(parent, CAC["InvoicePeriod"])
    if start is not None:
        _text(period, "StartDate", start.isoformat())
    if end is not None:
        _text(period, "EndDate", end.isoformat())


def _attachment(root: etree._Element, document: DocumentData, pdf: bytes) -> None:
    reference = etree.SubElement(root, CAC["AdditionalDocumentReference"])
    _text(reference, "ID", document.number)
    attachment = etree.SubElement(reference, CAC["Attachment"])
    filename = f"{'credit-note' if document.is_credit_note else 'invoice'}-{document.number}.pdf"
    _text(
        attachment,
        "EmbeddedDocumentBinaryObject",
        base64.b64encode(pdf).decode("ascii"),
        {"mimeCode": "application/pdf", "filename": filename},
    )


def _endpoint(party: Party) -> tuple[str, str] | None:
    return electronic_address(
        peppol_id=party.peppol_id,
        gln=party.gln,
        org_number=party.org_number,
        vat_number=party.vat_number,
        country=party.country,
    )


def _legal_id(party: Party) -> tuple[str | None, str]:
    scheme = LEGAL_SCHEMES.get(party.country)
    if scheme is None:
        return None, party.org_number
    # SE-R-003, SE-R-004, PEPPOL-COMMON-R041/R042: digits only; the Finnish id keeps its hyphen.
    return scheme, party.org_number if party.country == "FI" else _digits(party.org_number)


def _party(
    role: str, party: Party, endpoint: tuple[str, str] | None, *, has_vat_ids: bool, is_seller: bool, contact_name: str
) -> etree._Element:
    wrapper = etree.Element(CAC[role], nsmap=FRAGMENT_NSMAP)
    element = etree.SubElement(wrapper, CAC["Party"])
    if endpoint is not None:
        _text(element, "EndpointID", endpoint[1], {"schemeID": endpoint[0]})
    if party.gln and endpoint != ("0088", party.gln):
        _text(etree.SubElement(element, CAC["PartyIdentification"]), "ID", party.gln, {"schemeID": "0088"})
    _text(etree.SubElement(element, CAC["PartyName"]), "Name", party.name)

    address = etree.SubElement(element, CAC["PostalAddress"])
    if party.address_line1:
        _text(address, "StreetName", party.address_line1)
    if party.address_line2:
        _text(address, "AdditionalStreetName", party.address_line2)
    if party.city:
        _text(address, "CityName", party.city)
    if party.postal_code:
        _text(address, "PostalZone", party.postal_code)
    _text(etree.SubElement(address, CAC["Country"]), "IdentificationCode", party.country or "SE")

    if party.vat_number and has_vat_ids:
        _tax_scheme(element, party.vat_number, "VAT")
    is_f_tax = is_seller and party.is_f_tax_approved and party.country == "SE"
    if is_f_tax:
        _tax_scheme(element, F_TAX_TEXT, "TAX")

    legal = etree.SubElement(element, CAC["PartyLegalEntity"])
    _text(legal, "RegistrationName", party.name)
    if party.org_number and party.kind != "person":
        scheme, identifier = _legal_id(party)
        _text(legal, "CompanyID", identifier, {"schemeID": scheme} if scheme else None)
    if is_f_tax:
        _text(legal, "CompanyLegalForm", F_TAX_TEXT)

    if contact_name or party.phone or party.email:
        contact = etree.SubElement(element, CAC["Contact"])
        if contact_name:
            _text(contact, "Name", contact_name)
        if party.phone:
            _text(contact, "Telephone", party.phone)
        if party.email:
            _text(contact, "ElectronicMail", party.email)
    return wrapper


# The seller is the same on every document of a run: its element is made once and copied,
# which costs a fifth of building it (bench ubl).
_seller_party = functools.lru_cache(maxsize=64)(_party)


def _tax_scheme(party: etree._Element, company_id: str, scheme: str) -> None:
    element = etree.SubElement(party, CAC["PartyTaxScheme"])
    _text(element, "CompanyID", company_id)
    _text(etree.SubElement(element, CAC["TaxScheme"]), "ID", scheme)


def _delivery(root: etree._Element, document: DocumentData, *, has_period: bool) -> None:
    # BR-IC-11 and BR-IC-12: an intra-community supply names when (the invoice period, or
    # else the invoice date) and to which country (the buyer's address) it was delivered.
    delivery = etree.SubElement(root, CAC["Delivery"])
    if not has_period:
        _text(delivery, "ActualDeliveryDate", document.issued_on.isoformat())
    address = etree.SubElement(etree.SubElement(delivery, CAC["DeliveryLocation"]), CAC["Address"])
    buyer = document.buyer
    if buyer.address_line1:
        _text(address, "StreetName", buyer.address_line1)
    if buyer.city:
        _text(address, "CityName", buyer.city)
    if buyer.postal_code:
        _text(address, "PostalZone", buyer.postal_code)
    _text(etree.SubElement(address, CAC["Country"]), "IdentificationCode", buyer.country or "SE")


def _payment_means(root: etree._Element, document: DocumentData) -> None:
    seller = document.seller
    accounts: list[tuple[str, str]] = []
    if seller.bankgiro:
        accounts.append((_digits(seller.bankgiro), BANKGIRO_BRANCH))
    if seller.iban:
        iban = (seller.iban.replace(" ", ""), seller.bic)
        # A bankgiro takes SEK; an invoice in another currency is paid to the IBAN first.
        accounts.insert(0 if document.currency != "SEK" else len(accounts), iban)
    for account, branch in accounts:
        means = etree.SubElement(root, CAC["PaymentMeans"])
        code = CREDIT_TRANSFER
        if seller.country == "DK":
            code = DANISH_ACCOUNT_TRANSFER if branch else SEPA_CREDIT_TRANSFER
        _text(means, "PaymentMeansCode", code)
        if document.payment_reference:
            _text(means, "PaymentID", document.payment_reference)
        financial_account = etree.SubElement(means, CAC["PayeeFinancialAccount"])
        _text(financial_account, "ID", account)
        if branch:
            _text(etree.SubElement(financial_account, CAC["FinancialInstitutionBranch"]), "ID", branch)


@functools.lru_cache(maxsize=256)
def _tax_category(tag: str, category: str, rate: str, exemption_code: str, exemption_reason: str) -> etree._Element:
    """A TaxCategory or ClassifiedTaxCategory, made once per category, rate and reason and
    then copied. The rate is the written text, not a Decimal: 25 and 25.00 are equal keys."""
    element = etree.Element(CAC[tag], nsmap=FRAGMENT_NSMAP)
    _text(element, "ID", category)
    # BR-O-05: "not subject to VAT" carries no rate; every other category states one.
    if category != OUTSIDE_SCOPE:
        _text(element, "Percent", rate)
    # BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10 want a reason; BR-S-10 and BR-Z-10 forbid one.
    if exemption_code:
        _text(element, "TaxExemptionReasonCode", exemption_code)
    if exemption_reason:
        _text(element, "TaxExemptionReason", exemption_reason)
    _text(etree.SubElement(element, CAC["TaxScheme"]), "ID", "VAT")
    return element


def _tax_subtotal(tax_total: etree._Element, row: VatBreakdown, currency: dict[str, str]) -> None:
    subtotal = etree.SubElement(tax_total, CAC["TaxSubtotal"])
    _text(subtotal, "TaxableAmount", _amount(row.taxable_amount), currency)
    _text(subtotal, "TaxAmount", _amount(row.vat_amount), currency)
    subtotal.append(
        _copy(
            _tax_category(
                "TaxCategory", row.vat_category, _decimal(row.vat_rate), row.exemption_code, row.exemption_reason
            )
        )
    )


def _line(root: etree._Element, kind: _Kind, line: Line, currency: dict[str, str]) -> None:
    element = etree.SubElement(root, CAC[kind.line])
    _text(element, "ID", str(line.position))
    unit_code = UNIT_CODES.get(line.unit.strip().lower().rstrip("."), DEFAULT_UNIT_CODE)
    _text(element, kind.quantity, _decimal(line.quantity), {"unitCode": unit_code})
    _text(element, "LineExtensionAmount", _amount(line.net_amount), currency)
    if line.period_start is not None or line.period_end is not None:
        _period(element, line.period_start, line.period_end)
    item = etree.SubElement(element, CAC["Item"])
    _text(item, "Name", line.description)
    item.append(_copy(_tax_category("ClassifiedTaxCategory", line.vat_category, _decimal(line.vat_rate), "", "")))
    _text(etree.SubElement(element, CAC["Price"]), "PriceAmount", _decimal(line.unit_price), currency)
