"""Letter, Peppol and direct debit through the real delivery path: staff send, the undo
window passes, the worker delivers by the channel's transport to a real HTTP service on
loopback (transports.testing) or into the Autogiro run's file; then what arrived and
what the invoice's history says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from lxml import etree

from fakturera.autogiro.models import PaymentOrder
from fakturera.autogiro.services import mandate_cancel, payment_order_file
from fakturera.autogiro.tests.factories import AutogiroSettingsFactory, MandateFactory
from fakturera.distribution.models import ChannelSetting, Delivery, DeliveryState
from fakturera.distribution.selectors import invoice_sending
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.distribution.tests.factories import service_channel
from fakturera.distribution.transports.letter import letter_send
from fakturera.distribution.transports.testing import FakeLetterService, FakePeppolAccessPoint
from fakturera.distribution.worker import _jobs, deliveries_claim, deliveries_sweep, deliveries_work
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.services import document_get
from fakturera.invoicing.history import describe, detail_rows
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import CONSULTATION, basis_registered, issued_invoice
from fakturera.parties.models import Channel
from fakturera.parties.tests.factories import OrganisationFactory
from fakturera.staff.tests.invoice_helpers import staff_client

pytestmark = pytest.mark.django_db

REGISTERED = "0007:5560360793"
UNREGISTERED = "0007:5567321707"


def after_window(minutes: int = 6) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def status_of(invoice: Invoice) -> str:
    invoice.refresh_from_db()
    return invoice_sending(invoice=invoice).status


# --- letter --------------------------------------------------------------------------------------


@pytest.fixture
def letter_service():
    with FakeLetterService() as service:
        yield service


def test_a_letter_reaches_the_print_service_once_with_its_pdf_and_address(company, admin_user, letter_service):
    invoice = basis_registered(company, admin_user, "250.00", name="Anna Berg")
    service_channel(company, Channel.LETTER, letter_service)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert deliveries_work(now=timezone.now()).claimed == 0  # the undo window holds it back
    assert letter_service.requests == []

    assert deliveries_work(now=after_window()).sent == 1
    assert deliveries_work(now=after_window(120)).claimed == 0

    [letter] = letter_service.received
    delivery = Delivery.objects.get()
    stored = InvoiceDocument.objects.get(invoice=invoice, format=DocumentFormat.PDF, template=delivery.template)
    assert letter["pdf"] == bytes(stored.content)
    customer = invoice.customer
    assert letter["recipient"] == {
        "name": "Anna Berg",
        "address_lines": [customer.address_line1],
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": "SE",
    }
    assert letter["reference"] == invoice.display_number
    assert letter["idempotency_key"] == str(delivery.idempotency_key)
    assert status_of(invoice) == SendingStatus.SENT
    sent = invoice.events.get(kind=SendingEvent.SENT)
    assert sent.params["reference"] == letter["id"] == delivery.reference
    assert customer.city in sent.params["recipient"]


def test_a_failing_print_service_is_retried_with_the_same_key_and_the_letter_recorded_once(
    company, admin_user, letter_service
):
    invoice = basis_registered(company, admin_user, "250.00")
    service_channel(company, Channel.LETTER, letter_service)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    letter_service.fail_next(500)

    assert deliveries_work(now=after_window()).retried == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, status_of(invoice)) == (DeliveryState.QUEUED, SendingStatus.QUEUED)
    assert "HTTP 500" in delivery.error
    assert deliveries_work(now=timezone.now()).claimed == 0  # backoff: not yet
    assert deliveries_work(now=after_window(60)).sent == 1

    keys = [request.headers["idempotency-key"] for request in letter_service.requests]
    assert keys == [str(delivery.idempotency_key)] * 2
    assert len(letter_service.received) == 1
    assert status_of(invoice) == SendingStatus.SENT
    assert invoice.events.filter(kind=SendingEvent.SENT).count() == 1
    assert not invoice.events.filter(kind=SendingEvent.SEND_FAILED).exists()


def test_a_refused_letter_fails_at_once_and_the_invoice_rolls_back_with_the_error(company, admin_user, letter_service):
    invoice = basis_registered(company, admin_user, "250.00")
    service_channel(company, Channel.LETTER, letter_service)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    letter_service.fail_next(400, message="the address cannot be delivered to")

    assert deliveries_work(now=after_window()).failed == 1

    assert len(letter_service.requests) == 1
    assert letter_service.received == []
    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert status_of(invoice) == SendingStatus.UNSENT
    failure = invoice.events.get(kind=SendingEvent.SEND_FAILED)
    assert "HTTP 400" in describe(failure)
    assert "the address cannot be delivered to" in describe(failure)
    assert letter_service.api_key not in describe(failure)


def test_a_dead_workers_letter_is_sent_again_with_its_key_and_printed_once(company, admin_user, letter_service):
    invoice = basis_registered(company, admin_user, "250.00")
    service_channel(company, Channel.LETTER, letter_service)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    # A worker claimed it, handed it to the service and died before recording the answer.
    deliveries_claim(now=after_window())
    Delivery.objects.update(handed_over_at=timezone.now())
    delivery = Delivery.objects.get()
    [job] = _jobs([delivery], needs_pdf=True, needs_ubl=False)
    from fakturera.distribution.channels.letter import letter_address

    letter_send(
        base_url=letter_service.url,
        api_key=letter_service.api_key,
        pdf=job.pdf,
        address=letter_address(delivery.address),
        reference=invoice.display_number,
        idempotency_key=str(delivery.idempotency_key),
    )

    assert deliveries_sweep(now=after_window(60)) == {"requeued": 1, "uncertain": 0, "sent": 0}
    assert deliveries_work(now=after_window(61)).sent == 1

    assert len(letter_service.requests) == 2
    [letter] = letter_service.received
    assert Delivery.objects.get().reference == letter["id"]
    assert status_of(invoice) == SendingStatus.SENT


# --- Peppol --------------------------------------------------------------------------------------


@pytest.fixture
def access_point():
    with FakePeppolAccessPoint(registered={REGISTERED}) as fake:
        yield fake


def peppol_invoice(company, actor, peppol_id: str, name: str = "Region Mitt AB") -> Invoice:
    buyer = OrganisationFactory(company=company, name=name, peppol_id=peppol_id)
    return issued_invoice(company, actor, customer=buyer, lines=[CONSULTATION], issued_on=None)


@pytest.fixture
def peppol_company(company, access_point):
    company.peppol_id = "0007:" + company.org_number.replace("-", "")
    company.save()
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    return company


@pytest.mark.needs_shared("the Peppol validator")
def test_registered_receivers_get_a_valid_ubl_and_each_receiver_is_looked_up_once_per_send(
    peppol_company, admin_user, access_point
):
    company = peppol_company
    first = peppol_invoice(company, admin_user, REGISTERED)
    second = peppol_invoice(company, admin_user, REGISTERED, name="Region Mitt AB, vården")
    elsewhere = peppol_invoice(company, admin_user, UNREGISTERED, name="Firma Utan Peppol AB")
    service_channel(company, Channel.PEPPOL, access_point, reserve=Channel.PRINT)

    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[first.pk, second.pk, elsewhere.pk])

    lookups = sorted(r.path for r in access_point.requests if r.method == "GET")
    assert lookups == [f"/v1/participants/{REGISTERED}", f"/v1/participants/{UNREGISTERED}"]
    assert batch.queued_count == 3
    channels = dict(Delivery.objects.values_list("invoice_id", "channel"))
    assert channels == {first.pk: Channel.PEPPOL, second.pk: Channel.PEPPOL, elsewhere.pk: Channel.PRINT}
    queued = elsewhere.events.get(kind=SendingEvent.QUEUED)
    assert "not registered as a Peppol receiver" in dict(detail_rows(queued))["Routing"]

    assert deliveries_work(now=after_window()).sent == 3

    # The access point validated each UBL with the official Peppol validator before accepting it.
    received = {document["idempotency_key"]: document for document in access_point.received}
    assert len(received) == 2
    for invoice in (first, second):
        delivery = Delivery.objects.get(invoice=invoice)
        document = received[str(delivery.idempotency_key)]
        assert (document["sender"], document["receiver"], document["kind"]) == (
            company.peppol_id,
            REGISTERED,
            "invoice",
        )
        ubl = etree.fromstring(document["ubl"])
        assert ubl.findtext("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID") == (
            invoice.display_number
        )
        assert delivery.reference == document["id"]
        assert status_of(invoice) == SendingStatus.SENT
    assert status_of(elsewhere) == SendingStatus.SENT


def test_an_unregistered_receiver_without_a_reserve_channel_stays_unsent_with_the_reason(
    peppol_company, admin_user, access_point
):
    invoice = peppol_invoice(peppol_company, admin_user, UNREGISTERED)
    service_channel(peppol_company, Channel.PEPPOL, access_point)

    batch = invoices_send(company=peppol_company, actor=admin_user, invoice_ids=[invoice.pk])

    assert (batch.queued_count, batch.unsent_count) == (0, 1)
    assert not Delivery.objects.exists()
    assert status_of(invoice) == SendingStatus.UNSENT
    reason = describe(invoice.events.get(kind=SendingEvent.NOT_SENT))
    assert f"is not registered as a Peppol receiver ({UNREGISTERED})" in reason
    deliveries_work(now=after_window())
    assert access_point.received == []


@pytest.mark.needs_shared("the Peppol validator")
def test_an_invalid_ubl_is_refused_and_the_invoice_rolls_back_with_the_rules(peppol_company, admin_user, access_point):
    invoice = peppol_invoice(peppol_company, admin_user, REGISTERED)
    service_channel(peppol_company, Channel.PEPPOL, access_point)
    # The stored UBL loses the buyer's electronic address (PEPPOL-EN16931-R010).
    stored = document_get(invoice=invoice, fmt=DocumentFormat.UBL)
    tree = etree.fromstring(bytes(stored.content))
    [endpoint] = tree.xpath("//*[local-name()='AccountingCustomerParty']//*[local-name()='EndpointID']")
    endpoint.getparent().remove(endpoint)
    InvoiceDocument.objects.filter(pk=stored.pk).update(
        content=etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    )
    invoices_send(company=peppol_company, actor=admin_user, invoice_ids=[invoice.pk])

    assert deliveries_work(now=after_window()).failed == 1

    assert access_point.received == []
    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert status_of(invoice) == SendingStatus.UNSENT
    failure = invoice.events.get(kind=SendingEvent.SEND_FAILED)
    assert "HTTP 400" in describe(failure)
    assert "PEPPOL-EN16931-R010" in describe(failure)


def test_peppol_cannot_be_switched_on_without_the_companys_own_peppol_id(company, access_point):
    from fakturera.core.errors import DomainError

    with pytest.raises(DomainError, match="own Peppol ID"):
        service_channel(company, Channel.PEPPOL, access_point, default=False)
    assert not ChannelSetting.objects.filter(channel=Channel.PEPPOL, is_active=True).exists()


# --- direct debit (Autogiro) ------------------------------------------------------------------------


@pytest.fixture
def autogiro_company(company):
    AutogiroSettingsFactory(company=company, customer_number="471117", bankgiro="991-2346")
    for channel in (Channel.DIRECT_DEBIT, Channel.PRINT):
        channel_setting_save(company=company, channel=channel, is_active=True, options={})
    distribution_settings_save(
        company=company,
        default_channel=Channel.DIRECT_DEBIT,
        reserve_channel=Channel.PRINT,
        reminder_channel="",
        undo_minutes=5,
    )
    return company


def test_an_active_mandate_makes_a_payment_order_in_the_runs_file_and_no_mandate_goes_by_the_reserve(
    autogiro_company, admin_user
):
    company = autogiro_company
    collected = basis_registered(company, admin_user, "400.00")
    mandate = MandateFactory(company=company, customer=collected.customer, payer_number="5500112233")
    printed = basis_registered(company, admin_user, "300.00")

    invoices_send(company=company, actor=admin_user, invoice_ids=[collected.pk, printed.pk])

    channels = dict(Delivery.objects.values_list("invoice_id", "channel"))
    assert channels == {collected.pk: Channel.DIRECT_DEBIT, printed.pk: Channel.PRINT}
    assert "no active Autogiro mandate" in dict(detail_rows(printed.events.get(kind=SendingEvent.QUEUED)))["Routing"]
    assert deliveries_work(now=after_window()).sent == 2
    assert deliveries_work(now=after_window(120)).claimed == 0

    [order] = PaymentOrder.objects.all()
    assert (order.invoice_id, order.mandate_id, order.amount) == (collected.pk, mandate.pk, collected.total_amount)
    assert (status_of(collected), status_of(printed)) == (SendingStatus.SENT, SendingStatus.SENT)
    content = payment_order_file(company, timezone.localdate()).decode("latin-1")
    [record] = [line for line in content.splitlines() if line.startswith("82")]
    assert record[15:31] == "5500112233".zfill(16)
    assert int(record[31:43]) == int(collected.total_amount * 100)
    assert record[53:69].strip() == collected.payment_reference


def test_a_mandate_cancelled_after_queueing_fails_that_invoice_only(autogiro_company, admin_user):
    company = autogiro_company
    kept, cancelled = (basis_registered(company, admin_user, "400.00") for _ in range(2))
    MandateFactory(company=company, customer=kept.customer)
    gone = MandateFactory(company=company, customer=cancelled.customer)
    invoices_send(company=company, actor=admin_user, invoice_ids=[kept.pk, cancelled.pk])
    mandate_cancel(mandate=gone)

    done = deliveries_work(now=after_window())

    assert (done.sent, done.failed) == (1, 1)
    assert list(PaymentOrder.objects.values_list("invoice_id", flat=True)) == [kept.pk]
    assert status_of(cancelled) == SendingStatus.UNSENT
    assert "no active Autogiro mandate" in describe(cancelled.events.get(kind=SendingEvent.SEND_FAILED))


def test_direct_debit_cannot_be_switched_on_without_the_autogiro_settings(company):
    from fakturera.core.errors import DomainError

    with pytest.raises(DomainError, match="Autogiro settings"):
        channel_setting_save(company=company, channel=Channel.DIRECT_DEBIT, is_active=True, options={})


# --- staff pages -----------------------------------------------------------------------------------


def test_the_send_dialog_offers_the_active_channels(peppol_company, admin_user, access_point, letter_service):
    AutogiroSettingsFactory(company=peppol_company)
    service_channel(peppol_company, Channel.LETTER, letter_service, default=False)
    service_channel(peppol_company, Channel.PEPPOL, access_point, default=False)
    channel_setting_save(company=peppol_company, channel=Channel.DIRECT_DEBIT, is_active=True, options={})
    invoice = basis_registered(peppol_company, admin_user, "100.00")
    client, _user = staff_client(peppol_company)

    dialog = client.get(f"/distribution/send/?invoice={invoice.pk}").content.decode()
    for code in (Channel.LETTER, Channel.PEPPOL, Channel.DIRECT_DEBIT, Channel.PRINT):
        assert f'value="{code}"' in dialog
    assert f'value="{Channel.EMAIL}"' not in dialog

    response = client.post(
        f"/distribution/send/?invoice={invoice.pk}",
        {"purpose": "invoice", "template": "standard", "channel": Channel.LETTER},
    )
    assert response.status_code == 302
    assert Delivery.objects.get().channel == Channel.LETTER


@pytest.mark.parametrize("code", [Channel.LETTER, Channel.PEPPOL])
def test_the_settings_form_saves_the_service_address_and_key_of_letter_and_peppol(company, code):
    company.peppol_id = "0007:" + company.org_number.replace("-", "")
    company.save()
    admin, _user = staff_client(company, role="admin")
    prefix = f"channel-{code}"

    refused = admin.post(
        "/settings/distribution/",
        {"action": f"channel:{code}", f"{prefix}-is_active": "on", f"{prefix}-base_url": "https://api.example.se"},
    )
    assert refused.status_code == 400
    assert "API key" in refused.content.decode()
    assert not ChannelSetting.objects.filter(channel=code, is_active=True).exists()

    saved = admin.post(
        "/settings/distribution/",
        {
            "action": f"channel:{code}",
            f"{prefix}-is_active": "on",
            f"{prefix}-base_url": "https://api.example.se/v2",
            f"{prefix}-secret": "nyckel-123456",
        },
    )
    assert saved.status_code == 302
    setting = ChannelSetting.objects.get(company=company, channel=code)
    assert (setting.is_active, setting.options, setting.secret) == (
        True,
        {"base_url": "https://api.example.se/v2"},
        "nyckel-123456",
    )
    page = admin.get("/settings/distribution/").content.decode()
    assert "https://api.example.se/v2" in page
    assert "nyckel-123456" not in page
