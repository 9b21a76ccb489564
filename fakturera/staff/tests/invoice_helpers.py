"""Set-up for the basis and invoice page tests: logged-in clients and the messages a page
showed. Invoices and basis items come from invoicing/tests/factories.py and
billables/tests/factories.py."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.test import Client

from fakturera.parties.models import Company
from fakturera.parties.tests.factories import StaffFactory


def staff_client(company: Company, role: str = "accountant") -> tuple[Client, Any]:
    user = StaffFactory(company=company, role=role).user
    client = Client()
    client.force_login(user)
    return client, user


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]
