"""Reminder letters (issue 15): rendered through `services.reminder_pdfs` and read back as
the customer would, by the text pypdf extracts (and once by eye, see the report)."""

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from pypdf import PdfReader

from fakturera.core.errors import ValidationFailed
from fakturera.documents.data import Party
from fakturera.documents.reminders import Reminder, ReminderFee
from fakturera.documents.services import reminder_pdfs
from fakturera.documents.testing import SAMPLE_SELLER, sample_invoice, sample_reminder
from fakturera.parties.tests.factories import CompanyFactory

MM = 72 / 25.4  # PDF points per millimetre


def pages_text(pdf):
    # Babel groups Swedish thousands with a no-break space; compare with plain spaces.
    return [page.extract_text().replace("\u00a0", " ") for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf):
    """The letter's words on one line each run of white space: a table row or a label and
    its value read as one phrase wherever the layout breaks lines."""
    return " ".join("\n".join(pages_text(pdf)).split())


def render(*reminders, template="window"):
    return reminder_pdfs(reminders=list(reminders), template=template)


def test_a_swedish_reminder_lists_the_invoice_fee_interest_total_and_new_due_date():
    reminder = sample_reminder(language="sv")

    [pdf] = render(reminder)
    text = text_of(pdf)

    # 1,241.84 left + 60.00 fee + 10.21 interest (1,241.84 x 10 % x 30 / 365).
    assert reminder.total_amount == Decimal("1312.05")
    assert "BETALNINGSPÅMINNELSE Påminnelse 2" in text
    assert "Datum 2026-12-20" in text
    assert "Kundnummer 1042" in text
    assert "Vi har ännu inte fått betalt för fakturan nedan." in text
    assert "Faktura Fakturadatum Förfallodatum Belopp Betalt Kvar att betala OCR-nummer Dagar sen" in text
    # number, invoice date, original due date, amount, paid so far, left, OCR, days overdue
    assert "1001 2026-10-21 2026-11-20 2 241,84 1 000,00 1 241,84 100164 30" in text
    assert "Förfallet belopp 1 241,84 kr" in text
    assert "Påminnelseavgift 60,00 kr" in text
    assert "Dröjsmålsränta 10 % per år på 1 241,84 kr Period 2026-11-21 – 2026-12-20 10,21 kr" in text
    assert "Att betala 1 312,05 kr" in text
    assert "Har ni redan betalat kan ni bortse från denna påminnelse." in text
    # The payment box: what, by when, with which reference, where to.
    assert "Att betala 1 312,05 kr Betala senast 2026-12-30 OCR-nummer 100164 Bankgiro 991-2346" in text
    assert "IBAN SE45 5000 0000 0583 9825 7466 BIC ESSESESS" in text
    # The invoice's letterhead and footer.
    assert "Klinik Åkerö AB, Storgatan 1, 111 22 Stockholm" in text
    assert "Örjan Ødegård Vägen 2 222 20 Lund" in text
    assert "Org.nr 556732-1707" in text
    assert "Godkänd för F-skatt" in text
    assert len(pages_text(pdf)) == 1


