"""Fixtures of the collections tests (the set-up itself is in factories.py, which the staff
pages' and the API's tests share)."""

from __future__ import annotations

import pytest

from fakturera.collections.tests.factories import reference_rates
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.tests.factories import email_channel


@pytest.fixture
def rates(db):
    reference_rates()


@pytest.fixture
def smtp(company):
    """A real SMTP server, the company's reminders sent to it by e-mail."""
    with SmtpServer() as server:
        email_channel(company, server.port, reminder_channel="email")
        yield server
