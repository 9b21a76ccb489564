"""Two sends of the same never-sent invoices at once (PostgreSQL: real OS processes, each with its
own connection), as two members of staff pressing Send together: the invoices' locks make them
take turns, the second finds every invoice on its way, and each invoice gets one delivery and one
sending row (the rows of never-sent invoices are copied in, with no key check but the unique one)."""

from __future__ import annotations

import pytest

from fakturera.core.tests.processes import run_in_processes
from fakturera.distribution.models import Delivery, InvoiceSending
from fakturera.distribution.states import SendingStatus
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.tests.factories import basis_registered

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 30


def send(*, company_id: int, invoice_ids: list[int]) -> dict:
    """One process: one send of the invoices; what it queued and left unsent, or the error."""
    from fakturera.distribution.services import invoices_send
    from fakturera.parties.models import Company

    try:
        batch = invoices_send(company=Company.objects.get(pk=company_id), actor=None, invoice_ids=invoice_ids)
    except Exception as exc:  # every error counts: the test wants none
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"queued": batch.queued_count, "unsent": batch.unsent_count}


def test_two_sends_at_once_queue_each_invoice_once(company, admin_user):
    invoices = [basis_registered(company, admin_user, "100.00") for _ in range(N)]
    email_channel(company, 25)
    ids = [invoice.pk for invoice in invoices]

    results = run_in_processes(
        "fakturera.distribution.tests.test_send_concurrency:send", [{"company_id": company.pk, "invoice_ids": ids}] * 2
    )

    assert all("error" not in result for result in results), results
    assert sorted((result["queued"], result["unsent"]) for result in results) == [(0, N), (N, 0)]
    assert Delivery.objects.filter(invoice_id__in=ids).count() == N
    assert set(InvoiceSending.objects.filter(invoice_id__in=ids).values_list("status", flat=True)) == {
        SendingStatus.QUEUED
    }
    assert InvoiceSending.objects.filter(invoice_id__in=ids).count() == N
