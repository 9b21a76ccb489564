"""Collections through the REST API: the reminder policy read and replaced (the law's refusals
as 422 naming the body's fields, nothing written), an invoice's reminders, pauses created and
ended (409 the second time), what is due today, a reminder run (a second run gives nothing),
and the rate table (read by every key, written only by the superuser's: 403 otherwise)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fakturera.api.tests.api_clients import ApiClient, api_for, error_of
from fakturera.collections.models import Reminder, ReminderLevel, ReminderPause, StatutoryRate
from fakturera.collections.tests.factories import reference_rates
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.keys import api_key_create
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates(db):
    reference_rates()


@pytest.fixture
def api(company):
    return api_for(company)


def level(**fields):
    return {"days": 10, "new_due_days": 10, **fields}


# --- the policy ---------------------------------------------------------------------------------


def test_the_policy_is_read_and_replaced(api, company):
    built_in = api.get("/reminder-policies/person").json()
    assert built_in["is_default"] is True
    assert [each["number"] for each in built_in["levels"]] == [1, 2]

    response = api.put(
        "/reminder-policies/organisation",
        {
            "levels": [
                level(days=14, texts={"sv": {"subject": "Påminnelse {invoice_number}", "body": "Hej"}}),
                level(days=14, days_from="previous", task_mode="beside"),
            ],
            "minimum_amount": "50.00",
            "last_level_action": "collection",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_default"] is False
    assert body["minimum_amount"] == "50.00"
    assert body["last_level_action"] == "collection"
    assert body["levels"][0]["texts"]["sv"]["subject"] == "Påminnelse {invoice_number}"
    assert api.get("/reminder-policies/organisation").json() == body


def test_a_policy_breaking_the_law_is_a_422_naming_the_fields_and_nothing_is_written(api):
    before = list(ReminderLevel.objects.values_list("pk", "days", "fee_amount"))

    response = api.put(
        "/reminder-policies/person",
        {"levels": [level(fee_amount="75.00", texts={"en": {"subject": "Hi {kund}", "body": "x"}})]},
    )

    assert response.status_code == 422
    error = error_of(response)
    assert "kund" in " ".join(error["errors"]["levels.0.texts.en.subject"])
    fee = api.put("/reminder-policies/person", {"levels": [level(fee_amount="75.00")]})
    assert fee.status_code == 422
    assert "60 SEK" in " ".join(error_of(fee)["errors"]["levels.0.fee_amount"])
    assert api.get("/reminder-policies/unknown").status_code == 422
    assert list(ReminderLevel.objects.values_list("pk", "days", "fee_amount")) == before


def test_a_read_only_key_changes_no_policy(company):
    read_only = api_for(company, is_read_only=True)
    assert read_only.put("/reminder-policies/person", {"levels": [level()]}).status_code == 403


# --- pauses ------------------------------------------------------------------------------------------


def test_a_pause_is_created_listed_and_ended_once(api, company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)

    created = api.post("/reminder-pauses", {"invoice_id": invoice.pk, "reason": "disputed", "note": "Fel belopp"})

    assert created.status_code == 201, created.content
    pause = created.json()
    assert (pause["invoice_id"], pause["reason"], pause["ended_at"]) == (invoice.pk, "disputed", None)
    assert pause["starts_on"] == timezone.localdate().isoformat()
    listed = api.get(f"/reminder-pauses?invoice_id={invoice.pk}").json()
    assert [each["id"] for each in listed["items"]] == [pause["id"]]
    assert api.get("/reminders/due").json()["held"] == [{"invoice_id": invoice.pk, "reason": "paused"}]

    ended = api.post(f"/reminder-pauses/{pause['id']}/end")
    assert ended.status_code == 200
    assert ended.json()["ended_at"] is not None
    again = api.post(f"/reminder-pauses/{pause['id']}/end")
    assert again.status_code == 409


def test_a_pause_is_refused_with_its_fields_and_nothing_written(api, company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    other = CompanyFactory(org_number="5566778899", bankgiro="5050-1055")
    elsewhere = overdue_invoice(other, admin_user, "100.00", days_overdue=20)

    both = api.post(
        "/reminder-pauses", {"invoice_id": invoice.pk, "customer_id": invoice.customer_id, "reason": "other"}
    )
    assert both.status_code == 422
    foreign = api.post("/reminder-pauses", {"invoice_id": elsewhere.pk, "reason": "other"})
    assert foreign.status_code == 422
    assert error_of(foreign)["field"] == "invoice_id"
    bad_dates = api.post(
        "/reminder-pauses",
        {"customer_id": invoice.customer_id, "reason": "other", "starts_on": "2026-05-02", "ends_on": "2026-05-01"},
    )
    assert bad_dates.status_code == 422
    assert "ends_on" in error_of(bad_dates)["errors"]
    assert not ReminderPause.objects.exists()
    assert api.post("/reminder-pauses/999999/end").status_code == 404


# --- what is due, the run, an invoice's reminders ----------------------------------------------------


def test_the_due_list_the_run_and_the_invoices_reminders(api, company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)

    due = api.get("/reminders/due").json()

    assert [(each["invoice_id"], each["level"]) for each in due["due"]] == [(invoice.pk, 1)]
    assert any("bank file" in warning for warning in due["warnings"])
    assert Decimal(due["due"][0]["interest_amount"]) > 0

    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        run = api.post("/reminder-runs", {"invoice_ids": [invoice.pk]})
        assert run.status_code == 200, run.content
        assert run.json()["queued"] == 1
        assert len(run.json()["batch_ids"]) == 1
        second = api.post("/reminder-runs")

    assert second.json()["queued"] == 0
    [row] = Reminder.objects.filter(invoice=invoice)
    reminders = api.get(f"/invoices/{invoice.pk}/reminders")
    assert reminders.status_code == 200
    [reminder] = reminders.json()
    assert (reminder["id"], reminder["level"], reminder["delivery_id"]) == (row.pk, 1, row.delivery_id)
    assert reminder["new_due_on"] == row.new_due_on.isoformat()
    assert Decimal(reminder["interest_amount"]) == row.interest_amount


def test_another_companys_invoice_has_no_reminders_here(api, admin_user):
    other = CompanyFactory(org_number="5566778899", bankgiro="5050-1055")
    elsewhere = overdue_invoice(other, admin_user, "100.00", days_overdue=20)
    assert api.get(f"/invoices/{elsewhere.pk}/reminders").status_code == 404


# --- the rate table ------------------------------------------------------------------------------------


def test_every_key_reads_the_rate_table_with_its_gaps(api):
    body = api.get("/statutory-rates?country=SE").json()
    assert {row["country"] for row in body["items"]} == {"SE"}
    assert any(row["valid_from"] == "2026-07-01" and row["value"] == "2" for row in body["items"])
    assert all(gap["country"] == "SE" for gap in body["gaps"])


def test_only_the_superusers_key_writes_a_rate(company, api):
    rate = {"country": "SE", "kind": "reference", "valid_from": "2028-01-01", "value": "2.25", "source": "Riksbanken"}

    refused = api.post("/statutory-rates", rate)

    assert refused.status_code == 403
    assert not StatutoryRate.objects.filter(valid_from=dt.date(2028, 1, 1)).exists()
    superuser = StaffFactory(company=company, role="admin").user
    superuser.is_superuser = True
    superuser.save()
    key = api_key_create(company=company, name="Rates", actor=superuser)
    root = ApiClient(key.token)
    wrong_day = root.post("/statutory-rates", {**rate, "valid_from": "2028-02-01"})
    assert wrong_day.status_code == 422
    assert "valid_from" in error_of(wrong_day)["errors"]

    created = root.post("/statutory-rates", rate)

    assert created.status_code == 201, created.content
    assert created.json()["value"] == "2.25"
    assert StatutoryRate.objects.get(valid_from=dt.date(2028, 1, 1)).updated_by == superuser
