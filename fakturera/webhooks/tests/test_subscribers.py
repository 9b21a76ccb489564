"""The events webhooks subscribes to (subscribers.py) become deliveries in the
publisher's transaction, with the bodies the receivers have always had: invoicing's
issue, courses' basis export and distribution's invoice export. The publishers
import nothing of webhooks."""

from __future__ import annotations

import ast
import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fakturera.core import events
from fakturera.courses import selectors as course_selectors
from fakturera.courses import services as course_services
from fakturera.courses.events import COURSE_BASIS_EXPORTED
from fakturera.courses.tests.factories import make_occurrence, submit_processed
from fakturera.distribution.events import INVOICE_EXPORTED
from fakturera.distribution.models import Delivery, DeliveryState
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.worker import deliveries_work
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoice_create_draft, invoice_issue
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.parties.tests.factories import PersonFactory
from fakturera.webhooks import subscribers
from fakturera.webhooks.models import DeliveryStatus, WebhookDelivery
from fakturera.webhooks.payloads import invoice_payload
from fakturera.webhooks.services import SIGNATURE_HEADER, verify, webhook_endpoint_create
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

FAKTURERA = Path(__file__).resolve().parents[2]
DATABASE_BACKEND = {"default": {"BACKEND": "fakturera.core.tasks.DatabaseBackend"}}
LINE = {"description": "Samtalsterapi", "quantity": "2", "unit_price": "950.00", "vat_category": "E", "vat_rate": "0"}


class Rollback(Exception):
    pass


