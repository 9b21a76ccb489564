"""Staff told (issue 15; seed 004: «vil den relationship manager, der har ansvaret for den
relevante kontakt, modtage øjeblikkelige meddelelser»): an invoice or reminder sent, or failed,
tells the customer's relationship manager in the app at once; by e-mail as each user chooses, a
daily digest by default, sent to a real SMTP server on loopback and never twice a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.models import Channel
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory
from fakturera.worklist import selectors, services
from fakturera.worklist.models import DigestSent, Notification
from fakturera.worklist.states import EmailMode, NotificationKind
from fakturera.worklist.tests.factories import customer_of, manager
from fakturera.worklist.wording import notification_words

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    """The installation's mail server: a real one on loopback."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.DEFAULT_FROM_EMAIL = "no-reply@fakturera.example"
        settings.LANGUAGE_CODE = "en"
        yield server


def by_print(company) -> None:
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel=Channel.PRINT, reserve_channel="", reminder_channel="", undo_minutes=0
    )


def by_export_nobody_takes(company) -> None:
    channel_setting_save(company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "webhook"})
    distribution_settings_save(
        company=company, default_channel=Channel.EXPORT, reserve_channel="", reminder_channel="", undo_minutes=0
    )


def send(company, actor, invoices, capture) -> None:
    invoices_send(company=company, actor=actor, invoice_ids=[i.pk for i in invoices])
    with capture(execute=True):
        deliveries_work(now=timezone.now() + dt.timedelta(minutes=10))


def test_a_sent_invoice_tells_its_customers_relationship_manager_in_the_app(
    company, admin_user, django_capture_on_commit_callbacks
):
    sara = manager(company, first_name="Sara")
    anna = customer_of(company, sara, name="Anna Ek")
    invoice = issued_invoice(company, admin_user, "1000", customer=anna)
    nobodys = issued_invoice(company, admin_user, "500", customer=customer_of(company))
    by_print(company)

    send(company, admin_user, [invoice, nobodys], django_capture_on_commit_callbacks)

    (told,) = Notification.objects.all()
    assert (told.user, told.company, told.kind, told.invoice, told.customer) == (
        sara,
        company,
        NotificationKind.INVOICE_SENT,
        invoice,
        anna,
    )
    assert notification_words(told.kind, told.params) == (
        f"Invoice {invoice.display_number} to Anna Ek was sent by Print to Anna Ek."
    )
    assert selectors.unread_count(company=company, user=sara) == 1
    assert selectors.unread_count(company=company, user=admin_user) == 0


def test_a_failed_delivery_tells_the_manager_why(company, admin_user, django_capture_on_commit_callbacks):
    sara = manager(company)
    invoice = issued_invoice(company, admin_user, "1000", customer=customer_of(company, sara, name="Bo Berg"))
    by_export_nobody_takes(company)

    send(company, admin_user, [invoice], django_capture_on_commit_callbacks)

    (told,) = Notification.objects.filter(user=sara)
    assert told.kind == NotificationKind.DELIVERY_FAILED
    words = notification_words(told.kind, told.params)
    assert words.startswith(f"Sending invoice {invoice.display_number} to Bo Berg failed: ")
    assert len(words) > len(f"Sending invoice {invoice.display_number} to Bo Berg failed: ")


