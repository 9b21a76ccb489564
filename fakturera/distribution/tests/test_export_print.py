"""Export (exclusive; a webhook to the accounting system's real HTTP server on loopback)
and print (one merged PDF of a send's invoices)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from fakturera.core.errors import DomainError
from fakturera.distribution.models import ChannelSetting, Delivery
from fakturera.distribution.selectors import invoice_sending
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.webhooks.services import verify, webhook_endpoint_create
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


def later() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=10)


def test_export_hands_the_invoice_and_its_ubl_to_the_accounting_system(
    company, admin_user, django_capture_on_commit_callbacks
):
    invoice = basis_registered(company, admin_user, "800.00")
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(company=company, url=receiver.url, events=["invoice.exported"])
        channel_setting_save(company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "webhook"})
        distribution_settings_save(
            company=company, default_channel=Channel.EXPORT, reserve_channel="", reminder_channel="", undo_minutes=0
        )
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        with django_capture_on_commit_callbacks(execute=True):
            done = deliveries_work(now=later())

    assert done.sent == 1
    [(headers, body)] = receiver.requests
    assert headers["Fakturera-Event"] == "invoice.exported"
    assert verify(secret=endpoint.secret, body=body, header=headers["Fakturera-Signature"])
    data = json.loads(body)["data"]
    assert data["number"] == invoice.display_number
    assert b"<cbc:ID>" + invoice.display_number.encode() + b"</cbc:ID>" in base64.b64decode(data["ubl"])
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.SENT


def test_export_without_a_listening_endpoint_fails_with_the_reason(company, admin_user):
    invoice = basis_registered(company, admin_user, "800.00")
    channel_setting_save(company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "webhook"})
    distribution_settings_save(
        company=company, default_channel=Channel.EXPORT, reserve_channel="", reminder_channel="", undo_minutes=0
    )
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert deliveries_work(now=later()).failed == 1
    assert "invoice.exported" in Delivery.objects.get().error


def test_export_is_exclusive(company):
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    with pytest.raises(DomainError, match="Export is used alone"):
        channel_setting_save(company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "webhook"})
    assert not ChannelSetting.objects.filter(company=company, channel=Channel.EXPORT, is_active=True).exists()


def test_the_stored_secret_is_kept_when_the_form_leaves_it_empty(company):
    options = {"host": "smtp.example", "port": 587, "security": "starttls", "from_email": "a@b.se", "username": "u"}
    channel_setting_save(company=company, channel=Channel.EMAIL, is_active=True, options=options, secret="hemligt")
    setting = channel_setting_save(company=company, channel=Channel.EMAIL, is_active=True, options=options, secret="")
    assert setting.secret == "hemligt"
    assert "hemligt" not in repr(setting)


def test_print_makes_one_pdf_of_the_send(company, admin_user, client):
    from fakturera.distribution.models import SendBatch

    invoices = [basis_registered(company, admin_user, "100.00") for _ in range(2)]
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel=Channel.PRINT, reserve_channel="", reminder_channel="", undo_minutes=0
    )
    batch = invoices_send(company=company, actor=admin_user, invoice_ids=[i.pk for i in invoices])
    assert deliveries_work(now=later()).sent == 2
    client.force_login(admin_user)
    response = client.get(f"/distribution/sends/{batch.pk}/print.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    import io

    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(response.content)).pages) >= 2
    assert SendBatch.objects.get().queued_count == 2


def by_directory(company, folder: str) -> None:
    channel_setting_save(
        company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "directory", "directory": folder}
    )
    distribution_settings_save(
        company=company, default_channel=Channel.EXPORT, reserve_channel="", reminder_channel="", undo_minutes=0
    )


def test_export_to_a_directory_writes_the_ubl_and_the_pdf(company, admin_user, tmp_path, settings):
    # The operator's root; the company names a subfolder of its own folder in it.
    settings.EXPORT_ROOT = tmp_path
    invoice = basis_registered(company, admin_user, "800.00")
    by_directory(company, "bokföring/2026")
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert deliveries_work(now=later()).sent == 1
    name = f"{company.pk}-{invoice.display_number}"
    folder = tmp_path / str(company.pk) / "bokföring" / "2026"
    assert (folder / f"{name}.xml").read_bytes().startswith(b"<?xml")
    assert (folder / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    # The history names the file as the company knows it, not the server's layout.
    reference = json.dumps(Delivery.objects.get().reference, ensure_ascii=False, default=str)
    assert f"bokföring/2026/{name}.xml" in reference
    assert str(tmp_path) not in reference


@pytest.mark.parametrize("folder", ["/etc", "../other", "a/../../b", "~/x", "C:\\export", "a/b/c/d", "a//b", "."])
def test_a_folder_outside_the_companys_own_is_refused_when_saved(company, folder, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    with pytest.raises(DomainError, match="is not a subfolder of the company's export folder"):
        channel_setting_save(
            company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "directory", "directory": folder}
        )
    assert not ChannelSetting.objects.filter(company=company, channel=Channel.EXPORT).exists()


def test_a_folder_stored_before_the_rule_fails_the_delivery_and_writes_nothing(company, admin_user, tmp_path, settings):
    settings.EXPORT_ROOT = tmp_path / "root"
    invoice = basis_registered(company, admin_user, "800.00")
    by_directory(company, "ok")
    # As an older version could have stored it.
    ChannelSetting.objects.filter(company=company, channel=Channel.EXPORT).update(
        options={"mode": "directory", "directory": str(tmp_path / "elsewhere")}
    )
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

    assert deliveries_work(now=later()).failed == 1
    assert "is not a subfolder" in Delivery.objects.get().error
    assert not (tmp_path / "elsewhere").exists()


def test_two_companies_naming_the_same_subfolder_write_to_their_own_folders(admin_user, tmp_path, settings):
    from fakturera.parties.tests.factories import CompanyFactory

    settings.EXPORT_ROOT = tmp_path
    first, second = CompanyFactory(), CompanyFactory()
    for company in (first, second):
        invoice = basis_registered(company, admin_user, "100.00")
        by_directory(company, "bokforing")
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
    assert deliveries_work(now=later()).sent == 2
    assert len(list((tmp_path / str(first.pk) / "bokforing").glob("*.xml"))) == 1
    assert len(list((tmp_path / str(second.pk) / "bokforing").glob("*.xml"))) == 1
