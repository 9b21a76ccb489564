"""Bank files imported: every sample into a company holding its account, the broken ones
refused whole, the same transaction booked once, and matching in its order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from fakturera.core.ocr import rf_reference
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory
from fakturera.payments.files import AccountScheme, FileRefused, read_file
from fakturera.payments.importing import AccountRefused, payments_import
from fakturera.payments.models import Allocation, Payment, PaymentImport, PaymentKey, Receivable
from fakturera.payments.selectors import payment_import_skipped
from fakturera.payments.services import payment_settings_save
from fakturera.payments.states import MatchMethod, PaymentStatus, ReceivableState
from fakturera.payments.testing import Credit, camt054
from fakturera.payments.tests.samples import BGMAX, CAMT, NO_LINE_BREAKS, needs_formats, sample

pytestmark = pytest.mark.django_db

BANK_FILES = [
    *(CAMT / name for name in ("camt054.v2.xml", "camt054.v4.xml", "camt054.v8.xml", "camt054.v8-with-UETR.xml")),
    *(CAMT / name for name in ("camt053.v2.minimal.xml", "camt053.v8.xml")),
    *(
        BGMAX / name
        for name in (
            "BgMaxfil4.txt",
            "minimal.txt",
            "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt",
        )
    ),
]


def company_for(path) -> object:
    """A company holding the sample's account."""
    summary = read_file(path).summary
    account = summary.accounts[0]
    fields = (
        {"bankgiro": account.value}
        if account.scheme is AccountScheme.BANKGIRO
        else {"iban": account.value, "bankgiro": ""}
    )
    return CompanyFactory(**fields)


@needs_formats
@pytest.mark.parametrize("path", BANK_FILES + sorted(NO_LINE_BREAKS.glob("*.txt")), ids=lambda p: p.name)
def test_every_sample_imports_once(path):
    company = company_for(sample(path))

    first = payments_import(source=path, filename=path.name)

    assert first.company == company
    assert first.transaction_count == first.booked_count + first.skipped_count + first.ignored_count
    assert Payment.objects.filter(company=company).count() == first.booked_count
    assert first.booked_count == first.matched_count + first.unmatched_count

    again = payments_import(source=path, filename=path.name)

    assert again.same_file_as == first
    assert again.booked_count == 0
    assert again.skipped_count == first.booked_count + first.skipped_count
    assert Payment.objects.filter(company=company).count() == first.booked_count
    lines = payment_import_skipped(record=again)
    assert len(lines) == first.transaction_count
    assert {row["reason"] for row in lines} <= {
        "already_booked",
        "debit",
        "reversal",
        "not_booked",
        "no_amount",
        "zero_amount",
    }


def test_the_same_transactions_in_another_file_are_found_by_the_banks_keys(company):
    credits = [
        Credit(Decimal("100.00"), payer="Anna", bank_reference="BANK-1"),
        Credit(Decimal("200.00"), payer="Bo", bank_reference="BANK-2"),
    ]
    bankgiro = company.bankgiro.replace("-", "")
    first = payments_import(source=camt054(credits, bankgiro_digits=bankgiro, message_id="DAY-1"), company=company)
    # The next day's file repeats both and adds one: other bytes, so each line is looked up by its keys.
    later = camt054(
        [*credits, Credit(Decimal("300.00"), payer="Cai", bank_reference="BANK-3")],
        bankgiro_digits=bankgiro,
        message_id="DAY-2",
    )
    second = payments_import(source=later, company=company)

    assert first.booked_count == 2
    assert second.same_file_as is None
    assert (second.booked_count, second.skipped_count) == (1, 2)
    assert [line["reason"] for line in payment_import_skipped(record=second)] == ["already_booked"] * 2
    assert Payment.objects.filter(company=company).count() == 3


def test_a_file_imported_into_another_company_before_is_read_again(company):
    other = CompanyFactory(org_number="5566778899", bankgiro="5050-1055")
    content = camt054([Credit(Decimal("100.00"), bank_reference="B-1")], bankgiro_digits="50501055")
    with pytest.raises(AccountRefused):
        payments_import(source=content, company=company)
    first = payments_import(source=content, company=other)
    # The same bytes named for the first company again: still refused, not "imported before".
    with pytest.raises(AccountRefused):
        payments_import(source=content, company=company)
    assert payments_import(source=content).same_file_as == first


@needs_formats
def test_the_broken_bgmax_file_is_refused_and_nothing_is_written():
    path = sample(BGMAX / "BgMaxfil4_broken.txt")
    CompanyFactory(bankgiro="5555-5560")  # not needed: the file is refused before its account matters
    with pytest.raises(FileRefused) as refused:
        payments_import(source=path, filename=path.name)
    assert refused.value.line == 10
    assert PaymentImport.objects.count() == Payment.objects.count() == PaymentKey.objects.count() == 0


@needs_formats
def test_the_command_imports_and_refuses(capsys):
    path = sample(BGMAX / "BgMaxfil4.txt")
    company = company_for(path)

    call_command("import-payments", str(path), "--company", company.org_number)
    assert "booked" in capsys.readouterr().out

    with pytest.raises(CommandError, match="line 10"):
        call_command("import-payments", str(BGMAX / "BgMaxfil4_broken.txt"))


def test_an_account_of_no_company_is_refused():
    content = camt054([Credit(Decimal("100.00"), payer="Anna")], bankgiro_digits="56781234")
    with pytest.raises(AccountRefused, match="belongs to no company"):
        payments_import(source=content)
    assert Payment.objects.count() == PaymentImport.objects.count() == 0