def test_a_manager_who_left_the_company_is_not_told(company, admin_user, django_capture_on_commit_callbacks):
    gone = StaffFactory(company=CompanyFactory()).user
    invoice = issued_invoice(company, admin_user, "1000", customer=customer_of(company, gone))
    by_print(company)
    send(company, admin_user, [invoice], django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()


def test_marking_read_is_per_user_and_company(company, admin_user):
    sara = manager(company)
    services.notify(company_id=company.pk, user_ids=[sara.pk], kind=NotificationKind.INVOICE_SENT, params={})
    services.notify(company_id=company.pk, user_ids=[sara.pk, admin_user.pk], kind=NotificationKind.INVOICE_SENT)
    assert services.notifications_mark_read(company=company, user=sara) == 2
    assert selectors.unread_count(company=company, user=sara) == 0
    assert selectors.unread_count(company=company, user=admin_user) == 1


def _notes(company, user, n=2):
    for number in range(1, n + 1):
        services.notify(
            company_id=company.pk,
            user_ids=[user.pk],
            kind=NotificationKind.INVOICE_SENT,
            params={"number": str(1000 + number), "customer": "Anna Ek", "channel": "email", "recipient": "a@b.se"},
        )


def test_the_daily_digest_is_one_email_per_user_and_never_twice_a_day(company, smtp):
    sara = manager(company, first_name="Sara", last_name="Lind", email="sara@klinik.example")
    olle = manager(company, email="olle@klinik.example")
    quiet = manager(company, email="quiet@klinik.example")
    services.notification_preference_save(user=quiet, email_mode=EmailMode.NEVER)
    _notes(company, sara, 2)
    _notes(company, olle, 1)
    _notes(company, quiet, 1)
    today = timezone.localdate()

    result = services.digests_send(today=today)

    assert (result.sent, result.notifications, result.failed) == (2, 3, 0)
    received = {r.recipients[0]: r.message for r in smtp.received}
    assert set(received) == {"sara@klinik.example", "olle@klinik.example"}
    body = received["sara@klinik.example"].get_body().get_content()
    assert body.startswith("Hello Sara Lind,")
    assert "Invoice 1001 to Anna Ek was sent by E-mail to a@b.se." in body
    assert "Invoice 1002 to Anna Ek was sent by E-mail to a@b.se." in body
    assert company.name in body
    assert received["sara@klinik.example"]["Subject"] == f"Fakturera: 2 notifications, {today.isoformat()}"
    assert not Notification.objects.filter(user__in=[sara, olle], emailed_at=None).exists()
    assert Notification.objects.get(user=quiet).emailed_at is None

    # Again the same day, with something new: nothing more is sent until tomorrow.
    _notes(company, sara, 1)
    assert services.digests_send(today=today).sent == 0
    assert len(smtp.received) == 2
    assert services.digests_send(today=today + dt.timedelta(days=1)).sent == 1
    assert len(smtp.received) == 3
    assert DigestSent.objects.filter(user=sara).count() == 2


def test_a_digest_that_could_not_be_sent_is_tried_again_the_same_day(company, settings):
    sara = manager(company, email="sara@klinik.example")
    _notes(company, sara, 1)
    with SmtpServer(refuse_with="451 Try again later") as refusing:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", refusing.port, False
        assert services.digests_send().failed == 1
    assert not DigestSent.objects.exists()
    assert Notification.objects.get().emailed_at is None
    with SmtpServer() as working:
        settings.EMAIL_PORT = working.port
        assert services.digests_send().sent == 1
        assert len(working.received) == 1


def test_read_notifications_are_not_emailed(company, smtp):
    sara = manager(company, email="sara@klinik.example")
    _notes(company, sara, 1)
    services.notifications_mark_read(company=company, user=sara)
    assert services.digests_send().sent == 0
    assert smtp.received == []


def test_at_once_each_notification_is_its_own_email_after_the_commit(company, smtp, django_capture_on_commit_callbacks):
    sara = manager(company, email="sara@klinik.example")
    services.notification_preference_save(user=sara, email_mode=EmailMode.IMMEDIATELY)

    with django_capture_on_commit_callbacks(execute=True):
        _notes(company, sara, 2)

    assert sorted(r.message["Subject"] for r in smtp.received) == [
        f"{company.name}: Invoice 1001 to Anna Ek was sent by E-mail to a@b.se.",
        f"{company.name}: Invoice 1002 to Anna Ek was sent by E-mail to a@b.se.",
    ]
    assert not Notification.objects.filter(emailed_at=None).exists()
    # Nothing left for the digest, and running the e-mail task again sends nothing twice.
    assert services.email_notifications_now(user_ids=[sara.pk]) == 0
    assert services.digests_send().sent == 0
    assert len(smtp.received) == 2


def test_the_preference_is_one_of_three(company):
    sara = manager(company)
    from fakturera.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.notification_preference_save(user=sara, email_mode="weekly")
    assert selectors.email_mode_of(user=sara) == EmailMode.DIGEST


def test_the_digest_reads_in_the_installations_language(company, smtp, settings, swedish):
    sara = manager(company, first_name="Sara", email="sara@klinik.example")
    _notes(company, sara, 1)
    settings.LANGUAGE_CODE = "sv"
    assert services.digests_send().sent == 1
    (received,) = smtp.received
    body = received.message.get_body().get_content()
    assert body.startswith("Hej Sara")
    assert "Faktura 1001 till Anna Ek skickades med E-post till a@b.se." in body
    assert received.message["Subject"].startswith("Fakturera: 1 avisering, ")
