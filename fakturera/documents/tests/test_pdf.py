"""Invoice PDFs: issued through the services, read back as the recipient would, by
the text pypdf extracts (and once by eye, see the report of issue 3)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image
from pypdf import PdfReader, PdfWriter

from fakturera.documents.data import document_data
from fakturera.documents.pdf import pdffile
from fakturera.documents.pdf.labels import LABELS
from fakturera.documents.pdf.render import merge_pdfs, render_pdfs, template_names
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import credit_note, exchange_rates, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db

ISSUED_ON = dt.date(2026, 11, 2)
MM = 72 / 25.4  # PDF points per millimetre

# 2 x 695 at 25 %, 349 at 6 %, 120 at 12 %: VAT 347.50 + 20.94 + 14.40.
MIXED_LINES = [
    {"description": "Massage 60 min", "quantity": "2", "unit_price": "695", "vat_rate": "25"},
    {"description": "Kursbok", "quantity": "1", "unit_price": "349", "vat_rate": "6"},
    {"description": "Lunch", "quantity": "1", "unit_price": "120", "vat_rate": "12"},
]


@pytest.fixture
def seller():
    png = io.BytesIO()
    Image.new("RGB", (300, 100), (31, 78, 121)).save(png, "PNG")
    # In the default storage: the database (core.storage.DatabaseStorage), no file on disk.
    assert default_storage.save("logos/klinik.png", ContentFile(png.getvalue())) == "logos/klinik.png"
    return CompanyFactory(
        name="Klinik Åkerö AB",
        iban="SE4550000000058398257466",  # stored compact, as clean_iban keeps it
        bic="ESSESESS",
        phone="08-123 45 67",
        logo="logos/klinik.png",
        brand_colour="#7a1f4e",
    )


def issue(company, user, customer, lines=MIXED_LINES, **header):
    return issued_invoice(company, user, customer=customer, lines=lines, issued_on=ISSUED_ON, **header)


def render(*invoices, template="standard"):
    return render_pdfs([document_data(Invoice.objects.get(pk=i.pk)) for i in invoices], template=template)


def pages_text(pdf):
    # Babel groups Swedish thousands with a no-break space; compare with plain spaces.
    return [page.extract_text().replace("\u00a0", " ") for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf):
    return "\n".join(pages_text(pdf))


def test_a_swedish_invoice_shows_its_number_totals_vat_ocr_and_due_date(seller, admin_user):
    customer = PersonFactory(company=seller, name="Örjan Ødegård", language="sv")
    invoice = issue(seller, admin_user, customer, buyer_reference="Projekt 42", order_reference="PO-778")

    [pdf] = render(invoice)
    text = text_of(pdf)

    assert invoice.total_amount == Decimal("2241.84")
    assert "FAKTURA" in text
    assert f"Fakturanummer {invoice.number}" in text
    assert "Fakturadatum 2026-11-02" in text
    assert "Förfallodatum 2026-12-02" in text
    assert f"OCR-nummer {invoice.payment_reference}" in text
    assert "Er referens Projekt 42" in text
    assert "Ordernummer PO-778" in text
    assert "Summa exkl. moms 1 859,00 kr" in text
    assert "Moms 382,84 kr" in text
    assert "Att betala 2 241,84 kr" in text
    # The VAT summary: one row per rate.
    assert "25 % 1 390,00 347,50" in text
    assert "12 % 120,00 14,40" in text
    assert "6 % 349,00 20,94" in text
    assert "Massage 60 min 2 st 695,00 25 % 1 390,00" in text
    # Seller's legal data and payment details.
    assert "Org.nr " + seller.org_number in text
    assert "Momsreg.nr " + seller.vat_number in text
    assert "Godkänd för F-skatt" in text
    assert "Bankgiro 991-2346" in text
    # printed in groups of four, as on a bank statement
    assert "IBAN SE45 5000 0000 0583 9825 7466" in text
    assert "Örjan Ødegård" in text
    assert len(pages_text(pdf)) == 1


def test_an_english_invoice_formats_numbers_dates_and_money_the_english_way(seller, admin_user):
    customer = PersonFactory(company=seller, language="en")
    invoice = issue(seller, admin_user, customer)

    text = text_of(render(invoice)[0])

    assert "INVOICE" in text
    assert f"Invoice number {invoice.number}" in text
    assert "Invoice date 2 Nov 2026" in text
    assert "Due date 2 Dec 2026" in text
    assert f"Payment reference {invoice.payment_reference}" in text
    assert "Total excl. VAT SEK 1,859.00" in text
    assert "VAT SEK 382.84" in text
    assert "Total to pay SEK 2,241.84" in text
    assert "25% 1,390.00 347.50" in text
    assert "Approved for F-tax" in text
    assert "Godkänd" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("da", ["FAKTURA", "Forfaldsdato 02.12.2026", "At betale 2.241,84 SEK", "Moms 382,84 SEK"]),
        ("nb", ["FAKTURA", "Forfallsdato 02.12.2026", "Å betale 2 241,84 SEK", "MVA 382,84 SEK"]),
    ],
)
def test_danish_and_norwegian_invoices(seller, admin_user, language, expected):
    customer = PersonFactory(company=seller, language=language)
    text = text_of(render(issue(seller, admin_user, customer))[0])
    for phrase in expected:
        assert phrase in text


# Seed 004: 2 % of 2,241.84 is 44.84, so 2,197.00 by 2026-11-12 (ten days), else 30 days net.
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", ["2 % kassarabatt vid betalning senast 2026-11-12 (att betala 2 197,00 kr), därefter 30 dagar netto",
                "Att betala senast 2026-11-12 2 197,00 kr", "Att betala 2 241,84 kr"]),
        ("en", ["2% cash discount if paid by 12 Nov 2026 (amount to pay SEK 2,197.00), otherwise 30 days net",
                "To pay by 12 Nov 2026 SEK 2,197.00", "Total to pay SEK 2,241.84"]),
        ("da", ["2 % kontantrabat ved betaling senest 12.11.2026 (at betale 2.197,00 SEK), ellers netto 30 dage",
                "At betale senest 12.11.2026 2.197,00 SEK"]),
        ("nb", ["2 % kontantrabatt ved betaling innen 12.11.2026 (å betale 2 197,00 SEK), deretter 30 dager netto",
                "Å betale innen 12.11.2026 2 197,00 SEK"]),
    ],
)  # fmt: skip
def test_the_cash_discount_is_stated_with_its_last_day_and_the_amount_to_pay(seller, admin_user, language, expected):
    customer = PersonFactory(company=seller, language=language)
    invoice = issue(seller, admin_user, customer, cash_discount_percent="2", cash_discount_days=10)

    text = " ".join(text_of(render(invoice)[0]).split())

    for phrase in expected:
        assert phrase in text


def test_without_a_discount_nothing_is_said_of_one(seller, admin_user):
    text = text_of(render(issue(seller, admin_user, PersonFactory(company=seller, language="sv")))[0])
    assert "kassarabatt" not in text
    assert "Att betala senast" not in text


def test_a_credit_note_of_a_discounted_invoice_states_no_discount(seller, admin_user):
    customer = PersonFactory(company=seller, language="sv")
    invoice = issue(seller, admin_user, customer, cash_discount_percent="2", cash_discount_days=10)

    text = text_of(render(credit_note(invoice, admin_user, issued_on=ISSUED_ON))[0])

    assert "kassarabatt" not in text


def test_a_credit_note_is_titled_as_one_and_names_the_invoice_it_credits(seller, admin_user):
    customer = PersonFactory(company=seller, language="sv")
    invoice = issue(seller, admin_user, customer)
    note = credit_note(invoice, admin_user, reason="Fel antal", issued_on=ISSUED_ON)

    text = text_of(render(note)[0])

    assert "KREDITFAKTURA" in text
    assert f"Kreditfaktura för faktura {invoice.number} av 2026-11-02" in text
    assert "Orsak: Fel antal" in text
    assert "Att kreditera 2 241,84 kr" in text
    # Nothing to pay on a credit note.
    assert "Att betala" not in text
    assert "Förfallodatum" not in text


def test_an_english_credit_note(seller, admin_user):
    customer = PersonFactory(company=seller, language="en")
    invoice = issue(seller, admin_user, customer)
    note = credit_note(invoice, admin_user, reason="Wrong quantity", issued_on=ISSUED_ON)

    text = text_of(render(note)[0])

    assert "CREDIT NOTE" in text
    assert f"Credit note for invoice {invoice.number} of 2 Nov 2026" in text
    assert "Reason: Wrong quantity" in text


def test_reverse_charge_states_it_with_the_buyers_vat_number(seller, admin_user):
    buyer = OrganisationFactory(company=seller, name="Dansk Klinik ApS", country="DK", vat_number="DK12345678")
    lines = [
        {"description": "Handledning", "quantity": "3", "unit_price": "1000", "vat_category": "AE", "vat_rate": "0"}
    ]
    invoice = issue(seller, admin_user, buyer, lines=lines)

    text = text_of(render(invoice)[0])

    assert "Omvänd betalningsskyldighet 3 000,00 0,00" in text
    assert "Omvänd betalningsskyldighet: köparen redovisar momsen." in text
    assert "Köparens momsreg.nr: DK12345678" in text
    assert "DANMARK" in text  # a foreign buyer's country is part of the address
    assert "Att betala 3 000,00 kr" in text


def test_exempt_lines_carry_the_exemption_text_in_english(seller, admin_user):
    customer = PersonFactory(company=seller, language="en")
    lines = [
        {"description": "Psychotherapy", "quantity": "1", "unit_price": "950", "vat_category": "E", "vat_rate": "0"}
    ]
    text = text_of(render(issue(seller, admin_user, customer, lines=lines))[0])
    assert "Exempt from VAT (Swedish VAT Act, chapter 10)." in text
    assert "Reverse charge" not in text


def test_a_line_with_a_period_shows_it(seller, admin_user):
    customer = PersonFactory(company=seller, language="sv")
    lines = [
        {
            "description": "Hyra behandlingsrum",
            "quantity": "1",
            "unit_price": "4000",
            "period_start": dt.date(2026, 11, 1),
            "period_end": dt.date(2026, 11, 30),
        }
    ]
    text = text_of(render(issue(seller, admin_user, customer, lines=lines))[0])
    assert "Period 2026-11-01 – 2026-11-30" in text


def test_rounding_to_whole_units_gets_its_own_line(admin_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    company = CompanyFactory(is_rounding_to_whole_units=True)
    customer = PersonFactory(company=company, language="sv")
    invoice = issue(company, admin_user, customer)  # 2241.84 -> 2242

    text = text_of(render(invoice)[0])

    assert invoice.rounding_amount == Decimal("0.16")
    assert "Öresavrundning 0,16 kr" in text
    assert "Att betala 2 242,00 kr" in text


def test_no_rounding_line_when_nothing_was_rounded(seller, admin_user):
    text = text_of(render(issue(seller, admin_user, PersonFactory(company=seller)))[0])
    assert "Öresavrundning" not in text


def test_a_sixty_line_invoice_runs_over_pages_with_numbers_and_the_table_header(seller, admin_user):
    customer = PersonFactory(company=seller, language="sv")
    lines = [
        {"description": f"Behandling {n}", "quantity": "1", "unit_price": "100", "vat_rate": "25"} for n in range(1, 61)
    ]
    invoice = issue(seller, admin_user, customer, lines=lines)

    pages = pages_text(render(invoice)[0])

    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Sida {number} av {len(pages)}" in page
        assert "Beskrivning Antal Enhet À-pris Moms Belopp" in page  # repeated header
    assert "Behandling 1 " in pages[0]
    assert "Behandling 60 " in pages[-1]
    assert "Att betala 7 500,00 kr" in pages[-1]


def test_a_one_page_invoice_has_no_page_number(seller, admin_user):
    pages = pages_text(render(issue(seller, admin_user, PersonFactory(company=seller)))[0])
    assert len(pages) == 1
    assert "Sida" not in pages[0]


def _positions_mm(pdf, wanted):
    """Where each text run containing `wanted` starts: (mm from the left, mm from the top)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    height = float(page.mediabox.height)
    found = []

    def visit(text, cm, tm, _font, _size):
        if wanted in text:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x / MM, (height - y) / MM))

    page.extract_text(visitor_text=visit)
    return found