def test_an_english_reminder_formats_dates_and_money_the_english_way():
    text = text_of(render(sample_reminder(language="en"))[0])

    assert "PAYMENT REMINDER Reminder 2" in text
    assert "Date 20 Dec 2026" in text
    assert "Invoice Invoice date Due date Amount Paid Remaining Payment reference Days overdue" in text
    assert "1001 21 Oct 2026 20 Nov 2026 2,241.84 1,000.00 1,241.84 100164 30" in text
    assert "Reminder fee SEK 60.00" in text
    assert "Late payment interest 10% a year on SEK 1,241.84 Period 21 Nov 2026 – 20 Dec 2026 SEK 10.21" in text
    assert "Total to pay SEK 1,312.05 Pay by 30 Dec 2026 Payment reference 100164" in text
    assert "If you have already paid, please disregard this reminder." in text
    assert "Påminnelse" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("da", ["BETALINGSPÅMINDELSE Rykker 2", "1001 21.10.2026 20.11.2026 2.241,84 1.000,00 1.241,84 100164 30",
                "Rykkergebyr 60,00 SEK", "Morarenter 10 % p.a. af 1.241,84 SEK", "10,21 SEK",
                "At betale 1.312,05 SEK Betales senest 30.12.2026 Betalingsreference 100164"]),
        ("nb", ["BETALINGSPÅMINNELSE Purring 2", "1001 21.10.2026 20.11.2026 2 241,84 1 000,00 1 241,84 100164 30",
                "Purregebyr 60,00 SEK", "Forsinkelsesrente 10 % p.a. av 1 241,84 SEK", "10,21 SEK",
                "Å betale 1 312,05 SEK Betales innen 30.12.2026 Betalingsreferanse 100164"]),
    ],
)  # fmt: skip
def test_danish_and_norwegian_reminders(language, expected):
    text = text_of(render(sample_reminder(language=language))[0])
    for phrase in expected:
        assert phrase in text


def test_a_reminder_of_two_invoices_lists_both_with_their_references_and_interest():
    reminder = sample_reminder(language="sv", invoices=2)

    text = text_of(render(reminder)[0])

    # 1,241.84 + 950.00 left; 60.00 fee; 10.21 + 1.30 + 5.34 interest over three periods.
    assert reminder.total_amount == Decimal("2268.69")
    assert "1001 2026-10-21 2026-11-20 2 241,84 1 000,00 1 241,84 100164 30" in text
    assert "1017 2026-10-26 2026-11-25 950,00 0,00 950,00 101766 25" in text
    assert "Förfallet belopp 2 191,84 kr" in text
    assert "Period 2026-11-21 – 2026-12-20, faktura 1001 10,21 kr" in text
    assert "Dröjsmålsränta 10 % per år på 950,00 kr Period 2026-11-26 – 2026-11-30, faktura 1017 1,30 kr" in text
    assert "Dröjsmålsränta 10,25 % per år på 950,00 kr Period 2026-12-01 – 2026-12-20, faktura 1017 5,34 kr" in text
    assert "Att betala 2 268,69 kr" in text
    # No one reference pays both: each invoice with its own, as the table lists them.
    assert "OCR-nummer Respektive fakturas OCR-nummer" in text


def test_a_reference_given_for_the_whole_letter_is_the_one_to_pay_with():
    reminder = sample_reminder(language="sv", invoices=2, payment_reference="5550000000000003")
    text = text_of(render(reminder)[0])
    assert "Betala senast 2026-12-30 OCR-nummer 5550000000000003" in text
    assert "Respektive fakturas" not in text


def test_a_reminder_without_fee_or_interest_has_no_such_rows():
    reminder = sample_reminder(language="sv", has_fee=False, has_interest=False)

    text = text_of(render(reminder)[0])

    assert reminder.total_amount == Decimal("1241.84")
    assert "Påminnelseavgift" not in text
    assert "Förseningsersättning" not in text
    assert "Dröjsmålsränta" not in text
    assert "Förfallet belopp 1 241,84 kr Att betala 1 241,84 kr" in text


def test_the_late_payment_compensation_between_businesses_has_its_legal_name():
    # Lag (1981:739) 4 a §: 450 kr, instead of a reminder fee.
    fee = (ReminderFee(kind="late_payment_compensation", amount=Decimal("450.00")),)
    texts = {
        language: text_of(render(sample_reminder(language=language, fees=fee))[0])
        for language in ("sv", "en", "da", "nb")
    }
    assert "Förseningsersättning 450,00 kr" in texts["sv"]
    assert "Påminnelseavgift" not in texts["sv"]
    assert "Late payment compensation SEK 450.00" in texts["en"]
    assert "Kompensationsbeløb 450,00 SEK" in texts["da"]
    assert "Standardkompensasjon 450,00 SEK" in texts["nb"]


