"""The staff pages of distribution and reminders through the same path: given a company
with channels set up, when staff act in the pages, then what is queued, sent or kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import ChannelSetting, Delivery, DeliveryState
from fakturera.distribution.selectors import invoice_sending
from fakturera.distribution.services import invoices_send
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.distribution.tests.factories import email_channel, sending_statuses
from fakturera.distribution.worker import deliveries_sweep, deliveries_work
from fakturera.invoicing.history import describe
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.tests.factories import basis_registered, draft_invoice, overdue_invoice
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = pytest.mark.django_db


def later(minutes: int = 10) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_send_all_matching_the_filter_takes_every_page(company, admin_user, monkeypatch):
    monkeypatch.setattr("fakturera.staff.views.invoices.PAGE_SIZE", 1)
    invoices = [basis_registered(company, admin_user, "100.00", name=f"Berg {i}") for i in range(3)]
    other = basis_registered(company, admin_user, "100.00", name="Ek")
    # a draft matches the filter too, but has no documents: neither counted nor sent
    draft = draft_invoice(company, admin_user, "1", customer=invoices[0].customer, description="Utkast")
    email_channel(company, 25)
    client, _user = staff_client(company)

    listing = client.get("/invoices/?q=Berg")
    assert "Send all 3 matching" in listing.content.decode()
    dialog = client.get("/distribution/send/?all=1&q=Berg")
    assert "3 issued invoices matching the filter" in dialog.content.decode()
    response = client.post("/distribution/send/?all=1&q=Berg", {"purpose": "invoice", "template": "standard"})

    assert response.status_code == 302
    assert set(Delivery.objects.values_list("invoice_id", flat=True)) == {i.pk for i in invoices}
    assert draft.pk not in set(Delivery.objects.values_list("invoice_id", flat=True))
    other.refresh_from_db()
    assert invoice_sending(invoice=other).status == SendingStatus.UNSENT


def test_a_filter_that_does_not_read_chooses_nothing_rather_than_everything(company, admin_user):
    basis_registered(company, admin_user, "100.00", name="Berg")
    email_channel(company, 25)
    client, _user = staff_client(company)

    response = client.post(
        "/distribution/send/?all=1&q=Berg&issued_from=2026-13-45", {"purpose": "invoice", "template": "standard"}
    )

    assert response.status_code == 400
    assert "filter is not valid" in response.content.decode()
    assert not Delivery.objects.exists()


def test_an_answer_other_than_confirm_or_resend_changes_nothing(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    Delivery.objects.update(state=DeliveryState.UNCERTAIN, handed_over_at=timezone.now(), attempts=1)
    delivery = Delivery.objects.get()
    client, _user = staff_client(company)

    refused = client.post(f"/distribution/deliveries/{delivery.pk}/answer/", {"action": ""})
    elsewhere = client.post(
        f"/distribution/deliveries/{delivery.pk}/answer/", {"action": "confirm", "next": "https://evil.example/"}
    )

    assert refused.status_code == 400
    assert elsewhere.status_code == 302
    assert elsewhere["Location"] == "/distribution/"
    assert Delivery.objects.get().state != DeliveryState.QUEUED


def test_a_read_only_user_cannot_send_and_nothing_is_queued(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    client, _user = staff_client(company, role="read_only")
    response = client.post(f"/distribution/send/?invoice={invoice.pk}", {"purpose": "invoice", "template": "standard"})
    assert response.status_code == 403
    assert not Delivery.objects.exists()


def test_settings_are_for_administrators_and_never_show_the_stored_password(company):
    accountant, _user = staff_client(company, role="accountant")
    assert accountant.get("/settings/distribution/").status_code == 403
    admin, _user = staff_client(company, role="admin")
    response = admin.post(
        "/settings/distribution/",
        {
            "action": "channel:email",
            "channel-email-is_active": "on",
            "channel-email-host": "smtp.example.se",
            "channel-email-port": "587",
            "channel-email-security": "starttls",
            "channel-email-username": "faktura",
            "channel-email-secret": "hemligt-lösenord",
            "channel-email-from_email": "faktura@klinik.se",
        },
    )
    assert response.status_code == 302
    setting = ChannelSetting.objects.get(company=company, channel="email")
    assert setting.secret == "hemligt-lösenord"
    page = admin.get("/settings/distribution/").content.decode()
    assert "hemligt" not in page
    assert "Stored; leave empty to keep it." in page


def test_export_cannot_be_switched_on_beside_another_channel_in_the_settings(company):
    email_channel(company, 25)
    admin, _user = staff_client(company, role="admin")
    response = admin.post(
        "/settings/distribution/",
        {"action": "channel:export", "channel-export-is_active": "on", "channel-export-mode": "webhook"},
    )
    assert response.status_code == 400
    assert "Export is used alone" in response.content.decode()
    assert not ChannelSetting.objects.filter(channel="export").exists()


def test_a_reminder_counts_when_sent(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00")
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk], purpose="reminder")
        invoice.refresh_from_db()
        sending = invoice_sending(invoice=invoice)
        assert (sending.status, sending.reminder_count) == (SendingStatus.QUEUED, 1)
        deliveries_work(now=later())

    [received] = smtp.received
    assert received.message["Subject"].startswith("Påminnelse")
    invoice.refresh_from_db()
    sending = invoice_sending(invoice=invoice)
    assert sending.status == SendingStatus.REMINDED
    assert (sending.reminder_count, sending.reminded_on) == (1, timezone.localdate())
    assert invoice.events.filter(kind=SendingEvent.REMINDED).exists()


def test_a_failed_reminder_rolls_back_its_count_and_date(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00")
    with SmtpServer(refuse_with="554 Rejected") as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk], purpose="reminder")
        deliveries_work(now=later())

    invoice.refresh_from_db()
    sending = invoice_sending(invoice=invoice)
    assert (sending.status, sending.reminder_count, sending.reminded_on) == (SendingStatus.UNSENT, 0, None)
    assert "554" in describe(invoice.events.get(kind=SendingEvent.REMINDER_FAILED))


def test_an_invoice_not_yet_due_gets_no_reminder(company, admin_user):
    invoice = basis_registered(company, admin_user, "400.00")
    email_channel(company, 25, reminder_channel="email")
    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk], purpose="reminder")
    assert (batch.queued_count, batch.unsent_count) == (0, 1)
    assert "overdue" in describe(invoice.events.get(kind=SendingEvent.NOT_SENT))


def test_an_invoice_without_an_address_stays_unsent_with_the_reason(company, admin_user):
    invoice = basis_registered(company, admin_user, "400.00")
    invoice.customer.email = ""
    invoice.customer.save()
    email_channel(company, 25)
    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert batch.unsent_count == 1
    assert "has no e-mail address" in describe(invoice.events.get(kind=SendingEvent.NOT_SENT))
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.UNSENT


def test_the_invoice_email_overrides_and_clearing_it_derives_the_address_again(company, admin_user):
    invoice = basis_registered(company, admin_user, "400.00")
    client, _user = staff_client(company)
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        client.post(f"/invoices/{invoice.pk}/email/", {"email": "ekonomi@annan.se"})
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        deliveries_work(now=later())
        client.post(f"/invoices/{invoice.pk}/email/", {"email": ""})
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        deliveries_work(now=later())

    assert [r.recipients for r in smtp.received] == [["ekonomi@annan.se"], [invoice.customer.email]]


def test_staff_confirm_or_resend_an_uncertain_delivery(company, admin_user):
    first, second = (basis_registered(company, admin_user, "100.00") for _ in range(2))
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[first.pk, second.pk])
    # a worker claimed them, handed them to the server and died
    Delivery.objects.update(
        state=DeliveryState.SENDING, lease_until=timezone.now(), handed_over_at=timezone.now(), attempts=1
    )
    assert deliveries_sweep(now=later()) == {"requeued": 0, "uncertain": 2, "sent": 0}
    client, _user = staff_client(company)
    overview = client.get("/distribution/").content.decode()
    assert first.display_number in overview
    assert "It arrived" in overview

    one, two = Delivery.objects.order_by("invoice__number")
    client.post(f"/distribution/deliveries/{one.pk}/answer/", {"action": "confirm"})
    response = client.post(f"/distribution/deliveries/{two.pk}/answer/", {"action": "resend"})

    assert messages_of(response)[-1] == "Queued to be sent again."
    statuses = sending_statuses(Invoice.objects.all())
    assert statuses == {first.pk: SendingStatus.SENT, second.pk: SendingStatus.QUEUED}
    assert Delivery.objects.get(pk=two.pk).state == DeliveryState.QUEUED


def test_a_lost_lease_before_handing_over_goes_back_to_the_queue(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    Delivery.objects.update(state=DeliveryState.SENDING, lease_until=timezone.now(), attempts=1)
    assert deliveries_sweep(now=later()) == {"requeued": 1, "uncertain": 0, "sent": 0}
    assert Delivery.objects.get().state == DeliveryState.QUEUED
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.QUEUED


def test_the_progress_fragment_polls_until_the_send_is_finished(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        client, _user = staff_client(company)
        waiting = client.get(f"/distribution/sends/{batch.pk}/", HTTP_HX_REQUEST="true").content.decode()
        deliveries_work(now=later())
        finished = client.get(f"/distribution/sends/{batch.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    assert "hx-trigger" not in finished
    assert "1 of 1 done" in finished


def test_an_email_template_is_saved_edited_and_used(company, admin_user):
    admin, _user = staff_client(company, role="admin")
    fields = {"action": "template", "template-purpose": "invoice", "template-language": "sv"}
    admin.post("/settings/distribution/", {**fields, "template-subject": "Faktura", "template-body": "Hej"})
    template = company.email_templates.get()
    page = admin.get(f"/settings/distribution/?edit={template.pk}").content.decode()
    assert "Hej</textarea>" in page
    admin.post(
        "/settings/distribution/",
        {
            **fields,
            "template-subject": "Er faktura {invoice_number}",
            "template-body": "Hej {customer_name}, OCR {ocr}",
        },
    )
    invoice = basis_registered(company, admin_user, "100.00", name="Lena Lund")
    with SmtpServer() as smtp:
        email_channel(company, smtp.port)
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        deliveries_work(now=later())
    [received] = smtp.received
    assert received.message["Subject"] == f"Er faktura {invoice.display_number}"
    assert received.message.get_body().get_content().strip() == f"Hej Lena Lund, OCR {invoice.payment_reference}"


def test_the_invoice_page_shows_the_waiting_delivery_and_leads_to_its_undo(company, admin_user):
    invoice = basis_registered(company, admin_user, "100.00")
    email_channel(company, 25)
    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    client, _user = staff_client(company)
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Waiting to be sent by E-mail." in page
    assert f"/distribution/sends/{batch.pk}/" in page
