"""A login link and an Autogiro run used twice at the same moment (PostgreSQL: real threads)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from fakturera.autogiro.models import PaymentOrder, PaymentOrderStatus, Run
from fakturera.autogiro.services import payment_order_file, payment_orders_add
from fakturera.autogiro.tests.factories import AutogiroSettingsFactory, MandateFactory
from fakturera.core.errors import DomainError
from fakturera.core.tests.concurrency import run_together
from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory
from fakturera.portal.services import TooManyAttempts, login_link_request, login_link_use
from fakturera.portal.tests.helpers import link_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_link_used_by_two_requests_at_once_logs_in_one():
    company = CompanyFactory()
    person = PersonFactory(company=company)
    login_link_request(company=company, email=person.email, ip_address="127.0.0.1")
    token = link_in(mail.outbox[0].body).rstrip("/").rsplit("/", 1)[1]

    results = run_together(*[lambda: login_link_use(company=company, token=token)] * 4)

    assert sum(1 for r in results if getattr(r, "pk", None) == person.pk) == 1
    assert all(isinstance(r, DomainError) for r in results if getattr(r, "pk", None) != person.pk)


def test_requests_for_one_address_at_once_are_limited_exactly(settings):
    settings.PORTAL_LOGIN_LIMIT_PER_EMAIL = "3/900"
    company = CompanyFactory()
    person = PersonFactory(company=company)

    results = run_together(
        *[
            lambda n=n: login_link_request(company=company, email=person.email, ip_address=f"10.0.1.{n}")
            for n in range(10)
        ]
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(results) - len(refused) == 3, results
    assert all(isinstance(r, TooManyAttempts) for r in refused), results
    assert len(mail.outbox) == 3


def test_two_runs_at_once_file_each_order_once():
    company = CompanyFactory()
    actor = StaffFactory(company=company, role="admin").user
    AutogiroSettingsFactory(company=company)
    for mandate in MandateFactory.create_batch(3, company=company):
        payment_orders_add([issued_invoice(company, actor, customer=mandate.customer)])
    run_on = dt.date(2026, 11, 21)

    results = run_together(*[lambda: payment_order_file(company, run_on)] * 3)

    files = [r for r in results if isinstance(r, bytes)]
    assert len(files) == 3, results
    assert len(set(files)) == 1
    assert files[0].count(b"\r\n82") == 3
    assert Run.objects.count() == 1
    assert set(PaymentOrder.objects.values_list("status", flat=True)) == {PaymentOrderStatus.FILED}
