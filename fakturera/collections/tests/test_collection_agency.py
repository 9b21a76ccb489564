"""Debt collection end to end: a policy whose last level hands over, the reminders delivered by
the worker to a real SMTP server, the hand-over by the run once the last reminder's deadline
has passed (once, whatever runs), its history and webhook, the export for the collection
agency as CSV and XLSX, and undoing a hand-over with a reason (DESIGN.md, "Debt collection")."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fakturera.collections.collection_agency import (
    EXPORT_COLUMNS,
    claim_undo,
    claims_export,
    claims_hand_over_selected,
)
from fakturera.collections.models import CollectionClaim, Reminder
from fakturera.collections.run import reminders_assess, reminders_run
from fakturera.collections.services import pause_create
from fakturera.collections.states import CollectionClaimState
from fakturera.collections.tests.factories import collection_policy
from fakturera.core.errors import DomainError, StateConflict, ValidationFailed
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.payments.services import payment_register
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def later() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10)


@pytest.fixture
def handing_over(company, admin_user):
    """Two reminders, then debt collection (ten days to pay after each)."""
    collection_policy(company, admin_user)


def pay(company, user, invoice, amount: str) -> None:
    payment_register(
        company=company, actor=user, invoice_id=invoice.pk, amount=Decimal(amount), currency="SEK", booked_on=TODAY()
    )


def remind_to_the_last_level(company, admin_user, invoice):
    """Level 1 today and level 2 in two weeks, each delivered by the worker."""
    assert reminders_run(company=company, actor=admin_user).queued == 1
    deliveries_work(now=later())
    assert reminders_run(company=company, actor=admin_user, on=TODAY() + dt.timedelta(days=14)).queued == 1
    deliveries_work(now=later())
    assert list(Reminder.objects.filter(invoice=invoice).values_list("level", "state")) == [
        (1, "sent"),
        (2, "sent"),
    ]


def test_the_run_hands_an_invoice_over_once_its_last_reminders_deadline_has_passed(
    company, admin_user, smtp, rates, handing_over
):
    customer = PersonFactory(
        company=company, personnummer="19800101-0008", phone="070-123 45 67", address_line1="Storgatan 1"
    )
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10, customer=customer)
    webhook_endpoint_create(company=company, url="https://crm.example/hook", events=["invoice.sent_to_collection"])
    remind_to_the_last_level(company, admin_user, invoice)
    deadline = TODAY() + dt.timedelta(days=24)

    # On the deadline itself the debtor may still pay: nothing is handed over.
    assert reminders_run(company=company, actor=admin_user, on=deadline).handed_over == 0
    assert not CollectionClaim.objects.exists()

    result = reminders_run(company=company, actor=admin_user, on=deadline + dt.timedelta(days=1))

    assert (result.handed_over, result.queued) == (1, 0)
    claim = CollectionClaim.objects.get(invoice=invoice)
    assert (claim.state, claim.last_level, claim.open_amount) == ("handed_over", 2, Decimal("500.00"))
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="sent_to_collection").count() == 1
    [hook] = WebhookDelivery.objects.filter(event="invoice.sent_to_collection")
    assert hook.payload["data"]["invoice_id"] == invoice.pk
    assert hook.payload["data"]["number"] == invoice.display_number
    assert hook.payload["data"]["state"] == "handed_over"
    # Once: the next day's run, or a click, hands nothing over again and sends no reminder.
    again = reminders_run(company=company, actor=admin_user, on=deadline + dt.timedelta(days=2))
    assert (again.handed_over, again.queued, again.assessment.collection_ready) == (0, 0, [])
    assert CollectionClaim.objects.count() == 1
    assert WebhookDelivery.objects.filter(event="invoice.sent_to_collection").count() == 1
    assert Reminder.objects.filter(invoice=invoice).count() == 2


def test_a_policy_that_stops_hands_nothing_over(company, admin_user, smtp, rates):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    remind_to_the_last_level(company, admin_user, invoice)

    result = reminders_run(company=company, actor=admin_user, on=TODAY() + dt.timedelta(days=60))

    assert (result.handed_over, result.assessment.collection_ready) == (0, [])
    assert not CollectionClaim.objects.exists()


def test_a_paused_or_paid_invoice_is_not_handed_over(company, admin_user, smtp, rates, handing_over):
    paused = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    remind_to_the_last_level(company, admin_user, paused)
    pause_create(company=company, actor=admin_user, reason="disputed", starts_on=TODAY(), invoice_id=paused.pk)
    after = TODAY() + dt.timedelta(days=30)

    assert reminders_assess(company=company, on=after).collection_ready == []
    pay(company, admin_user, paused, "500.00")
    assert reminders_run(company=company, actor=admin_user, on=after).handed_over == 0
    assert not CollectionClaim.objects.exists()


def test_staff_hand_over_only_what_is_ready(company, admin_user, smtp, rates, handing_over):
    ready = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    remind_to_the_last_level(company, admin_user, ready)
    not_yet = overdue_invoice(company, admin_user, "300.00", days_overdue=10)

    with pytest.raises(StateConflict):
        claims_hand_over_selected(company=company, actor=admin_user, invoice_ids=[not_yet.pk])
    assert not CollectionClaim.objects.exists()

    done = claims_hand_over_selected(
        company=company, actor=admin_user, invoice_ids=[ready.pk, not_yet.pk], on=TODAY() + dt.timedelta(days=25)
    )

    assert list(CollectionClaim.objects.values_list("pk", "invoice_id", "handed_over_by")) == [
        (done[0], ready.pk, admin_user.pk)
    ]


def test_the_export_has_every_field_the_collection_agency_needs(company, admin_user, smtp, rates, handing_over):
    customer = PersonFactory(
        company=company,
        name="Eva Svensson",
        personnummer="19800101-0008",
        phone="070-123 45 67",
        address_line1="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        email="eva@example.se",
    )
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10, customer=customer)
    remind_to_the_last_level(company, admin_user, invoice)
    pay(company, admin_user, invoice, "100.00")
    pause_create(
        company=company,
        actor=admin_user,
        reason="disputed",
        starts_on=TODAY() - dt.timedelta(days=3),
        ends_on=TODAY() - dt.timedelta(days=1),
        invoice_id=invoice.pk,
        note="Quality of the goods",
    )
    reminders_run(company=company, actor=admin_user, on=TODAY() + dt.timedelta(days=25))
    claim = CollectionClaim.objects.get()

    made = claims_export(company=company, actor=admin_user, file_format="csv")

    assert made.filename.endswith(".csv")
    lines = list(csv.reader(io.StringIO(made.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[1] == [key for key, _heading in EXPORT_COLUMNS]
    row = dict(zip(lines[1], lines[2], strict=True))
    assert row["creditor_org_number"] == company.org_number
    assert row["creditor_name"] == company.name
    assert row["debtor_name"] == "Eva Svensson"
    assert row["debtor_identity_number"] == "19800101-0008"
    assert (row["debtor_address_line1"], row["debtor_postal_code"], row["debtor_city"]) == (
        "Storgatan 1",
        "111 22",
        "Stockholm",
    )
    assert (row["debtor_email"], row["debtor_phone"]) == ("eva@example.se", "070-123 45 67")
    assert row["customer_number"] == str(customer.number)
    assert row["invoice_number"] == invoice.display_number
    assert row["invoice_date"] == invoice.issued_on.isoformat()
    assert row["due_date"] == invoice.due_on.isoformat()
    assert row["interest_from"] == (invoice.due_on + dt.timedelta(days=1)).isoformat()
    assert row["ocr_reference"] == invoice.payment_reference
    assert (row["original_amount"], row["paid_amount"], row["remaining_principal"]) == ("500.00", "100.00", "400.00")
    assert (row["currency"], row["reminder_fees"]) == ("SEK", "0.00")
    assert "+ 8 percentage points" in row["interest_basis"]
    assert row["interest_rate"] == "10.00"
    sent = [r.sent_at for r in Reminder.objects.filter(invoice=invoice).order_by("level")]
    assert row["reminders_sent"] == ", ".join(
        f"{n}: {timezone.localdate(at).isoformat()}" for n, at in enumerate(sent, start=1)
    )
    assert "Disputed" in row["disputes_and_pauses"]
    assert "Quality of the goods" in row["disputes_and_pauses"]
    claim.refresh_from_db()
    assert claim.state == CollectionClaimState.EXPORTED
    assert claim.exported_by_id == admin_user.pk
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="collection_exported").count() == 1

    # Nothing is left to export; the exported claim is exported again when chosen, as XLSX.
    with pytest.raises(DomainError):
        claims_export(company=company, actor=admin_user, file_format="csv")
    again = claims_export(company=company, actor=admin_user, file_format="xlsx", claim_ids=[claim.pk])
    sheet = load_workbook(io.BytesIO(again.content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[1]) == [key for key, _heading in EXPORT_COLUMNS]
    exported = dict(zip(values[1], values[2], strict=True))
    assert exported["invoice_number"] == invoice.display_number
    assert Decimal(str(exported["remaining_principal"])) == Decimal("400.00")
    assert exported["ocr_reference"] == invoice.payment_reference


def test_a_hand_over_is_undone_with_a_reason_before_it_is_exported(company, admin_user, smtp, rates, handing_over):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    remind_to_the_last_level(company, admin_user, invoice)
    reminders_run(company=company, actor=admin_user, on=TODAY() + dt.timedelta(days=25))
    claim = CollectionClaim.objects.get()

    with pytest.raises(ValidationFailed) as refused:
        claim_undo(company=company, actor=admin_user, claim_id=claim.pk, reason="  ")
    assert "reason" in refused.value.errors
    claim.refresh_from_db()
    assert claim.state == CollectionClaimState.HANDED_OVER

    claim_undo(company=company, actor=admin_user, claim_id=claim.pk, reason="Payment plan agreed by phone")

    claim.refresh_from_db()
    assert (claim.state, claim.undo_reason, claim.undone_by_id) == (
        "undone",
        "Payment plan agreed by phone",
        admin_user.pk,
    )
    [entry] = InvoiceEvent.objects.filter(invoice=invoice, kind="collection_undone")
    assert entry.params == {"reason": "Payment plan agreed by phone"}
    # Undone: not exported, and not handed over again by the next run.
    with pytest.raises(DomainError):
        claims_export(company=company, actor=admin_user, file_format="xlsx")
    assert reminders_run(company=company, actor=admin_user, on=TODAY() + dt.timedelta(days=26)).handed_over == 0
    with pytest.raises(StateConflict):
        claim_undo(company=company, actor=admin_user, claim_id=claim.pk, reason="again")
    # Staff may hand it over again (the plan was not kept): the same row, its history kept.
    assert claims_hand_over_selected(
        company=company, actor=admin_user, invoice_ids=[invoice.pk], on=TODAY() + dt.timedelta(days=27)
    ) == [claim.pk]
    claim.refresh_from_db()
    assert (claim.state, claim.undo_reason) == ("handed_over", "")
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="sent_to_collection").count() == 2


def test_an_exported_claim_cannot_be_undone(company, admin_user, smtp, rates, handing_over):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=10)
    remind_to_the_last_level(company, admin_user, invoice)
    reminders_run(company=company, actor=admin_user, on=TODAY() + dt.timedelta(days=25))
    claims_export(company=company, actor=admin_user, file_format="csv")
    claim = CollectionClaim.objects.get()

    with pytest.raises(StateConflict):
        claim_undo(company=company, actor=admin_user, claim_id=claim.pk, reason="Changed our mind")

    claim.refresh_from_db()
    assert (claim.state, claim.undo_reason) == ("exported", "")
