"""Tasks through the REST API: the billing task an issued invoice opened, listed and filtered,
read with its history, done and undone; refusals (409) change nothing, another company's task is
a 404, a read-only key reads but does not write."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory
from fakturera.worklist.models import Task
from fakturera.worklist.states import TaskState

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(company):
    return api_for(company)


def _issued(api, company, manager=None) -> dict:
    customer = PersonFactory(company=company, relationship_manager=manager)
    response = api.post("/invoices", {"customer_id": customer.pk, "lines": LINES, "issue": True})
    assert response.status_code == 201, response.content
    return response.json()


def test_the_billing_task_of_an_issued_invoice_listed_read_done_and_undone(api, company):
    sara = StaffFactory(company=company).user
    invoice = _issued(api, company, sara)
    other = _issued(api, company)

    listed = api.get("/tasks", invoice_id=invoice["id"]).json()
    assert listed["count"] == 1
    (task,) = listed["items"]
    assert (task["kind"], task["state"], task["priority"], task["assignee_id"]) == (
        "billing",
        "open",
        "normal",
        sara.pk,
    )
    assert task["due_on"] == invoice["due_on"]
    assert task["params"]["number"] == str(invoice["number"])
    assert api.get("/tasks", assignee_id=sara.pk).json()["count"] == 1
    assert [t["invoice_id"] for t in api.get("/tasks", is_unassigned="true").json()["items"]] == [other["id"]]

    done = api.post(f"/tasks/{task['id']}/done")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["state"], body["close_reason"]) == ("closed", "done")
    assert [event["kind"] for event in body["history"]] == ["opened", "closed"]
    assert body["history"][1]["text"] == "Marked done."
    assert api.get("/tasks", state="closed").json()["count"] == 1

    again = api.post(f"/tasks/{task['id']}/done")
    assert again.status_code == 409
    assert error_of(again)["code"] == "conflict"

    undone = api.post(f"/tasks/{task['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["state"] == "open"
    assert Task.objects.get(pk=task["id"]).state == TaskState.OPEN


def test_a_task_closed_by_payment_is_not_undone(api, company):
    invoice = _issued(api, company)
    paid = api.post(
        "/payments",
        {"amount": invoice["total_amount"], "currency": "SEK", "booked_on": timezone.localdate().isoformat(),
         "invoice_id": invoice["id"]},
    )  # fmt: skip
    assert paid.status_code == 201, paid.content
    (task,) = api.get("/tasks", invoice_id=invoice["id"]).json()["items"]
    assert (task["state"], task["close_reason"]) == ("closed", "paid")
    history = api.get(f"/tasks/{task['id']}").json()["history"]
    assert history[-1]["params"]["payment_id"] == paid.json()["id"]

    refused = api.post(f"/tasks/{task['id']}/undo")
    assert refused.status_code == 409
    assert "its invoice was paid" in error_of(refused)["message"]


def test_another_companys_task_is_a_404_and_a_read_only_key_reads(company):
    other = CompanyFactory()
    theirs = api_for(other)
    invoice = _issued(theirs, other)
    (task,) = theirs.get("/tasks").json()["items"]
    mine = api_for(company)
    assert mine.get(f"/tasks/{task['id']}").status_code == 404
    assert mine.post(f"/tasks/{task['id']}/done").status_code == 404
    assert mine.get("/tasks").json()["count"] == 0

    reader = api_for(other, is_read_only=True)
    assert reader.get(f"/tasks/{task['id']}").json()["invoice_id"] == invoice["id"]
    assert reader.post(f"/tasks/{task['id']}/done").status_code == 403
    assert Task.objects.get(pk=task["id"]).state == TaskState.OPEN


def test_unknown_filters_and_values_are_refused(api):
    assert api.get("/tasks", stat="open").status_code == 422
    assert api.get("/tasks", state="finished").status_code == 422
