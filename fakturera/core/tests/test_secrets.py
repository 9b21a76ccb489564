"""Secrets at rest (core/secrets.py): SMTP passwords, service API keys and webhook signing
secrets are stored encrypted with the keys of FAKTURERA_SECRET_KEYS, rotate to a new key,
and still work where they are used (a real SMTP server on loopback)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fakturera.core import mail
from fakturera.core.secrets import SecretUnreadable, new_key
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import ChannelSetting
from fakturera.distribution.selectors import mail_outbox_for
from fakturera.distribution.services import channel_setting_save
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.webhooks.models import WebhookEndpoint
from fakturera.webhooks.services import webhook_endpoint_create

KEY_OLD = new_key()
KEY_NEW = new_key()


def _stored(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def _smtp_channel(company, port: int, password: str) -> ChannelSetting:
    options = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": "faktura",
        "from_email": "faktura@klinik.example",
    }
    return channel_setting_save(company=company, channel="email", is_active=True, options=options, secret=password)


@pytest.mark.django_db
def test_an_smtp_password_is_stored_encrypted_and_the_company_still_sends_with_it(company):
    with SmtpServer(login=("faktura", "hemligt-losenord-1")) as smtp:
        setting = _smtp_channel(company, smtp.port, "hemligt-losenord-1")

        stored = _stored("distribution_channelsetting", setting.pk)
        assert "hemligt" not in stored
        assert stored.startswith("gAAAAA")  # a Fernet token
        assert ChannelSetting.objects.get(pk=setting.pk).secret == "hemligt-losenord-1"
        assert "hemligt" not in repr(ChannelSetting.objects.get(pk=setting.pk))

        outbox = mail_outbox_for(company)
        mail.send(mail.Message(sender=outbox.sender, to=["kund@example.se"], subject="Prov", body="Hej"), outbox=outbox)

    [received] = smtp.received
    assert received.recipients == ["kund@example.se"]
    assert "hemligt" not in repr(outbox.server)


@pytest.mark.django_db
def test_a_webhook_signing_secret_is_stored_encrypted(company):
    endpoint = webhook_endpoint_create(company=company, url="https://crm.example/hook", events=["invoice.issued"])

    stored = _stored("webhooks_webhookendpoint", endpoint.pk)
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in stored
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


@pytest.mark.django_db
def test_rotation_re_encrypts_every_secret_with_the_newest_key(company, settings):
    # given secrets written with the old key
    settings.SECRET_ENCRYPTION_KEYS = [KEY_OLD]
    setting = _smtp_channel(company, 2525, "hemligt")
    endpoint = webhook_endpoint_create(company=company, url="https://crm.example/hook", events=["invoice.issued"])
    signing_secret = endpoint.secret
    before = _stored("distribution_channelsetting", setting.pk)

    # when a new key comes first, the old one still decrypts; then everything is rotated
    settings.SECRET_ENCRYPTION_KEYS = [KEY_NEW, KEY_OLD]
    assert ChannelSetting.objects.get(pk=setting.pk).secret == "hemligt"
    out = StringIO()
    call_command("rotate-secrets", stdout=out)

    # then the old key can go
    assert out.getvalue().startswith("2 secrets re-encrypted")
    assert _stored("distribution_channelsetting", setting.pk) != before
    settings.SECRET_ENCRYPTION_KEYS = [KEY_NEW]
    assert ChannelSetting.objects.get(pk=setting.pk).secret == "hemligt"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == signing_secret
    settings.SECRET_ENCRYPTION_KEYS = [KEY_OLD]
    with pytest.raises(SecretUnreadable):
        ChannelSetting.objects.get(pk=setting.pk)


def test_new_key_prints_a_key_and_changes_nothing():
    out = StringIO()
    call_command("rotate-secrets", "--new-key", stdout=out)
    assert len(out.getvalue().strip()) == 44


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_stored_in_plaintext_before():
    before = [("distribution", "0003_history_as_data"), ("webhooks", "0003_queued_tasks_moved")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        company = CompanyFactory()
        setting = old.get_model("distribution", "ChannelSetting").objects.create(
            company_id=company.pk, channel="letter", is_active=True, options={}, secret="api-nyckel-1"
        )
        endpoint = old.get_model("webhooks", "WebhookEndpoint").objects.create(
            company_id=company.pk, url="https://crm.example/hook", events=[], secret="whsec_gammal"
        )
        assert _stored("distribution_channelsetting", setting.pk) == "api-nyckel-1"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert _stored("distribution_channelsetting", setting.pk).startswith("gAAAAA")
    assert ChannelSetting.objects.get(pk=setting.pk).secret == "api-nyckel-1"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == "whsec_gammal"


def test_without_keys_the_installation_refuses_to_start_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k != "FAKTURERA_SECRET_KEYS"}
    env |= {
        "FAKTURERA_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FAKTURERA_SITE_URL": "https://faktura.example.se",
        "DJANGO_SETTINGS_MODULE": "fakturera.settings",
    }
    code = "import django; django.setup()"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "FAKTURERA_SECRET_KEYS is not set" in refused.stderr

    env["FAKTURERA_SECRET_KEYS"] = f"{KEY_NEW},{KEY_OLD}"
    started = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert started.returncode == 0, started.stderr
    assert django_settings.SECRET_ENCRYPTION_KEYS  # in tests (DEBUG), the key derived from SECRET_KEY