def test_the_window_layout_puts_the_buyer_in_the_envelope_window(seller, admin_user):
    customer = PersonFactory(company=seller, name="Örjan Ødegård", address_line1="Vägen 2", city="Lund")
    invoice = issue(seller, admin_user, customer)

    [pdf] = render(invoice, template="window")

    # SS 03 31 08 / C5 window: from 20 mm from the left edge and 45 mm from the
    # top, 90 mm wide and about 45 mm high. The buyer's address is in it...
    for wanted in ("Örjan Ødegård", "Vägen 2", "Lund"):
        [(left, top)] = _positions_mm(pdf, wanted)
        assert 20 <= left <= 30, wanted
        assert 48 <= top <= 85, wanted
    # ...above it the sender's return address, and the invoice facts stand beside it.
    [(_left, sender_top)] = _positions_mm(pdf, "Klinik Åkerö AB, Storgatan 1")
    assert 45 <= sender_top <= 52
    [(facts_left, _top)] = _positions_mm(pdf, "Fakturanummer")
    assert facts_left >= 110


def test_the_logo_is_embedded_and_a_missing_file_is_not_fatal(seller, admin_user):
    invoice = issue(seller, admin_user, PersonFactory(company=seller))
    [with_logo] = render(invoice)
    assert b"/Subtype/Image" in with_logo

    default_storage.delete("logos/klinik.png")
    [without] = render(invoice)
    assert b"/Subtype/Image" not in without
    assert "Klinik Åkerö AB" in text_of(without)  # the name stands in for the logo


