"""The cash discount on invoices (seed 004: "a discount for customers who pay early"): the
company's and customers' terms flow into every draft and issued invoice, each way of issuing
fixes its last day, and a discount that does not fit its terms is refused with nothing written."""

import datetime as dt
from decimal import Decimal

import pytest

from fakturera.billables.tests.factories import add_items
from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.invoicing.models import Invoice, InvoiceEvent, NumberSeries
from fakturera.invoicing.rules import cash_discount_applies
from fakturera.invoicing.selectors import invoice_cash_discount
from fakturera.invoicing.services import (
    invoice_create_draft,
    invoice_create_issued,
    invoice_issue,
    invoice_update_draft,
    invoices_issue_drafts,
    invoices_register_from_basis,
)
from fakturera.invoicing.tests.factories import ISSUED_ON, credit_note, draft_invoice, issued_invoice, line
from fakturera.parties.services import company_update, customer_create, customer_update
from fakturera.parties.tests.factories import PersonFactory
from fakturera.recurring.models import RecurringInvoice
from fakturera.recurring.services import recurring_generate
from fakturera.recurring.tests.helpers import line as recurring_line
from fakturera.recurring.tests.helpers import orders_of, recurring

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def discounting(company):
    """The company gives 2 % within 10 days, 30 days net."""
    return company_update(company=company, cash_discount_percent="2", cash_discount_days=10)


def test_an_issued_invoice_keeps_the_companys_discount_and_its_last_day(discounting, admin_user):
    invoice = issued_invoice(discounting, admin_user, "8000")

    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.cash_discount_percent, stored.cash_discount_days) == (D("2.00"), 10)
    assert stored.cash_discount_until == ISSUED_ON + dt.timedelta(days=10) == dt.date(2026, 11, 30)
    assert stored.due_on == dt.date(2026, 12, 20)

    terms = invoice_cash_discount(stored)
    assert (terms.discount_amount, terms.payable_amount) == (D("200.00"), D("9800.00"))
    assert [(p.vat_category, p.vat_rate, p.net_amount, p.vat_amount) for p in terms.parts] == [
        ("S", D("25.00"), D("160.00"), D("40.00"))
    ]
    assert cash_discount_applies(terms, dt.date(2026, 11, 30), D("9800.00"))
    assert not cash_discount_applies(terms, dt.date(2026, 12, 1), D("9800.00"))


def test_a_customers_override_wins_and_zero_percent_means_none_for_that_customer(discounting, admin_user):
    three = PersonFactory(company=discounting, cash_discount_percent=D("3"))
    none = PersonFactory(company=discounting, cash_discount_percent=D("0"))

    with_three = draft_invoice(discounting, admin_user, customer=three)
    without = draft_invoice(discounting, admin_user, customer=none)

    assert (with_three.cash_discount_percent, with_three.cash_discount_days) == (D("3"), 10)
    assert without.cash_discount_percent == D("0")
    assert invoice_cash_discount(issued(without, admin_user)) is None


def test_a_draft_given_its_own_discount_keeps_it_and_issuing_dates_it(discounting, admin_user):
    draft = draft_invoice(discounting, admin_user, "100", cash_discount_percent="1,5", cash_discount_days="8")

    invoice = issued(draft, admin_user)

    assert (invoice.cash_discount_percent, invoice.cash_discount_days) == (D("1.50"), 8)
    assert invoice.cash_discount_until == ISSUED_ON + dt.timedelta(days=8)