def test_an_unknown_language_is_refused_by_name():
    with pytest.raises(ValidationFailed) as refused:
        sample_reminder(language="fi")
    assert refused.value.errors == {
        "language": ["A reminder cannot be written in “fi”: the languages are sv, en, da, nb."]
    }


def test_a_refusal_speaks_the_users_language():
    letter = sample_reminder()
    with translation.override("sv"), pytest.raises(ValidationFailed) as refused:
        dataclasses.replace(letter, language="fi", level=0)
    assert refused.value.errors == {
        "language": ["En påminnelse kan inte skrivas på ”fi”: språken är sv, en, da, nb."],
        "level": ["En påminnelses nivå är 1 eller högre."],
    }


def _invoice(**changes):
    return dataclasses.replace(sample_invoice(1001, total="500.00", due_on=dt.date(2026, 11, 20)), **changes)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"invoices": ()}, "invoices", "A reminder lists at least one overdue invoice."),
        ({"invoices": (_invoice(paid_amount=Decimal("500.00")),)}, "invoices",
         "Invoice 1001 has nothing left to pay and cannot be reminded."),
        ({"invoices": (_invoice(), _invoice())}, "invoices", "A reminder lists each invoice once."),
        ({"invoices": (_invoice(due_on=dt.date(2026, 12, 20)),)}, "invoices",
         "Invoice 1001 is not overdue on the reminder's date."),
        ({"invoices": (_invoice(total_amount=Decimal("500.005")),)}, "invoices",
         "Invoice 1001: amounts are rounded to the currency's minor unit."),
        ({"due_on": dt.date(2026, 12, 20)}, "due_on", "A reminder's new due date comes after the reminder's date."),
        ({"level": 0}, "level", "A reminder's level is 1 or more."),
        ({"currency": "USD"}, "currency", "Unknown currency “USD”."),
        ({"fees": (ReminderFee(kind="collection_fee", amount=Decimal("180.00")),)}, "fees",
         "Unknown kind of fee “collection_fee”."),
        ({"fees": (ReminderFee(kind="reminder_fee", amount=Decimal("0.00")),)}, "fees",
         "A fee is an amount above zero, rounded to the currency's minor unit."),
        ({"text": "Betala\x0bnu"}, "text",
         "Remove the character U+000B: it is a control character that invoices, PDFs and e-mail cannot carry."),
    ],
)  # fmt: skip
def test_a_letter_that_would_be_wrong_is_refused(changes, field, message):
    base = sample_reminder(has_interest=False)
    with pytest.raises(ValidationFailed) as refused:
        dataclasses.replace(base, **changes)
    assert refused.value.errors == {field: [message]}


def test_interest_on_an_invoice_the_letter_does_not_list_or_beyond_its_date_is_refused():
    base = sample_reminder(invoices=2)
    [first, *_rest] = base.interest
    other = dataclasses.replace(first, invoice_number="999")
    later = dataclasses.replace(first, to_on=dt.date(2026, 12, 21))
    backwards = dataclasses.replace(first, from_on=dt.date(2026, 12, 21))
    unrounded = dataclasses.replace(first, amount=Decimal("10.205"))

    with pytest.raises(ValidationFailed) as refused:
        dataclasses.replace(base, interest=(other,))
    assert refused.value.errors == {"interest": ["Interest on invoice 999, which the reminder does not list."]}
    for row in (later, backwards):
        with pytest.raises(ValidationFailed, match="at the latest the reminder's date"):
            dataclasses.replace(base, interest=(row,))
    with pytest.raises(ValidationFailed, match="Interest is an amount of zero or more, rounded"):
        dataclasses.replace(base, interest=(unrounded,))


def test_the_policy_texts_line_breaks_are_kept():
    pdf = render(sample_reminder(text="Hej!\n\nVi saknar er betalning.\nRing oss gärna."))[0]
    lines = "\n".join(pages_text(pdf)).splitlines()
    assert "Hej!" in lines
    assert "Vi saknar er betalning." in lines
    assert "Ring oss gärna." in lines


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


