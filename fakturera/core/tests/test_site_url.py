"""Links that leave the installation (e-mails, addresses staff copy for others) are built on
FAKTURERA_SITE_URL (settings.SITE_URL, core/urls.py): never on a fixed host and port, nor on
the Host header of the request that happened to cause them. `make run` (scripts/serve) sets
it to the host and port it serves; production refuses to start without it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from fakturera.core.urls import absolute_url
from fakturera.courses.tests.factories import make_occurrence, submit
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.portal.tests.helpers import link_in
from fakturera.staff.tests.staff_clients import log_in

SITE = "https://faktura.example.se:8443"


@override_settings(SITE_URL=SITE)
def test_absolute_url_puts_a_path_on_the_site_address():
    assert absolute_url("/portal/1/") == f"{SITE}/portal/1/"
    with pytest.raises(ValueError, match="starting with /"):
        absolute_url("portal/1/")


@pytest.mark.django_db
@override_settings(SITE_URL=SITE)
def test_the_portal_login_mail_links_to_the_site_address(company, admin_user, django_capture_on_commit_callbacks):
    anna = PersonFactory(company=company, email="anna@example.se", language="en")
    issued_invoice(company, admin_user, customer=anna)

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("portal:login", args=[company.pk]), {"email": "anna@example.se"})

    [message] = mail.outbox
    assert link_in(message.body).startswith(f"{SITE}/portal/{company.pk}/login/")


@pytest.mark.django_db
@override_settings(SITE_URL=SITE)
def test_the_course_approval_mail_links_to_the_site_address(company, django_capture_on_commit_callbacks):
    occurrence = make_occurrence(company, approval=True)

    with django_capture_on_commit_callbacks(execute=True):
        submit(occurrence, manager_email="chef@firma.example")

    [message] = mail.outbox
    assert re.search(re.escape(SITE) + r"/register/approval/[^/\s]+/", message.body), message.body
    assert "8000" not in message.body


@pytest.mark.django_db
@override_settings(SITE_URL=SITE)
def test_the_public_form_address_staff_copy_is_the_site_address_not_the_requests_host(company):
    occurrence = make_occurrence(company)
    client = Client()  # the request's host is "testserver"
    log_in(client, company, role="admin")

    html = client.get(reverse("staff:occurrence_detail", args=[occurrence.pk])).content.decode()

    token = occurrence.registration_form.token
    assert f'id="public-url" href="{SITE}/register/{token}/"' in html


@pytest.mark.parametrize(
    ("host", "port", "environment", "expected"),
    [
        ("127.0.0.1", "8123", None, "http://127.0.0.1:8123"),
        ("0.0.0.0", "8080", None, "http://127.0.0.1:8080"),  # noqa: S104 - what `make run HOST=` may say
        ("::1", "8000", None, "http://[::1]:8000"),
        ("127.0.0.1", "8123", "https://faktura.example.se", "https://faktura.example.se"),
    ],
)
def test_make_run_gives_its_processes_the_address_it_serves(tmp_path, host, port, environment, expected):
    """scripts/serve with a stand-in for uv that records what each process would get."""
    scripts = Path(django_settings.BASE_DIR) / "scripts"
    shutil.copy(scripts / "serve", tmp_path / "serve")
    record = tmp_path / "site-urls"
    (tmp_path / "uv").write_text(f'#!/bin/sh\necho "$FAKTURERA_SITE_URL" >> {record}\n')
    (tmp_path / "uv").chmod(0o755)
    env = {name: value for name, value in os.environ.items() if name != "FAKTURERA_SITE_URL"}
    env |= {"HOST": host, "PORT": port} | ({"FAKTURERA_SITE_URL": environment} if environment else {})

    subprocess.run(["bash", str(tmp_path / "serve")], env=env, capture_output=True, timeout=60, check=False)

    urls = record.read_text().split()
    assert urls, "the stand-in for uv was not run"
    assert set(urls) == {expected}