def test_an_account_of_another_company_than_the_named_one_is_refused(company):
    other = CompanyFactory(org_number="5566778899", bankgiro="5050-1055")
    content = camt054([Credit(Decimal("100.00"))], bankgiro_digits="50501055")
    with pytest.raises(AccountRefused, match="another company"):
        payments_import(source=content, company=company)
    assert payments_import(source=content, company=other).booked_count == 1


def test_matching_in_order(company, admin_user):
    payment_settings_save(company=company, is_applying_credit_automatically=False)
    anna = PersonFactory(company=company, name="Anna Andersson")
    by_ocr = issued_invoice(company, admin_user, "1000", customer=anna)
    by_rf = issued_invoice(company, admin_user, "400", customer=anna)
    by_text = issued_invoice(company, admin_user, "200", customer=anna)
    bertil = OrganisationFactory(company=company, name="Bertils Bygg AB")
    by_payer = issued_invoice(company, admin_user, "80", customer=bertil)
    twin_a = issued_invoice(company, admin_user, "60", customer=PersonFactory(company=company, name="Cecilia Ek"))
    twin_b = issued_invoice(company, admin_user, "60", customer=PersonFactory(company=company, name="Cecilia Ek"))
    content = camt054(
        [
            Credit(Decimal("1250.00"), reference=by_ocr.payment_reference, payer="ANDERSSON ANNA"),
            Credit(Decimal("500.00"), reference=rf_reference(str(by_rf.number))),
            Credit(Decimal("250.00"), message=f"Faktura {by_text.number} tack!"),
            Credit(Decimal("100.00"), payer="BERTILS BYGG"),
            Credit(Decimal("75.00"), payer="Cecilia Ek"),
            Credit(Decimal("999.00"), payer="Okänd"),
        ],
        bankgiro_digits=company.bankgiro.replace("-", ""),
    )

    record = payments_import(source=content, company=company, actor=admin_user)

    payments = list(Payment.objects.filter(payment_import=record).order_by("pk"))
    assert [p.match for p in payments] == [
        MatchMethod.OCR,
        MatchMethod.RF,
        MatchMethod.INVOICE_NUMBER,
        MatchMethod.AMOUNT_PAYER,
        MatchMethod.NONE,
        MatchMethod.NONE,
    ]
    for invoice in (by_ocr, by_rf, by_text, by_payer):
        assert Receivable.objects.get(pk=invoice.pk).state == ReceivableState.PAID
    twins = payments[4]
    assert twins.status == PaymentStatus.UNMATCHED
    assert {s["invoice_id"] for s in twins.match_details["suggestions"]} == {twin_a.pk, twin_b.pk}
    assert (record.matched_count, record.unmatched_count) == (4, 2)
    assert record.totals == {"SEK": "3174.00"}


def test_a_discounted_payment_within_the_period_settles(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    Receivable.objects.filter(pk=invoice.pk).update(
        cash_discount_amount=Decimal("25.00"), cash_discount_until=dt.date(2026, 12, 1)
    )
    content = camt054(
        [Credit(Decimal("1225.00"), reference=invoice.payment_reference, booked_on=dt.date(2026, 11, 28))],
        bankgiro_digits=company.bankgiro.replace("-", ""),
    )

    payments_import(source=content, company=company)

    found = Receivable.objects.get(pk=invoice.pk)
    assert found.state == ReceivableState.PAID
    assert found.settled_amount == Decimal("1250.00")


def test_the_cash_discount_terms_of_an_invoice_settle_it_with_the_vat_share(company, admin_user):
    customer = PersonFactory(company=company)
    customer.cash_discount_percent, customer.cash_discount_days = Decimal("2"), 10
    customer.save()
    invoice = issued_invoice(company, admin_user, "1000", customer=customer)
    found = Receivable.objects.get(pk=invoice.pk)
    assert (found.cash_discount_amount, found.cash_discount_until) == (Decimal("25.00"), invoice.cash_discount_until)
    content = camt054(
        [Credit(Decimal("1225.00"), reference=invoice.payment_reference, booked_on=invoice.issued_on)],
        bankgiro_digits=company.bankgiro.replace("-", ""),
    )

    payments_import(source=content, company=company)

    assert Receivable.objects.get(pk=invoice.pk).state == ReceivableState.PAID
    discount = Allocation.objects.get(invoice=invoice, kind="cash_discount")
    assert discount.amount == Decimal("25.00")
    assert discount.params["vat"] == [{"category": "S", "rate": "25.00", "net": "20.00", "vat": "5.00"}]


def test_an_import_runs_without_the_garbage_collector_and_turns_it_on_again(company):
    """A large file's objects are not walked by the collector again and again (core.collector):
    it is off while the file is booked and on again afterwards, also after a refusal."""
    import gc

    from fakturera.core.tests.collector_probe import collector_seen_at
    from fakturera.payments.events import PAYMENT_RECEIVED

    content = camt054([Credit(Decimal("100.00"), payer="Anna")], bankgiro_digits=company.bankgiro.replace("-", ""))
    with collector_seen_at(PAYMENT_RECEIVED) as seen:
        assert payments_import(source=content, company=company).booked_count == 1
    assert seen == [False]
    assert gc.isenabled()

    with pytest.raises(AccountRefused):
        payments_import(source=camt054([Credit(Decimal("100.00"), payer="Anna")], bankgiro_digits="56781234"))
    assert gc.isenabled()
