"""Debt collection through the REST API: the invoices ready, a hand-over (409 for one not ready,
nothing written; once only), the claims listed, the export for the collection agency as CSV and
XLSX (read-only keys refused), and undoing a hand-over (422 without a reason, 409 once exported)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from fakturera.api.tests.api_clients import api_for, error_of
from fakturera.collections.models import CollectionClaim
from fakturera.collections.tests.factories import collection_policy, reference_rates, reminded_to_the_last_level
from fakturera.invoicing.tests.factories import overdue_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(company, admin_user):
    """An invoice reminded twice, the second reminder's deadline past: ready for collection."""
    reference_rates()
    collection_policy(company, admin_user)
    # Due 40 days ago: level 1 went 33 days ago and level 2 19 days ago, each sent.
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=40)
    reminded_to_the_last_level(company, admin_user, days_ago=(33, 19))
    return invoice


def test_hand_over_list_export_and_undo(company, admin_user, ready):
    api = api_for(company)
    not_ready = overdue_invoice(company, admin_user, "100.00", days_overdue=3)

    [found] = api.get("/collection-claims/ready").json()
    assert (found["invoice_id"], found["last_level"], found["open_amount"]) == (ready.pk, 2, "500.00")

    refused = api.post("/collection-claims", {"invoice_ids": [not_ready.pk]})
    assert refused.status_code == 409
    assert "not passed" in error_of(refused)["message"]
    assert not CollectionClaim.objects.exists()

    made = api.post("/collection-claims", {"invoice_ids": [ready.pk]})
    assert made.status_code == 201, made.content
    [claim] = made.json()
    assert (claim["invoice_id"], claim["state"], claim["number"]) == (ready.pk, "handed_over", ready.display_number)
    assert api.post("/collection-claims", {"invoice_ids": [ready.pk]}).status_code == 409
    assert [c["id"] for c in api.get("/collection-claims?state=handed_over").json()] == [claim["id"]]

    read_only = api_for(company, is_read_only=True)
    assert read_only.post("/collection-claims/export", {"format": "csv"}).status_code == 403
    assert CollectionClaim.objects.get().state == "handed_over"

    exported = api.post("/collection-claims/export", {"format": "csv"})
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig").split("\n", 1)[1]), delimiter=";"))
    assert [(r["invoice_number"], r["remaining_principal"]) for r in rows] == [(ready.display_number, "500.00")]
    again = api.post("/collection-claims/export", {"format": "xlsx", "claim_ids": [claim["id"]]})
    sheet = load_workbook(io.BytesIO(again.content), read_only=True).active
    assert list(sheet.iter_rows(values_only=True))[2][13] == ready.display_number

    undone = api.post(f"/collection-claims/{claim['id']}/undo", {"reason": "Paid in cash"})
    assert undone.status_code == 409
    assert api.get("/collection-claims?state=exported").json()[0]["id"] == claim["id"]


def test_undo_needs_a_reason(company, admin_user, ready):
    api = api_for(company)
    [claim] = api.post("/collection-claims", {"invoice_ids": [ready.pk]}).json()

    assert api.post(f"/collection-claims/{claim['id']}/undo", {"reason": ""}).status_code == 422
    assert CollectionClaim.objects.get().state == "handed_over"
    assert api.post("/collection-claims/999999/undo", {"reason": "x"}).status_code == 404

    undone = api.post(f"/collection-claims/{claim['id']}/undo", {"reason": "Payment plan agreed"})

    assert undone.status_code == 200
    assert (undone.json()["state"], undone.json()["undo_reason"]) == ("undone", "Payment plan agreed")
    assert (
        api_for(CollectionClaim.objects.get().company).get("/collection-claims?state=undone").json()[0]["id"]
        == (claim["id"])
    )
