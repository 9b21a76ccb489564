"""The manager's approval mail goes out through core.mail: by the company's own SMTP
server when its e-mail channel is active (a real server on loopback), else by the
installation's (Django's backend, the test outbox)."""

import re

import pytest
from django.core import mail

from fakturera.core.tests.smtp import SmtpServer
from fakturera.courses import services
from fakturera.courses.states import RegistrationStatus
from fakturera.courses.tests.factories import make_occurrence, submit
from fakturera.distribution.services import channel_setting_save
from fakturera.distribution.tests.factories import email_channel

pytestmark = pytest.mark.django_db


def test_the_approval_mail_comes_by_the_companys_own_smtp_server_when_its_e_mail_channel_is_active(
    company, django_capture_on_commit_callbacks
):
    company.name = "Kursakademin Åre AB"
    company.save()
    occurrence = make_occurrence(company, approval=True)
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, default=False)
        with django_capture_on_commit_callbacks(execute=True):
            registration = submit(occurrence, name="Anna Lind", manager_email="chef@firma.example", language="en")

    [received] = smtp.received
    assert mail.outbox == []
    assert received.recipients == ["chef@firma.example"]
    assert received.message["From"].addresses[0].addr_spec == "faktura@klinik.example"
    assert received.message["From"].addresses[0].display_name == "Kursakademin Åre AB"
    assert received.message["Subject"] == "Approve a course registration: Anna Lind"
    token = re.search(r"/register/approval/([^/\s]+)/", received.message.get_body().get_content()).group(1)
    services.registration_decide(token=token, is_approved=True)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RECEIVED


def test_without_an_active_e_mail_channel_the_approval_mail_goes_by_the_installations_server(
    company, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "kurser@fakturera.example"
    occurrence = make_occurrence(company, approval=True)
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, default=False)
        channel_setting_save(company=company, channel="email", is_active=False, options={"host": "127.0.0.1"})
        with django_capture_on_commit_callbacks(execute=True):
            submit(occurrence, manager_email="chef@firma.example")

    assert smtp.received == []
    [sent] = mail.outbox
    assert sent.to == ["chef@firma.example"]
    assert sent.from_email == "kurser@fakturera.example"
    assert "/register/approval/" in sent.body


def test_a_name_with_line_breaks_keeps_the_subject_one_line(company, django_capture_on_commit_callbacks):
    occurrence = make_occurrence(company, approval=True)
    with django_capture_on_commit_callbacks(execute=True):
        registration = submit(occurrence, manager_email="chef@firma.example", language="en")
    registration.name = "Anna\r\nBcc: spy@example.org"
    registration.save()
    mail.outbox.clear()

    services.approval_mail_send(registration_id=registration.pk)

    [sent] = mail.outbox
    # One line, and only a name's characters: nothing reads as a header, a link or an address.
    assert sent.subject == "Approve a course registration: Anna Bcc spy example. org"
    assert sent.message()["Bcc"] is None
