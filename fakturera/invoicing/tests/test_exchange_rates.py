"""Foreign currency done right (issue 16): a Swedish seller's invoice in EUR, NOK or DKK with VAT
states its VAT in SEK too (Mervärdesskattelagen 17 kap. 29 §), at the company's latest exchange
rate on or before the invoice date, stored on the invoice when it is issued. Every way of issuing
takes it; without a rate the invoice is refused before a number is taken; a credit note keeps
its invoice's rate."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from fakturera.billables.tests.factories import add_lines
from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.invoicing.models import ExchangeRate, Invoice, InvoiceEvent, NumberSeries
from fakturera.invoicing.rules import EXCHANGE_RATE_MAX_AGE_DAYS, needs_exchange_rate, vat_in_sek
from fakturera.invoicing.services import (
    RateIn,
    exchange_rate_delete,
    exchange_rates_save,
    invoice_create_issued,
    invoice_issue,
    invoices_issue_drafts,
    invoices_register_from_basis,
)
from fakturera.invoicing.states import InvoiceStatus
from fakturera.invoicing.tests.factories import (
    ISSUED_ON,
    credit_note,
    draft_invoice,
    exchange_rates,
    issued_invoice,
    line,
)
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _nothing_issued(company, draft):
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
    assert draft.number is None
    assert draft.exchange_rate is None
    assert NumberSeries.objects.get(company=company).next_number == 1
    assert not InvoiceEvent.objects.filter(invoice=draft, kind="issued").exists()


# --- the rule ------------------------------------------------------------------------------------------


def test_only_a_swedish_seller_s_foreign_invoice_with_vat_needs_a_rate():
    assert needs_exchange_rate(seller_country="SE", currency="EUR", vat_amount=D("1.00"))
    assert not needs_exchange_rate(seller_country="SE", currency="SEK", vat_amount=D("1.00"))
    assert not needs_exchange_rate(seller_country="SE", currency="EUR", vat_amount=D("0.00"))
    assert not needs_exchange_rate(seller_country="DK", currency="EUR", vat_amount=D("1.00"))


def test_the_sek_vat_is_rounded_half_up_once_by_core_money():
    # 250.00 x 11.4321 = 2,858.025: half-up gives .03 (banker's rounding would give .02).
    assert vat_in_sek(D("250.00"), D("11.4321")) == D("2858.03")
    assert vat_in_sek(D("250.00"), D("11.43208")) == D("2858.02")


# --- issuing ---------------------------------------------------------------------------------------------


def test_a_eur_invoice_with_vat_stores_the_rate_of_its_date_and_its_vat_in_sek(company, admin_user):
    exchange_rates(company, on=ISSUED_ON - dt.timedelta(days=3), EUR="11.2000")
    exchange_rates(company, on=ISSUED_ON, EUR="11.4321")
    exchange_rates(company, on=ISSUED_ON + dt.timedelta(days=1), EUR="11.9000")  # after: not known then

    invoice = issued_invoice(company, admin_user, "1000", currency="EUR")

    assert invoice.vat_amount == D("250.00")
    assert (invoice.exchange_rate, invoice.exchange_rate_on) == (D("11.4321"), ISSUED_ON)
    assert invoice.sek_vat_amount == D("2858.03")
    invoice.refresh_from_db()
    assert (invoice.exchange_rate, invoice.exchange_rate_on, invoice.sek_vat_amount) == (
        D("11.43210000"),
        ISSUED_ON,
        D("2858.03"),
    )


def test_on_a_day_without_a_rate_the_latest_one_before_it_is_used(company, admin_user):
    friday = ISSUED_ON - dt.timedelta(days=2)
    exchange_rates(company, on=friday, NOK="0.9612")

    invoice = issued_invoice(company, admin_user, "1000", currency="NOK")

    assert (invoice.exchange_rate, invoice.exchange_rate_on) == (D("0.9612"), friday)
    assert invoice.sek_vat_amount == D("240.30")


def test_without_a_rate_issuing_is_refused_before_a_number_is_taken(company, admin_user):
    exchange_rates(company, on=ISSUED_ON, NOK="0.9612")  # another currency's rate does not help
    draft = draft_invoice(company, admin_user, "1000", currency="EUR")

    with pytest.raises(DomainError) as refused:
        invoice_issue(invoice=draft, actor=admin_user, issued_on=ISSUED_ON)

    assert refused.value.code == "exchange_rate_missing"
    assert refused.value.field == "currency"
    assert refused.value.message == (
        f"The invoice to {draft.customer.name} is in EUR with VAT, which must also be stated in SEK, and there "
        "is no EUR exchange rate on or before 2026-11-20. Enter one under Settings, Exchange rates."
    )
    _nothing_issued(company, draft)


def test_a_rate_older_than_the_holidays_allow_is_refused(company, admin_user):
    old = ISSUED_ON - dt.timedelta(days=EXCHANGE_RATE_MAX_AGE_DAYS + 1)
    exchange_rates(company, on=old, EUR="11.0000")
    draft = draft_invoice(company, admin_user, "1000", currency="EUR")

    with pytest.raises(DomainError, match=f"the latest EUR exchange rate is from {old.isoformat()}"):
        invoice_issue(invoice=draft, actor=admin_user, issued_on=ISSUED_ON)
    _nothing_issued(company, draft)

    exchange_rates(company, on=ISSUED_ON - dt.timedelta(days=EXCHANGE_RATE_MAX_AGE_DAYS), EUR="11.1000")
    assert invoice_issue(invoice=draft, actor=admin_user, issued_on=ISSUED_ON).exchange_rate == D("11.1000")


def test_sek_invoices_and_foreign_invoices_without_vat_need_no_rate(company, admin_user):
    sek = issued_invoice(company, admin_user, "1000")
    zero_rated = issued_invoice(
        company, admin_user, currency="EUR", lines=[line("Bok", "300", vat_category="Z", vat_rate="0")]
    )
    for invoice in (sek, zero_rated):
        assert (invoice.exchange_rate, invoice.exchange_rate_on, invoice.sek_vat_amount) == (None, None, None)


def test_a_seller_outside_sweden_needs_no_swedish_kronor(admin_user):
    danish = CompanyFactory(country="DK", org_number="13585628", vat_number="DK13585628")
    user = StaffFactory(company=danish, role="admin").user
    invoice = issued_invoice(danish, user, "1000", currency="EUR")
    assert invoice.vat_amount == D("250.00")
    assert invoice.exchange_rate is None


def test_every_way_of_issuing_takes_the_rate(company, admin_user):
    exchange_rates(company)
    customer = OrganisationFactory(company=company)
    at_once = invoice_create_issued(
        company=company, customer=customer, actor=admin_user, lines=[line()], currency="DKK", issued_on=ISSUED_ON
    )
    drafts = [draft_invoice(company, admin_user, "100", currency=currency) for currency in ("EUR", "NOK", "SEK")]
    invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=[d.pk for d in drafts], issued_on=ISSUED_ON)
    # Two customers: a batch of new documents, written with COPY on PostgreSQL.
    person, other = PersonFactory(company=company), PersonFactory(company=company)
    add_lines(company, person, "400", currency="EUR")
    add_lines(company, other, "100", currency="NOK")
    registered, registered_nok = sorted(
        invoices_register_from_basis(
            company=company, actor=admin_user, customer_ids=[person.pk, other.pk], issued_on=ISSUED_ON
        ),
        key=lambda invoice: invoice.currency,
    )

    assert (at_once.exchange_rate, at_once.sek_vat_amount) == (D("1.5327"), D("306.54"))  # 200.00 DKK VAT
    rows = {row.currency: row for row in Invoice.objects.filter(pk__in=[d.pk for d in drafts])}
    assert (rows["EUR"].exchange_rate, rows["EUR"].sek_vat_amount) == (D("11.4321"), D("285.80"))  # 25.00 x
    assert (rows["NOK"].exchange_rate, rows["NOK"].sek_vat_amount) == (D("0.9612"), D("24.03"))
    assert (rows["SEK"].exchange_rate, rows["SEK"].sek_vat_amount) == (None, None)
    registered = Invoice.objects.get(pk=registered.pk)
    assert (registered.exchange_rate_on, registered.sek_vat_amount) == (ISSUED_ON, D("1143.21"))  # 100.00 x
    registered_nok = Invoice.objects.get(pk=registered_nok.pk)
    assert (registered_nok.exchange_rate, registered_nok.sek_vat_amount) == (D("0.9612"), D("24.03"))


def test_a_batch_with_one_currency_lacking_a_rate_is_refused_whole(company, admin_user):
    exchange_rates(company, EUR="11.4321")
    drafts = [draft_invoice(company, admin_user, "100", currency=currency) for currency in ("EUR", "NOK")]
    with pytest.raises(DomainError, match="no NOK exchange rate"):
        invoices_issue_drafts(
            company=company, actor=admin_user, invoice_ids=[d.pk for d in drafts], issued_on=ISSUED_ON
        )
    assert not Invoice.objects.filter(company=company).exclude(status=InvoiceStatus.DRAFT).exists()
    assert NumberSeries.objects.get(company=company).next_number == 1


# --- credit notes ------------------------------------------------------------------------------------------


def test_a_credit_note_uses_its_invoice_s_rate_not_the_rate_of_its_own_date(company, admin_user):
    exchange_rates(company, EUR="11.4321")
    invoice = issued_invoice(company, admin_user, "1000", quantity="3", currency="EUR")  # 750.00 EUR VAT
    later = ISSUED_ON + dt.timedelta(days=5)
    exchange_rates(company, on=later, EUR="12.0000")

    line_id = invoice.lines.get().pk
    partial = credit_note(invoice, admin_user, quantities={line_id: D("1")}, issued_on=later)
    rest = credit_note(invoice, admin_user, issued_on=later)

    assert (partial.exchange_rate, partial.exchange_rate_on) == (D("11.43210000"), ISSUED_ON)
    assert partial.vat_amount == D("250.00")
    assert partial.sek_vat_amount == D("2858.03")
    assert rest.sek_vat_amount == vat_in_sek(D("500.00"), D("11.4321")) == D("5716.05")


def test_a_credit_note_of_an_invoice_issued_before_rates_were_stored_takes_the_rate_of_its_date(company, admin_user):
    exchange_rates(company, EUR="11.4321")
    invoice = issued_invoice(company, admin_user, "1000", currency="EUR")
    # As an invoice issued before this change is stored: no rate.
    Invoice.objects.filter(pk=invoice.pk).update(exchange_rate=None, exchange_rate_on=None, sek_vat_amount=None)
    invoice.refresh_from_db()
    later = ISSUED_ON + dt.timedelta(days=5)
    exchange_rates(company, on=later, EUR="12.0000")

    note = credit_note(invoice, admin_user, issued_on=later)

    assert (note.exchange_rate, note.exchange_rate_on, note.sek_vat_amount) == (D("12.0000"), later, D("3000.00"))


# --- the rates themselves ------------------------------------------------------------------------------------


def test_a_rate_saved_again_for_its_day_replaces_it_and_issued_invoices_keep_theirs(company, admin_user):
    exchange_rates(company, EUR="11.4321")
    invoice = issued_invoice(company, admin_user, "1000", currency="EUR")

    exchange_rates_save(company=company, actor=admin_user, rates=[RateIn("eur", "2026-11-20", "11,5")])

    stored = ExchangeRate.objects.get(company=company, currency="EUR", rate_on=ISSUED_ON)
    assert (stored.rate, stored.created_by) == (D("11.5"), admin_user)
    invoice.refresh_from_db()
    assert invoice.exchange_rate == D("11.4321")


def test_wrong_rates_are_all_named_and_none_is_stored(company, admin_user):
    with pytest.raises(ValidationFailed) as refused:
        exchange_rates_save(
            company=company,
            actor=admin_user,
            rates=[
                RateIn("EUR", "2026-11-20", "11.43"),
                RateIn("SEK", "2026-11-20", "1"),
                RateIn("NOK", "20/11/2026", "0.96"),
                RateIn("DKK", "2026-11-20", "-1"),
                RateIn("EUR", "2026-11-21", "1.123456789"),
            ],
        )
    assert set(refused.value.errors) == {"rates.1.currency", "rates.2.rate_on", "rates.3.rate", "rates.4.rate"}
    with pytest.raises(ValidationFailed) as one:
        exchange_rates_save(company=company, actor=admin_user, rates=[RateIn("EUR", "2026-11-20", "elva")])
    assert one.value.errors == {"rates.0.rate": ["The rate must be a number."]}
    assert not ExchangeRate.objects.exists()


def test_a_rate_is_another_company_s_to_delete_never(company, admin_user):
    exchange_rates(company)
    other = CompanyFactory()
    rate = ExchangeRate.objects.filter(company=company).first()
    with pytest.raises(DomainError):
        exchange_rate_delete(company=other, rate_id=rate.pk)
    exchange_rate_delete(company=company, rate_id=rate.pk)
    assert ExchangeRate.objects.filter(company=company).count() == 2


def test_one_company_s_rates_are_not_another_s(company, admin_user):
    other = CompanyFactory()
    exchange_rates(other)
    draft = draft_invoice(company, admin_user, "1000", currency="EUR")
    with pytest.raises(DomainError, match="no EUR exchange rate"):
        invoice_issue(invoice=draft, actor=admin_user, issued_on=ISSUED_ON)


def test_the_refusal_is_in_the_user_s_language(company, admin_user, swedish):
    draft = draft_invoice(company, admin_user, "1000", currency="EUR")
    with translation.override("sv"), pytest.raises(DomainError) as refused:
        invoice_issue(invoice=draft, actor=admin_user, issued_on=ISSUED_ON)
    assert refused.value.message == (
        f"Fakturan till {draft.customer.name} är i EUR med moms, som också ska anges i SEK, och det finns ingen "
        "valutakurs för EUR den 2026-11-20 eller tidigare. Lägg in en under Inställningar, Valutakurser."
    )
