"""Production's log lines are JSON objects carrying the company and invoice a line is about:
bound by the staff request, the API key, the delivery worker; the plain message for `make run`;
a wrong format refused at start."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys

import pytest
import structlog
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from fakturera.core import logs
from fakturera.core.logs import bound, logging_config
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.channels.email import SmtpSession
from fakturera.distribution.services import invoices_send
from fakturera.distribution.tests.factories import email_channel
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.ops.middleware import LogContextMiddleware
from fakturera.parties.keys import api_key_authenticate, api_key_create

logger = logging.getLogger("fakturera.ops.tests")


@pytest.fixture
def json_lines():
    """The root logger's lines as production writes them, read back as objects."""
    formatter_config = dict(logging_config(log_format="json", level="INFO")["formatters"]["fakturera"])
    formatter_config.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(**formatter_config))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    logs.clear()
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)
    logs.clear()


def test_a_line_logged_while_ids_are_bound_carries_them(json_lines):
    with bound(company_id=7, invoice_id=42, delivery_id=None):
        logger.warning("Delivery by %s failed", "email")
    logger.warning("Nothing bound")

    first, second = json_lines()
    assert first["event"] == "Delivery by email failed"
    assert (first["company_id"], first["invoice_id"], first["level"]) == (7, 42, "warning")
    assert "delivery_id" not in first
    assert first["logger"] == "fakturera.ops.tests"
    assert first["timestamp"].endswith("Z")
    assert "company_id" not in second


def test_an_exception_is_one_json_line_with_its_traceback(json_lines):
    try:
        raise RuntimeError("channel down")
    except RuntimeError:
        logger.exception("A delivery round failed")

    [line] = json_lines()
    assert line["event"] == "A delivery round failed"
    assert "RuntimeError: channel down" in line["exception"]


@pytest.mark.django_db
def test_a_staff_request_logs_its_company_and_forgets_it_afterwards(json_lines, company):
    def view(request):
        logger.warning("page served")
        return HttpResponse()

    request = RequestFactory().get("/invoices/")
    request.company = company
    LogContextMiddleware(view)(request)
    logger.warning("after the request")

    served, after = json_lines()
    assert served["company_id"] == company.pk
    assert "company_id" not in after


@pytest.mark.django_db
def test_an_api_request_logs_its_keys_company(json_lines, company, admin_user):
    token = api_key_create(company=company, name="CRM", actor=admin_user).token

    api_key_authenticate(token)
    logger.warning("invoice created")

    assert json_lines()[-1]["company_id"] == company.pk


def _log_format(**env: str) -> subprocess.CompletedProcess:
    script = "import django; django.setup(); from django.conf import settings; print(settings.LOG_FORMAT)"
    clean = {name: value for name, value in os.environ.items() if name != "FAKTURERA_LOG_FORMAT"}
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, "DJANGO_SETTINGS_MODULE": "fakturera.settings", **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_run_logs_plain_messages_and_a_wrong_format_is_refused():
    assert _log_format(FAKTURERA_DEBUG="1").stdout.strip() == "console"
    assert _log_format(FAKTURERA_DEBUG="1", FAKTURERA_LOG_FORMAT="json").stdout.strip() == "json"
    refused = _log_format(FAKTURERA_DEBUG="1", FAKTURERA_LOG_FORMAT="xml")
    assert refused.returncode != 0
    assert "FAKTURERA_LOG_FORMAT='xml': use json or console." in refused.stderr


@pytest.mark.django_db
def test_the_delivery_workers_lines_carry_the_company_channel_and_invoice(json_lines, company, admin_user, monkeypatch):
    # given an invoice queued for e-mail whose message cannot be built (a bug)
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, undo_minutes=0)
        invoice = basis_registered(company, admin_user, "100.00")
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

        def message(session, job):
            raise RuntimeError("a bug in building the message")

        monkeypatch.setattr(SmtpSession, "message", message)

        # when the worker's round meets it
        deliveries_work(now=timezone.now() + dt.timedelta(minutes=1))

    # then the line logged says whose invoice, by which channel
    lines = [line for line in json_lines() if line["event"].startswith("The message of delivery")]
    assert lines, json_lines()
    assert (lines[0]["company_id"], lines[0]["channel"], lines[0]["invoice_id"]) == (company.pk, "email", invoice.pk)
    assert lines[0]["level"] == "warning"
