"""Migration 0002: every invoice issued before payments existed gets its receivable."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fakturera.invoicing.tests.factories import credit_note, issued_invoice
from fakturera.payments.models import Receivable
from fakturera.payments.states import ReceivableState


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.migration_history
@pytest.mark.django_db(transaction=True)
def test_invoices_issued_before_get_their_receivables(company, admin_user):
    open_one = issued_invoice(company, admin_user, "1000")
    credited = issued_invoice(company, admin_user, "400")
    credit_note(credited, admin_user, quantities={credited.lines.get().pk: "0.5"})
    Receivable.objects.all().delete()
    latest = list(MigrationExecutor(connection).loader.graph.leaf_nodes())
    try:
        _migrate([("payments", "0001_payments")])
        _migrate([("payments", "0002_receivables_of_invoices_issued_before")])
    finally:
        _migrate(latest)

    first = Receivable.objects.get(pk=open_one.pk)
    assert (first.state, first.open_amount, first.number) == (
        ReceivableState.UNPAID,
        Decimal("1250.00"),
        open_one.display_number,
    )
    second = Receivable.objects.get(pk=credited.pk)
    assert (second.credited_amount, second.open_amount) == (Decimal("250.00"), Decimal("250.00"))
    assert Receivable.objects.count() == 2
