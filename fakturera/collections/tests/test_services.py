"""Policies, settings, the rate table, pauses and the reminder record, on the real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fakturera.collections.law import RateKind
from fakturera.collections.models import (
    CollectionSettings,
    Reminder,
    ReminderLevel,
    ReminderPause,
    ReminderPolicy,
    StatutoryRate,
)
from fakturera.collections.selectors import (
    collection_rate_on,
    fee_agreed_by_customer,
    interest_rate_periods,
    pauses_in_force,
    policies_of,
    policy_of,
    rate_list,
)
from fakturera.collections.services import (
    collection_settings_save,
    customer_terms_save,
    pause_create,
    pause_end,
    policies_create_default,
    policy_save,
    rate_save,
    reminder_move,
)
from fakturera.collections.states import ReminderState
from fakturera.core.errors import PermissionDenied, StateConflict, ValidationFailed
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.services import company_create
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)


def levels(*specs: dict) -> list[dict]:
    return [{"days": 10, "new_due_days": 14, **spec} for spec in specs]


# --- policies -------------------------------------------------------------------------------------


def test_a_new_company_gets_a_default_policy_within_its_law():
    user = UserFactory()
    company = company_create(actor=user, name="Fjord AS", country="NO", org_number="923609016", default_currency="NOK")

    policies = policies_of(company=company)

    assert set(policies) == {"person", "organisation"}
    person = policies["person"]
    assert not person.is_default  # saved, not only built in
    assert [(level.number, level.days, level.new_due_days) for level in person.levels] == [(1, 14, 14), (2, 14, 14)]


def test_a_company_without_a_saved_policy_reads_the_built_in_one(company):
    policy = policy_of(company=company, customer_kind="person")

    assert policy.is_default
    assert [level.days for level in policy.levels] == [7, 14]


def test_creating_the_default_twice_adds_nothing(company):
    policies_create_default(company=company)
    policies_create_default(company=company)

    assert ReminderPolicy.objects.filter(company=company).count() == 2
    assert ReminderLevel.objects.filter(policy__company=company).count() == 4


def test_a_policy_is_saved_with_its_levels_and_texts(company, admin_user):
    policy_save(
        company=company,
        actor=admin_user,
        customer_kind="person",
        minimum_amount="50",
        last_level_action="collection",
        levels=levels(
            {
                "fee_amount": "60",
                "texts": {"sv": {"subject": "Påminnelse {invoice_number}", "body": "Hej {customer_name}"}},
            },
            {"days": 14, "days_from": "previous", "channel": "letter", "task_mode": "beside"},
        ),
    )

    policy = policy_of(company=company, customer_kind="person")
    assert policy.minimum_amount == Decimal("50.00")
    assert policy.last_level_action == "collection"
    first, second = policy.levels
    assert first.fee_amount == Decimal("60.00")
    assert first.texts["sv"]["subject"] == "Påminnelse {invoice_number}"
    assert (second.days_from, second.channel, second.task_mode) == ("previous", "letter", "beside")


def test_a_policy_breaking_the_law_is_refused_with_every_reason_and_nothing_written(company, admin_user):
    policies_create_default(company=company)
    before = list(ReminderLevel.objects.filter(policy__company=company).values_list("pk", "days", "fee_amount"))

    with pytest.raises(ValidationFailed) as refused:
        policy_save(
            company=company,
            actor=admin_user,
            customer_kind="person",
            minimum_amount="-1",
            levels=levels(
                {"fee_amount": "75"},
                {
                    "fee_amount": "60",
                    "texts": {"en": {"subject": "Hi {customer}", "body": "{{ amount }}", "letter": "{x}"}},
                },
            ),
        )

    errors = refused.value.errors
    assert set(errors) == {
        "minimum_amount",
        "levels-1-texts-en-subject",
        "levels-1-texts-en-body",
        "levels-1-texts-en-letter",
    }
    assert "{customer}" in errors["levels-1-texts-en-subject"][0]
    assert list(ReminderLevel.objects.filter(policy__company=company).values_list("pk", "days", "fee_amount")) == before


def test_the_law_is_checked_once_the_fields_are_valid(company, admin_user):
    with pytest.raises(ValidationFailed) as refused:
        policy_save(
            company=company,
            actor=admin_user,
            customer_kind="person",
            levels=levels({"fee_amount": "75"}, {"fee_amount": "60"}),
        )

    errors = refused.value.errors
    assert "60 SEK" in errors["levels-0-fee_amount"][0]
    assert "At most 1" in errors["levels"][0]
    assert not ReminderPolicy.objects.filter(company=company).exists()


def test_a_norwegian_fee_is_checked_against_the_inkassosats_in_the_table(admin_user):
    company = CompanyFactory(country="NO", org_number="923609016", vat_number="", default_currency="NOK")

    policy_save(
        company=company, actor=admin_user, customer_kind="person", levels=levels({"days": 14, "fee_amount": "35"})
    )
    with pytest.raises(ValidationFailed) as refused:
        policy_save(
            company=company, actor=admin_user, customer_kind="person", levels=levels({"days": 14, "fee_amount": "36"})
        )

    assert "35 NOK" in refused.value.errors["levels-0-fee_amount"][0]


def test_a_task_instead_of_a_letter_charges_no_fee(company, admin_user):
    with pytest.raises(ValidationFailed) as refused:
        policy_save(
            company=company,
            actor=admin_user,
            customer_kind="organisation",
            levels=levels({"fee_amount": "60", "task_mode": "instead"}),
        )

    assert list(refused.value.errors) == ["levels-0-fee_amount"]


# --- settings and terms ---------------------------------------------------------------------------


def test_settings_are_saved_and_the_fee_agreement_read_per_customer(company):
    person, other = PersonFactory(company=company), PersonFactory(company=company)
    collection_settings_save(
        company=company,
        is_reminder_fee_agreed=True,
        is_claiming_late_compensation=True,
        bank_import_stale_days="3",
        interest_invoice_mode="issue",
        interest_invoice_minimum_amount="50",
    )
    customer_terms_save(company=company, customer_id=other.pk, is_reminder_fee_agreed=False)

    found = CollectionSettings.objects.get(company=company)
    assert (found.bank_import_stale_days, found.interest_invoice_mode) == (3, "issue")
    assert fee_agreed_by_customer(company=company, customer_ids=[person.pk, other.pk]) == {
        person.pk: True,
        other.pk: False,
    }


def test_settings_refuse_bad_values_at_once(company):
    with pytest.raises(ValidationFailed) as refused:
        collection_settings_save(
            company=company,
            is_reminder_fee_agreed=False,
            is_claiming_late_compensation=False,
            bank_import_stale_days="0",
            interest_invoice_mode="sometimes",
            interest_invoice_minimum_amount="x",
        )

    assert set(refused.value.errors) == {
        "bank_import_stale_days",
        "interest_invoice_mode",
        "interest_invoice_minimum_amount",
    }
    assert not CollectionSettings.objects.filter(company=company).exists()


def test_the_late_payment_compensation_is_swedish_only():
    company = CompanyFactory(country="DK", org_number="12345674", vat_number="", default_currency="DKK")

    with pytest.raises(ValidationFailed) as refused:
        collection_settings_save(
            company=company,
            is_reminder_fee_agreed=False,
            is_claiming_late_compensation=True,
            bank_import_stale_days=2,
            interest_invoice_mode="propose",
            interest_invoice_minimum_amount="0",
        )

    assert list(refused.value.errors) == ["is_claiming_late_compensation"]


# --- the rate table -------------------------------------------------------------------------------


def test_the_migration_seeds_the_published_rates():
    assert [(r.valid_from, r.value) for r in rate_list(country="SE", kind=RateKind.REFERENCE)][-1] == (
        dt.date(2024, 7, 1),
        Decimal("4.0000"),
    )
    assert collection_rate_on(country="NO", on=TODAY) == Decimal("700.0000")
    assert all(row.source for row in StatutoryRate.objects.all())


def test_a_superuser_adds_a_rate_and_interest_uses_it():
    admin = UserFactory(is_superuser=True)

    rate_save(actor=admin, country="SE", kind="reference", valid_from="2025-01-01", value="2,50", source="Riksbanken")

    periods = interest_rate_periods(country="SE", customer_kind="person")
    assert periods[-1].starts_on == dt.date(2025, 1, 1)
    assert periods[-1].percent == Decimal("10.5000")


def test_only_a_superuser_changes_the_rate_table(admin_user):
    before = StatutoryRate.objects.count()

    with pytest.raises(PermissionDenied):
        rate_save(actor=admin_user, country="SE", kind="reference", valid_from="2025-01-01", value="2.5", source="x")

    assert StatutoryRate.objects.count() == before


def test_a_rate_is_refused_off_its_half_year_or_twice():
    admin = UserFactory(is_superuser=True)
    before = StatutoryRate.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        rate_save(actor=admin, country="SE", kind="reference", valid_from="2025-02-01", value="99", source="")
    assert set(refused.value.errors) == {"valid_from", "value", "source"}
    with pytest.raises(ValidationFailed) as twice:
        rate_save(actor=admin, country="SE", kind="reference", valid_from="2024-07-01", value="3", source="again")

    assert "already has a rate" in twice.value.errors["valid_from"][0]
    assert StatutoryRate.objects.count() == before
    assert StatutoryRate.objects.get(country="SE", kind="reference", valid_from="2024-07-01").value == Decimal("4")


# --- pauses ---------------------------------------------------------------------------------------


def test_a_pause_of_an_invoice_stops_it_and_says_why_in_its_history(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    other = issued_invoice(company, admin_user, "500")

    pause = pause_create(
        company=company, actor=admin_user, reason="disputed", starts_on=TODAY, invoice_id=invoice.pk, note="Fel pris"
    )

    claims = {invoice.pk: invoice.customer_id, other.pk: other.customer_id}
    assert set(pauses_in_force(company=company, claims=claims, on=TODAY)) == {invoice.pk}
    assert pauses_in_force(company=company, claims=claims, on=TODAY - dt.timedelta(days=1)) == {}
    event = InvoiceEvent.objects.filter(invoice=invoice, kind="reminders_paused").get()
    assert event.params["reason"] == "disputed"
    assert event.params["note"] == "Fel pris"

    pause_end(company=company, actor=admin_user, pause_id=pause.pk)

    assert pauses_in_force(company=company, claims=claims, on=TODAY) == {}
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="reminders_resumed").count() == 1
    with pytest.raises(StateConflict):
        pause_end(company=company, actor=admin_user, pause_id=pause.pk)


def test_a_pause_of_a_customer_covers_all_its_invoices_until_its_end(company, admin_user):
    customer = OrganisationFactory(company=company)
    first = issued_invoice(company, admin_user, "1000", customer=customer)
    second = issued_invoice(company, admin_user, "2000", customer=customer)
    stranger = issued_invoice(company, admin_user, "300")

    pause_create(
        company=company,
        actor=admin_user,
        reason="payment_plan",
        starts_on=TODAY,
        ends_on=TODAY + dt.timedelta(days=30),
        customer_id=customer.pk,
    )

    claims = {invoice.pk: invoice.customer_id for invoice in (first, second, stranger)}
    in_force = pauses_in_force(company=company, claims=claims, on=TODAY + dt.timedelta(days=30))
    assert set(in_force) == {first.pk, second.pk}
    assert in_force[first.pk].is_customer_pause
    assert pauses_in_force(company=company, claims=claims, on=TODAY + dt.timedelta(days=31)) == {}
    assert InvoiceEvent.objects.filter(kind="reminders_paused").count() == 2


def test_a_pause_is_refused_with_every_reason_and_nothing_written(company, admin_user):
    other_company = CompanyFactory()
    invoice = issued_invoice(other_company, UserFactory(), "100")

    with pytest.raises(ValidationFailed) as refused:
        pause_create(
            company=company,
            actor=admin_user,
            reason="bored",
            starts_on=TODAY,
            ends_on=TODAY - dt.timedelta(days=1),
            invoice_id=invoice.pk,
        )

    assert set(refused.value.errors) == {"invoice", "reason", "ends_on"}
    assert not ReminderPause.objects.exists()


def test_pauses_of_many_invoices_are_read_in_one_query(company, admin_user, django_assert_num_queries):
    invoices = [issued_invoice(company, admin_user, "100") for _ in range(3)]
    for invoice in invoices:
        pause_create(company=company, actor=admin_user, reason="other", starts_on=TODAY, invoice_id=invoice.pk)

    with django_assert_num_queries(1):
        found = pauses_in_force(company=company, claims={i.pk: i.customer_id for i in invoices}, on=TODAY)

    assert len(found) == 3


# --- the reminder record --------------------------------------------------------------------------


def reminder(invoice, level: int, **fields) -> Reminder:
    return Reminder.objects.create(
        company_id=invoice.company_id,
        invoice=invoice,
        customer_id=invoice.customer_id,
        level=level,
        assessed_on=TODAY,
        queued_at=timezone.now(),
        currency=invoice.currency,
        open_amount=invoice.total_amount,
        **fields,
    )


def test_each_level_of_an_invoice_is_one_row_by_the_database(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    reminder(invoice, 1)

    with pytest.raises(IntegrityError), transaction.atomic():
        reminder(invoice, 1)

    assert Reminder.objects.filter(invoice=invoice).count() == 1


def test_a_failed_reminder_is_queued_again_on_the_same_row(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    row = reminder(invoice, 1, fee_amount=Decimal("60.00"))

    assert reminder_move(company=company, reminder_ids=[row.pk], to=ReminderState.FAILED, error="SMTP 550") == 1
    assert reminder_move(company=company, reminder_ids=[row.pk], to=ReminderState.QUEUED, attempt=F("attempt") + 1) == 1
    assert reminder_move(company=company, reminder_ids=[row.pk], to=ReminderState.SENT) == 1
    # A sent reminder is final: neither failed nor queued again.
    assert reminder_move(company=company, reminder_ids=[row.pk], to=ReminderState.FAILED) == 0
    assert reminder_move(company=company, reminder_ids=[row.pk], to=ReminderState.QUEUED) == 0

    row.refresh_from_db()
    assert (row.state, row.attempt) == (ReminderState.SENT, 2)


def test_another_companys_reminder_is_not_moved(company, admin_user):
    invoice = issued_invoice(company, admin_user, "1000")
    row = reminder(invoice, 1)

    assert reminder_move(company=CompanyFactory(), reminder_ids=[row.pk], to=ReminderState.SENT) == 0
