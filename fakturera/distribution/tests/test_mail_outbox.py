"""Where a company's own mail goes out (`selectors.mail_outbox_for`): its SMTP server as
its active e-mail channel has it, else the installation's."""

import pytest

from fakturera.core.mail import INSTALLATION, SmtpServer
from fakturera.distribution.selectors import mail_outbox_for
from fakturera.distribution.services import channel_setting_save
from fakturera.parties.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

OPTIONS = {
    "host": "smtp.klinik.example",
    "port": 587,
    "security": "starttls",
    "username": "faktura",
    "from_email": "faktura@klinik.example",
}


def test_an_active_e_mail_channel_gives_the_companys_server_login_and_sender(company):
    channel_setting_save(company=company, channel="email", is_active=True, options=OPTIONS, secret="hemligt")

    outbox = mail_outbox_for(company)

    assert outbox.server == SmtpServer(
        host="smtp.klinik.example", port=587, security="starttls", username="faktura", password="hemligt"
    )
    assert outbox.sender == (company.name, "faktura@klinik.example")
    channel_setting_save(company=company, channel="email", is_active=True, options=OPTIONS | {"from_name": "Ekonomi"})
    assert mail_outbox_for(company).sender == ("Ekonomi", "faktura@klinik.example")


def test_without_an_active_channel_with_server_and_sender_it_is_the_installations(company):
    assert mail_outbox_for(company) == INSTALLATION
    channel_setting_save(company=company, channel="email", is_active=False, options=OPTIONS)
    assert mail_outbox_for(company) == INSTALLATION
    # Another company's settings are never used.
    other = CompanyFactory()
    channel_setting_save(company=other, channel="email", is_active=True, options=OPTIONS)
    assert mail_outbox_for(company) == INSTALLATION