def test_the_default_is_left_out_when_the_customers_terms_are_too_short_for_it(discounting, admin_user):
    prompt = PersonFactory(company=discounting, payment_terms_days=10)

    draft = draft_invoice(discounting, admin_user, customer=prompt)

    assert (draft.cash_discount_percent, draft.payment_terms_days) == (D("0"), 10)


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        ({"cash_discount_percent": "100"}, "cash_discount_percent", "less than 100 percent"),
        ({"cash_discount_percent": "-2"}, "cash_discount_percent", "less than 100 percent"),
        ({"cash_discount_percent": "2", "cash_discount_days": 0}, "cash_discount_days", "at least one day"),
        ({"cash_discount_percent": "2", "cash_discount_days": 30}, "cash_discount_days", "before the due date"),
        ({"payment_terms_days": 10}, "cash_discount_days", None),  # given terms: the default is left out
        ({"payment_terms_days": 10, "cash_discount_percent": "2"}, "cash_discount_days", "(10 days) must end"),
    ],
)
def test_a_draft_whose_discount_does_not_fit_is_refused_and_nothing_written(
    discounting, admin_user, header, field, message
):
    customer = PersonFactory(company=discounting)
    before = Invoice.objects.count()

    if message is None:
        draft = invoice_create_draft(company=discounting, customer=customer, actor=admin_user, lines=[line()], **header)
        assert draft.cash_discount_percent == 0
        return
    with pytest.raises((DomainError, ValidationFailed)) as refused:
        invoice_create_draft(company=discounting, customer=customer, actor=admin_user, lines=[line()], **header)

    assert message in str(refused.value)
    assert field in str(getattr(refused.value, "field", None) or refused.value.errors)
    assert Invoice.objects.count() == before


def test_changing_a_drafts_terms_below_its_discount_period_is_refused_and_the_draft_unchanged(discounting, admin_user):
    draft = draft_invoice(discounting, admin_user)
    events = InvoiceEvent.objects.filter(invoice=draft).count()

    with pytest.raises(DomainError, match="must end before the due date"):
        invoice_update_draft(invoice=draft, actor=admin_user, payment_terms_days=7)

    draft.refresh_from_db()
    assert (draft.payment_terms_days, draft.cash_discount_days) == (30, 10)
    assert InvoiceEvent.objects.filter(invoice=draft).count() == events
    # Both together are fine, and so is dropping the discount.
    invoice_update_draft(invoice=draft, actor=admin_user, payment_terms_days=7, cash_discount_days=5)
    invoice_update_draft(invoice=draft, actor=admin_user, payment_terms_days=0, cash_discount_percent="0")
    draft.refresh_from_db()
    assert (draft.payment_terms_days, draft.cash_discount_percent) == (0, D("0"))


def test_issuing_checks_the_discount_again_and_takes_no_number(discounting, admin_user):
    draft = draft_invoice(discounting, admin_user)
    # A row changed behind the services' back (or before this rule): issuing still refuses it.
    Invoice.objects.filter(pk=draft.pk).update(cash_discount_days=30)
    next_number = NumberSeries.objects.get(company=discounting).next_number

    with pytest.raises(DomainError, match="must end before the due date"):
        invoice_issue(invoice=draft, actor=admin_user, issued_on=ISSUED_ON)

    assert Invoice.objects.get(pk=draft.pk).status == "draft"
    assert NumberSeries.objects.get(company=discounting).next_number == next_number


def test_a_credit_note_has_no_discount(discounting, admin_user):
    invoice = issued_invoice(discounting, admin_user, "800")

    note = credit_note(invoice, admin_user, issued_on=ISSUED_ON)

    stored = Invoice.objects.get(pk=note.pk)
    assert (stored.cash_discount_percent, stored.cash_discount_days, stored.cash_discount_until) == (D("0"), 0, None)
    assert invoice_cash_discount(stored) is None


def test_an_invoice_created_issued_at_once_gets_the_discount(discounting, admin_user):
    customer = PersonFactory(company=discounting)

    invoice = invoice_create_issued(
        company=discounting, customer=customer, actor=admin_user, lines=[line()], issued_on=ISSUED_ON
    )

    assert Invoice.objects.get(pk=invoice.pk).cash_discount_until == dt.date(2026, 11, 30)
    assert invoice.cash_discount_until == dt.date(2026, 11, 30)


