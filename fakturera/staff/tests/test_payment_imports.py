"""The bank-file pages: the upload (a refused file says why and where, and nothing is written),
the list of imports, and an import's record with every line of the file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.payments.importing import payments_import
from fakturera.payments.models import Payment, PaymentImport
from fakturera.payments.testing import Credit, camt054
from fakturera.staff.forms import payment_imports as upload_form
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db
UPLOAD = reverse("staff:payment_import_upload")
LIST = reverse("staff:payment_imports")


@pytest.fixture
def staff(company):
    client = Client()
    client.user = log_in(client, company)
    return client


def _upload(client: Client, content: bytes, name: str = "bank.xml"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content, content_type="application/xml")})


def _file(company, admin_user) -> tuple[bytes, object]:
    invoice = issued_invoice(company, admin_user, "1000")
    content = camt054(
        [
            Credit(amount=invoice.total_amount, reference=invoice.payment_reference, payer="Anna Andersson"),
            Credit(amount=Decimal("77.00"), message="okänt", payer="Okänd Betalare"),
        ],
        message_id="MSG-77",
    )
    return content, invoice


def test_uploading_a_bank_file_imports_it_and_shows_its_record(staff, company, admin_user):
    content, _invoice = _file(company, admin_user)

    response = _upload(staff, content)

    record = PaymentImport.objects.get(company=company)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:payment_import_detail", args=[record.pk])
    assert record.filename == "bank.xml"
    assert record.booked_count == 2
    page = staff.get(response["Location"]).content.decode()
    assert record.sha256 in page
    assert "MSG-77" in page
    assert "Anna Andersson" in page
    assert "Okänd Betalare" in page
    assert "OCR reference" in page  # how the first was matched
    assert "Unmatched" in page
    for payment in Payment.objects.filter(payment_import=record):
        assert reverse("staff:payment_detail", args=[payment.pk]) in page
    assert "Booked: 2, not matched: 1, already booked: 0." in page


def test_the_same_file_again_books_nothing_and_links_each_line_to_its_earlier_payment(staff, company, admin_user):
    content, _invoice = _file(company, admin_user)
    first = payments_import(source=content, filename="bank.xml", actor=admin_user, company=company)

    response = _upload(staff, content, name="bank-again.xml")

    again = PaymentImport.objects.exclude(pk=first.pk).get()
    assert again.booked_count == 0
    assert again.skipped_count == 2
    page = staff.get(response["Location"]).content.decode()
    assert page.count('data-reason="already_booked"') == 2
    for payment in Payment.objects.filter(payment_import=first):
        assert reverse("staff:payment_detail", args=[payment.pk]) in page
    assert "The file booked no payment." in page
    assert 'id="import-same-file"' in page
    assert reverse("staff:payment_import_detail", args=[first.pk]) in page


def test_a_long_file_read_again_shows_its_lines_page_by_page(staff, company, django_assert_max_num_queries):
    bankgiro = company.bankgiro.replace("-", "")
    credits = [Credit(Decimal(f"{n}.00"), payer=f"Betalare {n}", bank_reference=f"B-{n}") for n in range(1, 131)]
    content = camt054([*credits, Credit(Decimal("0.00"), payer="Noll", bank_reference="B-0")], bankgiro_digits=bankgiro)
    first = payments_import(source=content, filename="bank.xml", company=company)
    again = payments_import(source=content, filename="bank.xml", company=company)
    url = reverse("staff:payment_import_detail", args=[again.pk])

    assert (first.booked_count, first.ignored_count) == (130, 1)
    with django_assert_max_num_queries(20):
        second_page = staff.get(url, {"skipped_page": 2}).content.decode()
    # 131 lines: 100 on the first page, then the last 30 booked ones and the zero amount.
    assert second_page.count('data-reason="already_booked"') == 30
    assert second_page.count('data-reason="zero_amount"') == 1
    assert "Betalare 130" in second_page
    assert "Betalare 100" not in second_page
    assert staff.get(url).content.decode().count('data-reason="already_booked"') == 100


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty."),
        (b"hello, this is not a bank file\n", "This is not a bank file Fakturera reads"),
        (
            camt054([Credit(amount=Decimal("10.00"))]).replace(b"<Amt Ccy", b"<Amt Cy"),
            "The file was not imported; nothing was booked.",
        ),
    ],
    ids=["empty", "unknown", "damaged"],
)
def test_a_refused_file_says_why_and_writes_nothing(staff, content, words):
    response = _upload(staff, content)

    assert response.status_code == 400
    assert words in response.content.decode()
    assert 'id="upload-refusal"' in response.content.decode()
    assert PaymentImport.objects.count() == 0
    assert Payment.objects.count() == 0


def test_a_damaged_file_names_the_line_or_element(staff):
    content = camt054([Credit(amount=Decimal("10.00"))]).replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"")

    response = _upload(staff, content)

    text = response.content.decode()
    assert response.status_code == 400
    assert "line" in text or "Ntry" in text
    assert PaymentImport.objects.count() == 0


def test_a_file_for_another_companys_account_is_refused(staff, company):
    CompanyFactory(bankgiro="5050-1055")

    response = _upload(staff, camt054([Credit(amount=Decimal("10.00"))], bankgiro_digits="50501055"))

    assert response.status_code == 400
    assert "belongs to another company than" in response.content.decode()
    assert PaymentImport.objects.count() == 0


def test_a_file_over_the_limit_is_refused_above_the_input(staff, monkeypatch):
    monkeypatch.setattr(upload_form, "MAX_BYTES", 1000)

    response = _upload(staff, camt054([Credit(amount=Decimal("10.00"))] * 10))

    text = response.content.decode()
    assert response.status_code == 400
    assert "a bank file may be at most 0 MB" in text or "at most" in text
    assert text.index('id="upload-refusal"') < text.index('type="file"')
    assert PaymentImport.objects.count() == 0


def test_a_read_only_user_may_look_but_not_upload(company, admin_user):
    client = Client()
    log_in(client, company, role="read_only")

    assert client.get(LIST).status_code == 200
    assert 'id="upload-form"' not in client.get(LIST).content.decode()
    assert _upload(client, b"x").status_code == 403


def test_the_list_pages_and_shows_counts_and_totals(staff, company, admin_user):
    for n in range(27):
        payments_import(
            source=camt054([Credit(amount=Decimal("10.00") + n, bank_reference=f"R{n}")], message_id=f"M{n}"),
            filename=f"bank-{n:02}.xml",
            actor=admin_user,
            company=company,
        )

    first = staff.get(LIST)
    second = staff.get(LIST, {"page": 2})

    assert first.status_code == second.status_code == 200
    assert "bank-26.xml" in first.content.decode()
    assert "bank-00.xml" not in first.content.decode()
    assert "bank-00.xml" in second.content.decode()
    assert "27 in all" in first.content.decode()
    assert "SEK10.00" in second.content.decode() or "10.00" in second.content.decode()


def test_the_record_pages_its_lines(staff, company, admin_user, monkeypatch):
    from fakturera.staff.views import payment_imports

    monkeypatch.setattr(payment_imports, "LINES_PER_PAGE", 3)
    credits = [Credit(amount=Decimal("1.00") + n, payer=f"Payer {n}", bank_reference=f"P{n}") for n in range(7)]
    record = payments_import(source=camt054(credits), filename="b.xml", actor=admin_user, company=company)
    url = reverse("staff:payment_import_detail", args=[record.pk])

    pages = [staff.get(url, {"page": n}).content.decode() for n in (1, 2, 3)]

    for n in range(7):
        assert sum(f"Payer {n}<" in page for page in pages) == 1
    assert "Page 3 of 3" in pages[2]


def test_another_companys_import_is_not_found(staff, admin_user):
    other = CompanyFactory(bankgiro="5050-1055")
    record = payments_import(
        source=camt054([Credit(amount=Decimal("10.00"))], bankgiro_digits="50501055"), filename="b.xml", company=other
    )

    assert staff.get(reverse("staff:payment_import_detail", args=[record.pk])).status_code == 404
    payment = Payment.objects.get(payment_import=record)
    assert staff.get(reverse("staff:payment_detail", args=[payment.pk])).status_code == 404


def test_skipped_lines_are_worded(staff, company, admin_user):
    record = PaymentImport.objects.create(
        company=company,
        sha256="0" * 64,
        format="camt.054",
        skipped=[
            {"position": "line 3", "reason": "debit", "amount": "5.00", "currency": "SEK", "reference": ""},
            {"position": "line 4", "reason": "reversal", "amount": "6.00", "currency": "SEK", "reference": ""},
            {"position": "line 5", "reason": "not_booked", "amount": "7.00", "currency": "SEK", "status": "PDNG"},
            {"position": "line 6", "reason": "no_amount", "amount": None, "currency": "EUR", "reference": ""},
            {"position": "line 7", "reason": "zero_amount", "amount": "0.00", "currency": "SEK", "reference": ""},
            {"position": "line 8", "reason": "stopped", "amount": "9.00", "currency": "SEK", "code": "02"},
            {"position": "line 9", "reason": "payout", "amount": "9.00", "currency": "SEK", "reference": ""},
        ],
    )

    page = staff.get(reverse("staff:payment_import_detail", args=[record.pk])).content.decode()

    for words in (
        "A debit (money out), not a payment",
        "A reversal by the bank",
        "Not booked by the bank yet",
        "PDNG",
        "No amount in the file",
        "Zero amount",
        "Collection stopped by Bankgirot",
        "(02)",
        "A payout, not a collection",
    ):
        assert words in page
