"""Invoice dates keep the number series in date order (Bokföringslagen: verifications in
chronological order), and are not far ahead: every way of issuing refuses a date before
the series' latest one or more than the company's `issue_days_ahead` after today, with
the allowed range in the user's language, and consumes no number when it refuses."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from fakturera.core.errors import DomainError
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.invoicing.rules import issue_date_refusal
from fakturera.invoicing.services import (
    credit_note_create,
    invoice_create_issued,
    invoice_issue,
    invoices_issue_drafts,
    invoices_register_from_basis,
)
from fakturera.invoicing.states import InvoiceStatus
from fakturera.invoicing.tests.factories import CONSULTATION, add_lines, draft_invoice, issued_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 5)
LATEST = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today():
    # Midday in Stockholm: timezone.localdate() is TODAY.
    with time_machine.travel(dt.datetime(2026, 12, 5, 11, tzinfo=dt.UTC), tick=False):
        yield


def _latest_issued(company, user):
    """The series' latest document, dated LATEST, number 1."""
    return issued_invoice(company, user, "100", issued_on=LATEST)


def _numbers(company) -> list[int]:
    return sorted(Invoice.objects.filter(company=company).exclude(number=None).values_list("number", flat=True))


# --- the rule ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_on", "latest", "allowed"),
    [
        (TODAY, None, True),
        (TODAY, LATEST, True),
        (LATEST, LATEST, True),  # the same day as the latest
        (TODAY + dt.timedelta(days=30), LATEST, True),
        (TODAY + dt.timedelta(days=31), LATEST, False),
        (LATEST - dt.timedelta(days=1), LATEST, False),
        (dt.date(2020, 1, 1), None, True),  # a first invoice may be dated back
    ],
)
def test_the_rule(issued_on, latest, allowed):
    assert (issue_date_refusal(issued_on, latest=latest, today=TODAY, days_ahead=30) == "") is allowed


def test_the_message_names_the_range_in_the_user_s_language():
    with translation.override("en"):
        assert issue_date_refusal(dt.date(2026, 11, 1), latest=LATEST, today=TODAY, days_ahead=30) == (
            "The invoice date must be between 2026-12-01 and 2027-01-04."
        )
    with translation.override("sv"):
        assert issue_date_refusal(dt.date(2026, 11, 1), latest=LATEST, today=TODAY, days_ahead=30) == (
            "Fakturadatumet måste vara mellan 2026-12-01 och 2027-01-04."
        )


# --- every way of issuing -------------------------------------------------------------------------------


def test_a_draft_dated_before_the_latest_is_refused_and_takes_no_number(company, admin_user):
    _latest_issued(company, admin_user)
    draft = draft_invoice(company, admin_user, "200")

    with pytest.raises(DomainError, match="between 2026-12-01 and 2027-01-04") as refused:
        invoice_issue(invoice=draft, actor=admin_user, issued_on=dt.date(2026, 11, 30))

    assert refused.value.field == "issued_on"
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (InvoiceStatus.DRAFT, None)
    assert NumberSeries.objects.get(company=company).last_issued_on == LATEST
    # the next invoice gets the next number: none was consumed
    assert invoice_issue(invoice=draft, actor=admin_user, issued_on=LATEST).number == 2


def test_a_date_too_far_ahead_is_refused(company, admin_user):
    _latest_issued(company, admin_user)
    draft = draft_invoice(company, admin_user, "200")

    with pytest.raises(DomainError, match="between 2026-12-01 and 2027-01-04"):
        invoice_issue(invoice=draft, actor=admin_user, issued_on=dt.date(2027, 1, 5))

    assert NumberSeries.objects.get(company=company).last_issued_on == LATEST
    assert invoice_issue(invoice=draft, actor=admin_user, issued_on=dt.date(2027, 1, 4)).number == 2


def test_the_company_setting_moves_the_upper_bound(company, admin_user):
    company.issue_days_ahead = 0
    company.save()
    draft = draft_invoice(company, admin_user, "200")

    with pytest.raises(DomainError, match="2026-12-05 or earlier"):
        invoice_issue(invoice=draft, actor=admin_user, issued_on=dt.date(2026, 12, 6))


def test_today_the_default_date_is_allowed(company, admin_user):
    company.issue_days_ahead = 0
    company.save()
    _latest_issued(company, admin_user)

    issued = invoice_issue(invoice=draft_invoice(company, admin_user, "200"), actor=admin_user, issued_on=None)

    assert issued.issued_on == TODAY


def test_created_issued_is_refused(company, admin_user):
    _latest_issued(company, admin_user)
    customer = PersonFactory(company=company)

    with pytest.raises(DomainError, match="between"):
        invoice_create_issued(
            company=company, customer=customer, actor=admin_user, lines=[CONSULTATION], issued_on=dt.date(2026, 11, 1)
        )

    assert _numbers(company) == [1]
    assert not Invoice.objects.filter(customer=customer).exists()


def test_registering_the_basis_is_refused_and_leaves_the_basis_open(company, admin_user):
    _latest_issued(company, admin_user)
    customer = PersonFactory(company=company)
    add_lines(company, customer, "300")

    with pytest.raises(DomainError, match="between"):
        invoices_register_from_basis(
            company=company, actor=admin_user, customer_ids=[customer.pk], issued_on=dt.date(2026, 11, 1)
        )

    assert _numbers(company) == [1]
    (invoice,) = invoices_register_from_basis(
        company=company, actor=admin_user, customer_ids=[customer.pk], issued_on=TODAY
    )
    assert invoice.number == 2


def test_drafts_issued_in_bulk_are_refused_as_a_whole(company, admin_user):
    _latest_issued(company, admin_user)
    drafts = [draft_invoice(company, admin_user, "200") for _ in range(3)]

    with pytest.raises(DomainError, match="between"):
        invoices_issue_drafts(
            company=company, actor=admin_user, invoice_ids=[d.pk for d in drafts], issued_on=dt.date(2026, 11, 1)
        )

    assert _numbers(company) == [1]
    issued = invoices_issue_drafts(company=company, actor=admin_user, invoice_ids=[d.pk for d in drafts])
    assert [i.number for i in issued] == [2, 3, 4]


def test_a_credit_note_shares_the_series_and_its_order(company, admin_user):
    invoice = _latest_issued(company, admin_user)
    issued_invoice(company, admin_user, "100", issued_on=TODAY)  # number 2, today

    with pytest.raises(DomainError, match="between 2026-12-05 and 2027-01-04"):
        credit_note_create(invoice=invoice, actor=admin_user, issued_on=LATEST)

    assert _numbers(company) == [1, 2]
    assert credit_note_create(invoice=invoice, actor=admin_user).number == 3


# --- as staff and integrations see it -------------------------------------------------------------------


def test_staff_issuing_a_draft_read_the_range(company, admin_user):
    _latest_issued(company, admin_user)
    draft = draft_invoice(company, admin_user, "200")
    client, _user = staff_client(company)

    response = client.post(
        f"/invoices/{draft.pk}/issue/", {"issued_on": "2026-11-30"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )

    assert "The invoice date must be between 2026-12-01 and 2027-01-04." in messages_of(response)
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
