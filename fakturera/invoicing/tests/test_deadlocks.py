"""Four processes issuing and crediting at once (PostgreSQL: real OS processes, each with
its own connection). Every path takes its locks in the one order (invoicing/DESIGN.md,
"Locks"), and a transaction PostgreSQL still aborts is run again (core.db): no request
fails, and the numbers have no gap."""

from __future__ import annotations

import pytest

from fakturera.core.tests.processes import run_in_processes
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceKind
from fakturera.invoicing.tests.factories import draft_invoice, issued_invoice, line
from fakturera.parties.tests.factories import PersonFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 15


def issue_and_credit(*, company_id: int, user_id: int, customer_id: int, drafts: list[int], to_credit: list[int]):
    """One process: each round issues a new invoice, issues a draft and credits an invoice."""
    from django.contrib.auth import get_user_model

    from fakturera.invoicing.models import Invoice
    from fakturera.invoicing.services import credit_note_create, invoice_create_issued, invoice_issue
    from fakturera.parties.models import Company, Customer

    company = Company.objects.get(pk=company_id)
    user = get_user_model().objects.get(pk=user_id)
    customer = Customer.objects.get(pk=customer_id)
    errors: list[str] = []
    done = 0
    for draft_id, credit_id in zip(drafts, to_credit, strict=True):
        for call in (
            lambda: invoice_create_issued(company=company, customer=customer, actor=user, lines=[line("Ny", "100")]),
            lambda draft_id=draft_id: invoice_issue(invoice=Invoice(pk=draft_id), actor=user),
            lambda credit_id=credit_id: credit_note_create(invoice=Invoice(pk=credit_id), actor=user),
        ):
            try:
                call()
                done += 1
            except Exception as exc:  # every error counts: the test wants none
                errors.append(f"{type(exc).__name__}: {exc}")
    return {"done": done, "errors": errors}


def test_four_processes_issuing_and_crediting_at_once_fail_nothing_and_leave_no_gap(company, admin_user):
    customer = PersonFactory(company=company)
    calls = []
    for _ in range(4):
        to_credit = [issued_invoice(company, admin_user, "200", customer=customer).pk for _ in range(ROUNDS)]
        drafts = [draft_invoice(company, admin_user, "300", customer=customer).pk for _ in range(ROUNDS)]
        calls.append(
            {
                "company_id": company.pk,
                "user_id": admin_user.pk,
                "customer_id": customer.pk,
                "drafts": drafts,
                "to_credit": to_credit,
            }
        )

    results = run_in_processes("fakturera.invoicing.tests.test_deadlocks:issue_and_credit", calls)

    assert [r.get("errors") for r in results] == [[]] * 4, results
    assert sum(r["done"] for r in results) == 4 * ROUNDS * 3
    numbers = sorted(Invoice.objects.filter(company=company, number__isnull=False).values_list("number", flat=True))
    # 4 x ROUNDS issued before, and each round one new, one draft and one credit note.
    assert numbers == list(range(1, 4 * ROUNDS * 4 + 1))
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 4 * ROUNDS
