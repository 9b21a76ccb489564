"""Payments through the REST API: list, read, register (on an invoice, by its reference, for a
customer, unmatched), allocate, undo, bank files uploaded, import records, and every invoice's
payment state; refusals with nothing written, idempotency replay, other companies' ids a 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fakturera.api.tests.api_clients import LINES, api_for, error_of
from fakturera.invoicing.tests.factories import exchange_rates
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.payments.models import Payment, PaymentImport, Receivable
from fakturera.payments.testing import Credit, camt054

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()


@pytest.fixture
def api(company):
    return api_for(company)


def _issued(api, company, *, currency: str = "SEK") -> dict:
    customer = PersonFactory(company=company)
    body = {"customer_id": customer.pk, "lines": LINES, "issue": True, "currency": currency}
    response = api.post("/invoices", body)
    assert response.status_code == 201, response.content
    return response.json()


def _pay(api, **body):
    return api.post("/payments", {"currency": "SEK", "booked_on": TODAY, **body})


def _upload(api, content: bytes, *, name: str = "bank.xml", key: str | None = None):
    headers = api._headers(key)
    return api.client.post(
        "/api/v1/payment-files", {"file": SimpleUploadedFile(name, content, "application/xml")}, headers=headers
    )


# --- registering -------------------------------------------------------------------------------


def test_a_payment_on_an_invoice_pays_it_and_the_invoice_says_so(api, company):
    invoice = _issued(api, company)
    assert invoice["payment"]["state"] == "unpaid"
    assert invoice["payment"]["open_amount"] == invoice["total_amount"]

    response = _pay(api, amount=invoice["total_amount"], invoice_id=invoice["id"], payer_name="Anna")

    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["status"] == "allocated"
    assert payment["source"] == "api"
    assert payment["allocations"] == [
        {"invoice_id": invoice["id"], "kind": "payment", "amount": invoice["total_amount"], "on": TODAY}
    ]
    after = api.get(f"/invoices/{invoice['id']}").json()["payment"]
    assert after["state"] == "paid"
    assert after["open_amount"] == "0.00"
    assert after["paid_amount"] == invoice["total_amount"]
    assert after["paid_on"] == TODAY
    assert api.get(f"/payments/{payment['id']}").json() == payment


def test_a_payment_by_reference_finds_its_invoice(api, company):
    invoice = _issued(api, company)

    response = _pay(api, amount="100.00", reference=invoice["payment_reference"])

    assert response.status_code == 201, response.content
    assert response.json()["match"] in ("ocr", "rf")
    assert api.get(f"/invoices/{invoice['id']}").json()["payment"]["state"] == "partly_paid"


def test_a_payment_for_no_one_is_unmatched_and_for_a_customer_a_credit(api, company):
    customer = PersonFactory(company=company)

    unmatched = _pay(api, amount="10.00").json()
    credit = _pay(api, amount="20.00", customer_id=customer.pk).json()

    assert unmatched["status"] == "unmatched"
    assert credit["status"] == "credit"
    assert credit["customer_id"] == customer.pk


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"amount": "0.00"}, 422, "refused", "amount"),
        ({"amount": "-5.00"}, 422, "validation_failed", "amount"),
        ({"amount": "5.001"}, 422, "validation_failed", "amount"),
        ({"amount": 5}, 422, "validation_failed", "amount"),
        ({"amount": "5.00", "booked_on": "2099-01-01"}, 422, "refused", "booked_on"),
        ({"amount": "5.00", "currency": "XXX"}, 422, "validation_failed", "currency"),
        ({"amount": "5.00", "method": "barter"}, 422, "validation_failed", "method"),
        ({"amount": "5.00", "customer_id": 999999}, 422, "not_found", "customer_id"),
        ({"amount": "5.00", "invoice_id": 999999}, 422, "not_found", "invoice_id"),
        ({"amount": "5.00", "reference": "4711"}, 422, "reference_unknown", "reference"),
    ],
    ids=["zero", "negative", "decimals", "number", "future", "currency", "method", "customer", "invoice", "reference"],
)
def test_refused_payments_write_nothing(api, body, status, code, field):
    response = _pay(api, **body)

    assert response.status_code == status, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)
    assert Payment.objects.count() == 0


def test_a_payment_in_another_currency_than_its_invoice_is_refused(api, company):
    invoice = _issued(api, company)

    response = _pay(api, amount="10.00", currency="EUR", invoice_id=invoice["id"])

    assert response.status_code == 422
    assert error_of(response)["code"] == "currency"
    assert "SEK" in error_of(response)["message"]
    assert Payment.objects.count() == 0


def test_another_companys_invoice_reference_and_customer_are_not_found(api, company):
    other = CompanyFactory()
    api_b = api_for(other)
    theirs = _issued(api_b, other)
    their_customer = PersonFactory(company=other)

    by_id = _pay(api, amount="10.00", invoice_id=theirs["id"])
    by_reference = _pay(api, amount="10.00", reference=theirs["payment_reference"])
    by_customer = _pay(api, amount="10.00", customer_id=their_customer.pk)

    assert (by_id.status_code, error_of(by_id)["code"]) == (422, "not_found")
    assert (by_reference.status_code, error_of(by_reference)["code"]) == (422, "reference_unknown")
    assert (by_customer.status_code, error_of(by_customer)["code"]) == (422, "not_found")
    assert Payment.objects.count() == 0


def test_idempotency_key_replays_the_first_payment(api, company):
    invoice = _issued(api, company)
    body = {"amount": "100.00", "currency": "SEK", "booked_on": TODAY, "invoice_id": invoice["id"]}

    first = api.post("/payments", body, idempotency_key="pay-1")
    again = api.post("/payments", body, idempotency_key="pay-1")
    other = api.post("/payments", {**body, "amount": "200.00"}, idempotency_key="pay-1")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert Payment.objects.count() == 1


def test_a_read_only_key_may_read_payments_but_not_register(company):
    reader = api_for(company, is_read_only=True)

    assert reader.get("/payments").status_code == 200
    response = _pay(reader, amount="10.00")
    assert response.status_code == 403
    assert Payment.objects.count() == 0


# --- allocating and undoing ---------------------------------------------------------------------


def test_an_unmatched_payment_is_allocated_then_taken_off_again(api, company):
    invoice = _issued(api, company)
    payment = _pay(api, amount="300.00").json()

    allocated = api.post(f"/payments/{payment['id']}/allocations", {"allocations": [
        {"invoice_id": invoice["id"], "amount": "300.00"},
    ]})  # fmt: skip

    assert allocated.status_code == 200, allocated.content
    assert allocated.json()["status"] == "allocated"
    assert api.get(f"/invoices/{invoice['id']}").json()["payment"]["state"] == "partly_paid"
    back = api.post(f"/payments/{payment['id']}/unallocate", {"reason": "wrong invoice"})
    assert back.status_code == 200, back.content
    assert back.json()["status"] == "unmatched"
    assert back.json()["allocations"] == []
    assert api.get(f"/invoices/{invoice['id']}").json()["payment"]["state"] == "unpaid"


def test_allocations_above_what_is_open_or_in_another_currency_are_refused(api, company):
    invoice = _issued(api, company)
    exchange_rates(company, on=None)  # the euro invoice, issued today, states its VAT in SEK too
    euro_invoice = _issued(api, company, currency="EUR")
    payment = _pay(api, amount="99999.00").json()

    above = api.post(
        f"/payments/{payment['id']}/allocations", {"allocations": [{"invoice_id": invoice["id"], "amount": "99999.00"}]}
    )
    euro = api.post(
        f"/payments/{payment['id']}/allocations",
        {"allocations": [{"invoice_id": euro_invoice["id"], "amount": "1.00"}]},
    )
    unknown = api.post(
        f"/payments/{payment['id']}/allocations", {"allocations": [{"invoice_id": 999999, "amount": "1.00"}]}
    )
    zero = api.post(
        f"/payments/{payment['id']}/allocations", {"allocations": [{"invoice_id": invoice["id"], "amount": "0.00"}]}
    )

    assert (above.status_code, error_of(above)["code"], error_of(above)["field"]) == (
        422,
        "above_open",
        "allocations.0.amount",
    )
    assert (euro.status_code, error_of(euro)["code"]) == (422, "currency")
    assert (unknown.status_code, error_of(unknown)["code"], error_of(unknown)["field"]) == (
        422,
        "not_found",
        "allocations.0.invoice_id",
    )
    assert (zero.status_code, error_of(zero)["field"]) == (422, "allocations.0.amount")
    assert Payment.objects.get(pk=payment["id"]).allocated_amount == 0


def test_a_payment_registered_by_mistake_is_reversed(api, company):
    invoice = _issued(api, company)
    payment = _pay(api, amount=invoice["total_amount"], invoice_id=invoice["id"]).json()

    reversed_ = api.post(f"/payments/{payment['id']}/reverse", {"reason": "typed twice"})
    again = api.post(f"/payments/{payment['id']}/reverse")

    assert reversed_.status_code == 200, reversed_.content
    assert reversed_.json()["status"] == "reversed"
    assert reversed_.json()["reversal_reason"] == "typed twice"
    assert api.get(f"/invoices/{invoice['id']}").json()["payment"]["state"] == "unpaid"
    assert again.status_code == 409


def test_another_companys_payment_is_not_found(api, company):
    other = CompanyFactory()
    theirs = _pay(api_for(other), amount="10.00").json()

    for response in (
        api.get(f"/payments/{theirs['id']}"),
        api.post(f"/payments/{theirs['id']}/reverse"),
        api.post(f"/payments/{theirs['id']}/unallocate"),
        api.post(f"/payments/{theirs['id']}/allocations", {"allocations": [{"invoice_id": 1, "amount": "1.00"}]}),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert api.get("/payments").json()["count"] == 0
    assert Payment.objects.get(pk=theirs["id"]).status == "unmatched"


def test_the_list_filters_by_status_dates_and_invoice(api, company):
    invoice = _issued(api, company)
    on_invoice = _pay(api, amount="10.00", invoice_id=invoice["id"]).json()
    unmatched = _pay(api, amount="20.00").json()
    old = _pay(api, amount="30.00", booked_on="2026-01-15").json()

    def ids(**params) -> list[int]:
        response = api.get("/payments", **params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [unmatched["id"], on_invoice["id"], old["id"]]
    assert ids(status="unmatched") == [unmatched["id"], old["id"]]
    assert ids(invoice_id=invoice["id"]) == [on_invoice["id"]]
    assert ids(booked_to="2026-01-31") == [old["id"]]
    assert old["id"] not in ids(booked_from=TODAY)
    assert api.get("/payments", status="lost").status_code == 422
    assert api.get("/payments", stauts="unmatched").status_code == 422


# --- invoices' payment state ---------------------------------------------------------------------


def test_the_invoice_list_reads_the_payment_states_in_one_query(api, company):
    first = _issued(api, company)
    with CaptureQueriesContext(connection) as few:
        api.get("/invoices")
    for _n in range(4):
        _issued(api, company)
    _pay(api, amount="10.00", invoice_id=first["id"])
    draft = api.post("/invoices", {"customer_id": PersonFactory(company=company).pk, "lines": LINES}).json()

    with CaptureQueriesContext(connection) as many:
        listed = api.get("/invoices").json()["items"]

    states = {item["id"]: item["payment"] for item in listed}
    assert states[first["id"]]["state"] == "partly_paid"
    assert states[draft["id"]] is None
    assert len(many.captured_queries) == len(few.captured_queries)
    assert sum("payments_receivable" in q["sql"] for q in many.captured_queries) == 1


def test_a_draft_and_a_credit_note_have_no_payment_state(api, company):
    invoice = _issued(api, company)
    note = api.post(f"/invoices/{invoice['id']}/credit", {}).json()
    draft = api.post("/invoices", {"customer_id": invoice["customer_id"], "lines": LINES}).json()

    assert note["payment"] is None
    assert draft["payment"] is None
    credited = api.get(f"/invoices/{invoice['id']}").json()["payment"]
    assert credited["credited_amount"] == invoice["total_amount"]
    assert Receivable.objects.filter(pk=note["id"]).count() == 0


# --- bank files ------------------------------------------------------------------------------------


def test_a_bank_file_uploaded_is_imported_and_its_record_read(api, company):
    invoice = _issued(api, company)
    content = camt054(
        [
            Credit(amount=Decimal(invoice["total_amount"]), reference=invoice["payment_reference"], payer="Anna"),
            Credit(amount=Decimal("5.00"), payer="Okänd"),
        ]
    )

    response = _upload(api, content)

    assert response.status_code == 201, response.content
    record = response.json()
    assert record["filename"] == "bank.xml"
    assert record["via"] == "api"
    assert (record["booked_count"], record["matched_count"], record["unmatched_count"]) == (2, 1, 1)
    assert len(record["payment_ids"]) == 2
    assert record["totals"] == {"SEK": str(Decimal(invoice["total_amount"]) + Decimal("5.00"))}
    assert api.get(f"/payment-imports/{record['id']}").json() == record
    assert api.get(f"/invoices/{invoice['id']}").json()["payment"]["state"] == "paid"

    again = _upload(api, content).json()
    assert again["booked_count"] == 0
    assert [line["reason"] for line in again["skipped"]] == ["already_booked", "already_booked"]
    assert {line["payment_id"] for line in again["skipped"]} == set(record["payment_ids"])


def test_a_refused_file_is_a_422_with_its_code_and_place(api):
    damaged = camt054([Credit(amount=Decimal("10.00"))]).replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"")

    unknown = _upload(api, b"hello, not a bank file\n")
    broken = _upload(api, damaged)

    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_format"
    assert "camt.053" in unknown.json()["error"]["message"]
    assert unknown.json()["error"]["field"] == "file"
    assert broken.status_code == 422
    body = broken.json()["error"]
    assert body["code"] in ("missing", "malformed", "invalid_value")
    assert body["line"] is not None or body["path"]
    assert PaymentImport.objects.count() == 0
    assert Payment.objects.count() == 0


def test_a_file_for_another_companys_account_is_refused(api, company):
    CompanyFactory(bankgiro="5050-1055")

    response = _upload(api, camt054([Credit(amount=Decimal("10.00"))], bankgiro_digits="50501055"))

    assert response.status_code == 422
    assert error_of(response)["code"] == "account_other_company"
    assert PaymentImport.objects.count() == 0


def test_an_upload_replays_with_its_idempotency_key(api):
    content = camt054([Credit(amount=Decimal("10.00"))])

    first = _upload(api, content, key="file-1")
    again = _upload(api, content, key="file-1")
    other = _upload(api, camt054([Credit(amount=Decimal("11.00"), bank_reference="X")]), key="file-1")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert PaymentImport.objects.count() == 1


def test_an_upload_without_a_file_and_a_read_only_key_are_refused(api, company):
    missing = api.client.post("/api/v1/payment-files", {}, headers=api._headers())
    reader = api_for(company, is_read_only=True)

    assert missing.status_code == 422
    assert error_of(missing)["field"] == "file"
    assert _upload(reader, camt054([Credit(amount=Decimal("10.00"))])).status_code == 403
    assert PaymentImport.objects.count() == 0


def test_another_companys_import_is_not_found(api):
    other = CompanyFactory(bankgiro="5050-1055")
    theirs = _upload(api_for(other), camt054([Credit(amount=Decimal("10.00"))], bankgiro_digits="50501055"))
    assert theirs.status_code == 201, theirs.content

    response = api.get(f"/payment-imports/{theirs.json()['id']}")

    assert response.status_code == 404


def test_a_multipart_body_without_its_boundary_is_unreadable(api):
    response = api.client.post(
        "/api/v1/payment-files", data=b"--x\r\n", content_type="multipart/form-data", headers=api._headers()
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed"
    assert PaymentImport.objects.count() == 0


def test_overdue_invoices_leave_out_the_paid_ones(api, company, admin_user):
    from fakturera.invoicing.tests.factories import overdue_invoice

    unpaid = overdue_invoice(company, admin_user, "100")
    paid = overdue_invoice(company, admin_user, "200")
    assert _pay(api, amount=str(paid.total_amount), invoice_id=paid.pk).status_code == 201

    listed = api.get("/invoices?is_overdue=true").json()

    assert [row["id"] for row in listed["items"]] == [unpaid.pk]