def test_the_window_layout_puts_the_addressee_in_the_envelope_window():
    addressee = Party(
        name="Åkerö Vård AB", reference_name="Örjan Ødegård", address_line1="Box 12", postal_code="222 20", city="Lund"
    )
    [pdf] = render(sample_reminder(addressee=addressee), template="window")

    # The invoice's window (SS 03 31 08, C5): 20 to 30 mm from the left, 48 to 85 mm from the top.
    for wanted in ("Åkerö Vård AB", "Att: Örjan Ødegård", "Box 12", "222 20 Lund"):
        [(left, top)] = _positions_mm(pdf, wanted)
        assert 20 <= left <= 30, wanted
        assert 48 <= top <= 85, wanted
    [(_left, sender_top)] = _positions_mm(pdf, "Klinik Åkerö AB, Storgatan 1")
    assert 45 <= sender_top <= 52
    [(facts_left, _top)] = _positions_mm(pdf, "Kundnummer")
    assert facts_left >= 110
    assert "Vägen 2" not in text_of(pdf)  # the buyer's own address is not the letter's


def test_the_standard_layout_names_the_customer_above_the_address():
    text = text_of(render(sample_reminder(), template="standard")[0])
    assert "KUND Örjan Ødegård Vägen 2 222 20 Lund" in text


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="Unknown PDF template"):
        render(sample_reminder(), template="reminder")
    assert render(template="window") == []


def test_many_reminders_render_in_one_batch_each_into_its_own_file_in_order():
    other = dataclasses.replace(SAMPLE_SELLER, name="Annan Klinik AB", org_number="556036-0793")
    long_one = sample_reminder(invoices=45, buyer=dataclasses.replace(sample_reminder().buyer, name="Kund Lång"))
    reminders = [
        sample_reminder(buyer=dataclasses.replace(long_one.buyer, name="Kund Ett")),
        sample_reminder(seller=other, buyer=dataclasses.replace(long_one.buyer, name="Kund Två")),
        long_one,
        sample_reminder(language="en", buyer=dataclasses.replace(long_one.buyer, name="Kund Fyra")),
    ]

    pdfs = render(*reminders)

    texts = [text_of(pdf) for pdf in pdfs]
    names = ["Kund Ett", "Kund Två", "Kund Lång", "Kund Fyra"]
    for name, text in zip(names, texts, strict=True):
        assert sum(candidate in text for candidate in names) == 1
        assert name in text
    assert "Annan Klinik AB" in texts[1]
    assert "Annan Klinik AB" not in texts[0]
    # A letter of many invoices runs over pages, numbered, the table's header repeated.
    pages = pages_text(pdfs[2])
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Sida {number} av {len(pages)}" in page
        assert "Faktura Fakturadatum Förfallodatum" in page
    assert "Att betala" in pages[-1]
    # Alone or in a batch, a letter reads the same; the same letter gives the same bytes.
    assert text_of(render(reminders[3])[0]) == texts[3]
    assert render(reminders[0]) == render(reminders[0])
    info = PdfReader(io.BytesIO(pdfs[0])).metadata
    assert info["/Title"] == "Betalningspåminnelse – Påminnelse 2 – Klinik Åkerö AB"
    assert info["/CreationDate"] == "D:20261220000000Z"


@pytest.mark.django_db
def test_a_preview_carries_the_companys_own_letterhead():
    company = CompanyFactory(name="Tandvård Norr AB", bankgiro="5050-1055", city="Umeå", postal_code="903 25")

    reminder = sample_reminder(company=company, text="Vänligen betala.")
    text = text_of(render(reminder)[0])

    assert isinstance(reminder, Reminder)
    assert "Tandvård Norr AB" in text
    assert "Bankgiro 5050-1055" in text
    assert "Org.nr " + company.org_number in text
    assert "Vänligen betala." in text
    assert "Klinik Åkerö AB" not in text