def _json(data: object) -> object:
    """What a payload is once stored and sent: JSON with Django's encoder (decimals and
    dates as strings)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _body(delivery: WebhookDelivery, data: object) -> dict:
    """The body a receiver gets for `delivery` carrying `data`, parsed (PostgreSQL's
    jsonb keeps the keys in an order of its own, so bytes differ between databases)."""
    return {"id": delivery.pk, "type": delivery.event, "created_at": delivery.payload["created_at"], "data": data}


def later() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10)


def test_webhooks_subscribes_in_the_publishers_transaction():
    mine = {(s.name, s.when) for s in events.subscriptions() if s.handler.__module__ == subscribers.__name__}

    assert mine == {
        (INVOICE_ISSUED, events.IN_TRANSACTION),
        (INVOICE_CREDITED, events.IN_TRANSACTION),
        (INVOICE_EXPORTED, events.IN_TRANSACTION),
        (COURSE_BASIS_EXPORTED, events.IN_TRANSACTION),
        ("invoice.sent", events.IN_TRANSACTION),
        ("invoice.reminded", events.IN_TRANSACTION),
        ("invoice.delivery_failed", events.IN_TRANSACTION),
        ("payment.received", events.IN_TRANSACTION),
        ("payment.unmatched", events.IN_TRANSACTION),
        ("invoice.paid", events.IN_TRANSACTION),
        ("invoice.overpaid", events.IN_TRANSACTION),
        ("task.opened", events.IN_TRANSACTION),
        ("task.closed", events.IN_TRANSACTION),
        ("voucher.created", events.IN_TRANSACTION),
        ("invoice.overdue", events.IN_TRANSACTION),
        ("invoice.sent_to_collection", events.IN_TRANSACTION),
    }


@pytest.mark.parametrize("app", ["invoicing", "courses", "distribution"])
def test_the_publishers_import_nothing_of_webhooks_nor_api(app):
    imported = set()
    for path in (FAKTURERA / app).rglob("*.py"):
        if "tests" in path.relative_to(FAKTURERA / app).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                imported.update((path.name, alias.name) for alias in node.names)

    assert not {
        (name, module) for name, module in imported if module.startswith(("fakturera.webhooks", "fakturera.api"))
    }


# --- course_basis.exported ---------------------------------------------------------------------


def _basis(company, admin_user):
    occurrence = make_occurrence(company)
    submit_processed(occurrence, admin_user)
    # What the staff page's Send passes (staff/views/courses.py).
    scope = {"occurrence_id": occurrence.pk, "course": occurrence.course.name, "dates": occurrence.dates}
    return course_selectors.course_basis_rows(company=company, occurrence=occurrence), scope


def test_the_course_basis_export_arrives_through_its_event_with_the_same_body(
    company, admin_user, django_capture_on_commit_callbacks
):
    rows, scope = _basis(company, admin_user)
    with Receiver() as one, Receiver() as two:
        first = webhook_endpoint_create(company=company, url=one.url, events=["course_basis.exported"])
        webhook_endpoint_create(company=company, url=two.url, events=["course_basis.exported"])
        webhook_endpoint_create(company=company, url=two.url + "/issued", events=["invoice.issued"])

        with events.recorded() as published, django_capture_on_commit_callbacks(execute=True):
            sent = course_services.course_basis_export(company=company, rows=rows, scope=scope, actor=admin_user)

    # one event, published by courses; webhooks answered with a receipt per endpoint
    [event] = published
    assert (event.name, event.company_id, event.actor_id) == (COURSE_BASIS_EXPORTED, company.pk, admin_user.pk)
    deliveries = list(WebhookDelivery.objects.order_by("endpoint__url"))
    assert sent == 2 == len(deliveries)
    assert event["receipts"] == [{"kind": "webhook_delivery", "id": d.pk} for d in deliveries]
    # the body is the one receivers have always had: the scope's keys and the rows
    data = _json({**scope, "rows": rows})
    [(headers, body)] = one.requests
    delivery = WebhookDelivery.objects.get(endpoint=first)
    assert json.loads(body) == _body(delivery, data)
    assert headers["Fakturera-Event"] == "course_basis.exported"
    assert verify(secret=first.secret, body=body, header=headers[SIGNATURE_HEADER])
    assert len(two.requests) == 1
    assert {d.status for d in WebhookDelivery.objects.all()} == {DeliveryStatus.DELIVERED}


def test_a_course_basis_nobody_listens_for_is_taken_by_nothing(company, admin_user):
    rows, scope = _basis(company, admin_user)
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/hook", events=["invoice.issued"])

    with events.recorded() as published:
        sent = course_services.course_basis_export(company=company, rows=rows, scope=scope)

    assert sent == 0
    assert published[0]["receipts"] == []
    assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_course_basis_export_records_nothing(company, admin_user):
    rows, scope = _basis(company, admin_user)
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/hook", events=["course_basis.exported"])

    def export_then_fail() -> None:
        with transaction.atomic():
            assert course_services.course_basis_export(company=company, rows=rows, scope=scope) == 1
            assert WebhookDelivery.objects.count() == 1  # recorded in the caller's transaction
            raise Rollback

    with pytest.raises(Rollback):
        export_then_fail()
    assert not WebhookDelivery.objects.exists()


# --- invoice.exported --------------------------------------------------------------------------


def _export_channel(company) -> None:
    channel_setting_save(company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "webhook"})
    distribution_settings_save(
        company=company, default_channel=Channel.EXPORT, reserve_channel="", reminder_channel="", undo_minutes=0
    )


def test_the_invoice_export_arrives_through_its_event_with_the_same_body(
    company, admin_user, django_capture_on_commit_callbacks
):
    invoices = [basis_registered(company, admin_user, price) for price in ("800.00", "120.00")]
    _export_channel(company)
    with Receiver() as one, Receiver() as two:
        first = webhook_endpoint_create(company=company, url=one.url, events=["invoice.exported"])
        webhook_endpoint_create(company=company, url=two.url, events=["invoice.exported", "invoice.issued"])
        invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in invoices])

        with events.recorded() as published, django_capture_on_commit_callbacks(execute=True):
            done = deliveries_work(now=later())

    assert done.sent == 2
    [event] = [e for e in published if e.name == INVOICE_EXPORTED]
    assert event.company_id == company.pk
    assert sorted(invoice.pk for invoice in event["invoices"]) == sorted(i.pk for i in invoices)
    assert [len(taken) for taken in event["receipts"]] == [2, 2]  # one receipt per endpoint
    for invoice in invoices:
        # each distribution delivery names the first endpoint's webhook delivery
        exported = Delivery.objects.get(invoice=invoice)
        webhook_first, webhook_second = WebhookDelivery.objects.filter(payload__data__id=invoice.pk).order_by(
            "endpoint__url"
        )
        assert (exported.state, exported.reference) == (DeliveryState.SENT, f"webhook delivery {webhook_first.pk}")
        # the body: the invoice event's fields, then its UBL and the UBL's file name
        invoice = Invoice.objects.get(pk=invoice.pk)
        ubl = bytes(InvoiceDocument.objects.get(invoice=invoice, format=DocumentFormat.UBL).content)
        data = _json(
            {
                **invoice_payload(invoice),
                "ubl": base64.b64encode(ubl).decode(),
                "ubl_filename": f"{invoice.display_number}.xml",
            }
        )
        assert webhook_first.payload["data"] == data == webhook_second.payload["data"]
        received = [json.loads(body) for _headers, body in one.requests + two.requests]
        assert _body(webhook_first, data) in received
        assert _body(webhook_second, data) in received
    assert len(one.requests) == len(two.requests) == 2
    assert all(verify(secret=first.secret, body=body, header=h[SIGNATURE_HEADER]) for h, body in one.requests)


def test_an_invoice_export_nobody_listens_for_fails_and_records_nothing(company, admin_user):
    invoice = basis_registered(company, admin_user, "800.00")
    _export_channel(company)
    inactive = {"url": "http://127.0.0.1:9/hook", "events": ["invoice.exported"], "is_active": False}
    webhook_endpoint_create(company=company, **inactive)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

    with events.recorded() as published:
        assert deliveries_work(now=later()).failed == 1

    [event] = [e for e in published if e.name == INVOICE_EXPORTED]
    assert event["receipts"] == [[]]
    assert "invoice.exported" in Delivery.objects.get().error
    assert not WebhookDelivery.objects.exists()


# --- invoice.issued ------------------------------------------------------------------------------


def test_a_rolled_back_issue_records_no_webhook_delivery_and_no_task(company, admin_user, settings):
    settings.TASKS = DATABASE_BACKEND
    webhook_endpoint_create(company=company, url="http://127.0.0.1:9/hook", events=["invoice.issued"])
    customer = PersonFactory(company=company)
    draft = invoice_create_draft(company=company, customer=customer, actor=admin_user, lines=[LINE])
    tasks = DBTaskResult.objects.filter(task_path="fakturera.webhooks.tasks.deliver_webhooks")

    def issue_then_fail() -> None:
        with transaction.atomic():
            invoice_issue(invoice=draft, actor=admin_user)
            # recorded in the issuing transaction, with the task that sends it
            assert WebhookDelivery.objects.filter(payload__data__id=draft.pk).count() == 1
            assert tasks.count() == 1
            raise Rollback

    with pytest.raises(Rollback):
        issue_then_fail()
    assert not WebhookDelivery.objects.exists()
    assert not tasks.exists()

    # and issued for real, both are there for the worker
    invoice_issue(invoice=Invoice.objects.get(pk=draft.pk), actor=admin_user)
    delivery = WebhookDelivery.objects.get()
    assert tasks.get().args_kwargs == {"args": [[delivery.pk]], "kwargs": {}}