def test_the_same_invoice_renders_the_same_bytes(seller, admin_user):
    invoice = issue(seller, admin_user, PersonFactory(company=seller))

    first = render(invoice)[0]
    second = render(invoice)[0]

    assert first == second
    info = PdfReader(io.BytesIO(first)).metadata
    assert info["/CreationDate"] == "D:20261102000000Z"
    assert info["/Title"] == f"Faktura {invoice.number} – Klinik Åkerö AB"


def test_the_bundled_font_is_the_only_font(seller, admin_user):
    pdf = render(issue(seller, admin_user, PersonFactory(company=seller)))[0]
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {str(font["/BaseFont"]).split("+")[-1] for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts == {"Inter-Regular-Identity-H", "Inter-Bold-Identity-H"}


def test_a_batch_renders_each_invoice_into_its_own_file_in_order(seller, admin_user):
    other = CompanyFactory(name="Annan AB")
    invoices = [
        issue(seller, admin_user, PersonFactory(company=seller, name="Kund Ett")),
        issue(other, admin_user, PersonFactory(company=other, name="Kund Två")),
        issue(
            seller,
            admin_user,
            PersonFactory(company=seller, name="Kund Tre"),
            lines=[{"description": f"Rad {n}", "quantity": "1", "unit_price": "10"} for n in range(40)],
        ),
        issue(seller, admin_user, PersonFactory(company=seller, name="Kund Fyra", language="en")),
    ]

    pdfs = render(*invoices)

    texts = [text_of(pdf) for pdf in pdfs]
    for name, text in zip(["Kund Ett", "Kund Två", "Kund Tre", "Kund Fyra"], texts, strict=True):
        assert name in text
        assert sum(candidate in text for candidate in ("Kund Ett", "Kund Två", "Kund Tre", "Kund Fyra")) == 1
    assert "Annan AB" in texts[1]
    assert "Annan AB" not in texts[0]
    assert [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs][2] >= 2
    # Alone or in a batch, an invoice reads the same.
    assert text_of(render(invoices[3])[0]) == texts[3]


def test_merging_keeps_every_page_in_order(seller, admin_user):
    long_lines = [{"description": f"Rad {n}", "quantity": "1", "unit_price": "10"} for n in range(60)]
    invoices = [
        issue(seller, admin_user, PersonFactory(company=seller, name="Kund A")),
        issue(seller, admin_user, PersonFactory(company=seller, name="Kund B"), lines=long_lines),
        issue(seller, admin_user, PersonFactory(company=seller, name="Kund C")),
    ]
    pdfs = render(*invoices)

    merged = merge_pdfs(pdfs)

    counts = [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs]
    pages = pages_text(merged)
    assert len(pages) == sum(counts)
    assert "Kund A" in pages[0]
    assert "Kund B" in pages[1]
    assert "Kund C" in pages[-1]
    assert merge_pdfs(pdfs) == merged


def test_merging_a_pdf_from_elsewhere_falls_back_to_pypdf(seller, admin_user):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    other = io.BytesIO()
    writer.write(other)
    [pdf] = render(issue(seller, admin_user, PersonFactory(company=seller)))

    merged = merge_pdfs([pdf, other.getvalue()])

    assert len(PdfReader(io.BytesIO(merged)).pages) == 2
    with pytest.raises(ValueError, match="Nothing to merge"):
        merge_pdfs([])


def test_a_file_that_is_not_typsts_is_refused_by_the_cutter():
    with pytest.raises(pdffile.PdfStructureError):
        pdffile.read(b"%PDF-1.4\nnot really\n%%EOF")


def test_an_unknown_template_is_refused(seller, admin_user):
    invoice = issue(seller, admin_user, PersonFactory(company=seller))
    assert template_names() == ["standard", "window"]
    with pytest.raises(ValueError, match="Unknown PDF template"):
        render(invoice, template="common")


def test_every_language_has_every_label():
    keys = set(LABELS["sv"])
    assert {language: set(words) ^ keys for language, words in LABELS.items()} == {
        language: set() for language in LABELS
    }


# Issue 16: 1,859.00 EUR of MIXED_LINES carries 382.84 EUR VAT; at 11.4321 SEK/EUR that is
# 4,376.67 SEK (4,376.665 2... rounded half-up), stated under the VAT summary with its rate and date.
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "Moms i SEK: 4 376,67 kr (kurs 11,4321 SEK/EUR, 2026-11-02)"),
        ("en", "VAT in SEK: SEK 4,376.67 (rate 11.4321 SEK/EUR, 2 Nov 2026)"),
        ("da", "Moms i SEK: 4.376,67 SEK (kurs 11,4321 SEK/EUR, 02.11.2026)"),
        ("nb", "MVA i SEK: 4 376,67 SEK (kurs 11,4321 SEK/EUR, 02.11.2026)"),
    ],
)
def test_a_eur_invoice_states_its_vat_in_sek_with_the_rate(seller, admin_user, language, expected):
    exchange_rates(seller, on=ISSUED_ON)
    invoice = issue(seller, admin_user, PersonFactory(company=seller, language=language), currency="EUR")

    text = " ".join(text_of(render(invoice)[0]).split())

    assert invoice.sek_vat_amount == Decimal("4376.67")
    assert expected in text


def test_a_sek_invoice_states_no_vat_in_sek(seller, admin_user):
    text = text_of(render(issue(seller, admin_user, PersonFactory(company=seller, language="sv")))[0])
    assert "Moms i SEK" not in text