def test_registering_the_basis_gives_each_customer_their_discount(discounting, admin_user):
    anna = PersonFactory(company=discounting, name="Anna")
    bo = PersonFactory(company=discounting, name="Bo", cash_discount_percent=D("0"))
    cilla = PersonFactory(company=discounting, name="Cilla", cash_discount_days=5)
    for customer in (anna, bo, cilla):
        add_items(discounting, customer, "100")

    invoices = invoices_register_from_basis(company=discounting, actor=admin_user, issued_on=ISSUED_ON)

    stored = {i.customer.name: i for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])}
    assert (stored["Anna"].cash_discount_percent, stored["Anna"].cash_discount_until) == (
        D("2"),
        dt.date(2026, 11, 30),
    )
    assert (stored["Bo"].cash_discount_percent, stored["Bo"].cash_discount_until) == (D("0"), None)
    assert stored["Cilla"].cash_discount_until == dt.date(2026, 11, 25)


def test_recurring_orders_get_the_discount_and_keep_it_when_invoiced_together(discounting, admin_user):
    anna = PersonFactory(company=discounting)
    bo = PersonFactory(company=discounting, cash_discount_percent=D("0"))
    for customer in (anna, bo):
        recurring(discounting, customer, admin_user, recurring_line("Hyra", "1000", "monthly", dt.date(2026, 11, 1)))

    recurring_generate(today=dt.date(2026, 11, 15))
    orders = [orders_of(ri)[0] for ri in RecurringInvoice.objects.filter(company=discounting).order_by("pk")]
    assert [(o.cash_discount_percent, o.cash_discount_days) for o in orders] == [(D("2"), 10), (D("0"), 0)]

    ids = [order.pk for order in orders]
    invoices_issue_drafts(company=discounting, actor=admin_user, invoice_ids=ids, issued_on=ISSUED_ON)

    assert [Invoice.objects.get(pk=o.pk).cash_discount_until for o in orders] == [dt.date(2026, 11, 30), None]


def issued(draft: Invoice, user) -> Invoice:
    invoice_issue(invoice=draft, actor=user, issued_on=ISSUED_ON)
    return Invoice.objects.get(pk=draft.pk)


# --- the settings ---------------------------------------------------------------------------------------


def test_the_company_setting_needs_a_period_shorter_than_its_terms_and_nothing_is_written(company):
    with pytest.raises(ValidationFailed) as refused:
        company_update(company=company, cash_discount_percent="2", cash_discount_days=30)

    assert "cash_discount_days" in refused.value.errors
    company.refresh_from_db()
    assert (company.cash_discount_percent, company.cash_discount_days) == (D("0"), 0)


def test_shortening_the_companys_terms_below_its_discount_period_is_refused(discounting):
    with pytest.raises(ValidationFailed) as refused:
        company_update(company=discounting, payment_terms_days=10)
    assert "cash_discount_days" in refused.value.errors


def test_a_customers_override_is_checked_with_the_terms_it_goes_with(discounting):
    # Without overrides the company's discount is only left out of this customer's invoices.
    customer_create(company=discounting, kind="person", name="Bo", payment_terms_days=10)
    with pytest.raises(ValidationFailed) as refused:
        customer_create(company=discounting, kind="person", name="Eva", payment_terms_days=10, cash_discount_days=10)
    assert "cash_discount_days" in refused.value.errors

    eva = customer_create(company=discounting, kind="person", name="Eva", payment_terms_days=10, cash_discount_days=5)
    assert (eva.cash_discount_percent, eva.cash_discount_days) == (None, 5)
    with pytest.raises(ValidationFailed) as refused:
        customer_update(customer=eva, cash_discount_percent="abc")
    assert refused.value.errors["cash_discount_percent"] == ["The cash discount must be a number, such as 2 or 1.5."]
    eva = customer_update(customer=eva, cash_discount_percent="0", cash_discount_days=None)
    eva.refresh_from_db()
    assert (eva.cash_discount_percent, eva.cash_discount_days) == (D("0"), None)
