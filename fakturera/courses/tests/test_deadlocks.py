"""Cancelling and crediting registrations while the basis is registered, in four processes at
once (PostgreSQL: real OS processes, each with its own connection). A registration is locked
alone, before its basis item, the invoice and the number series (invoicing/DESIGN.md,
"Locks"): nothing fails but by the rules, and the numbers have no gap."""

from __future__ import annotations

import importlib
import time
from unittest import mock

import pytest
from stdnum import luhn

from fakturera.core.tests.processes import run_in_processes
from fakturera.courses.models import Registration
from fakturera.courses.tests.factories import make_occurrence, submit_processed
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.invoicing.tests.factories import line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 24
PAUSE = 0.2  # each side holds its transaction open a little, so the others meet its locks


def slowed(target: str):
    """mock.patch of `target` with a version that pauses before it runs."""
    module, _, name = target.rpartition(".")
    original = getattr(importlib.import_module(module), name)

    def slow(*args, **kwargs):
        time.sleep(PAUSE)
        return original(*args, **kwargs)

    return mock.patch(target, side_effect=slow)


def org_number(i: int) -> str:
    """A valid organisationsnummer of its own for each paying organisation."""
    digits = f"556{i:06d}"
    return f"{digits[:6]}-{digits[6:]}{luhn.calc_check_digit(digits)}"


def register(*, company_id: int, user_id: int, customer_ids: list[int]):
    """Register the basis customer by customer (one invoice each)."""
    from django.contrib.auth import get_user_model

    from fakturera.parties.models import Company

    company, user = Company.objects.get(pk=company_id), get_user_model().objects.get(pk=user_id)
    with slowed("fakturera.invoicing.issuing.numbers_take"):
        return _register(company, user, customer_ids)


def _register(company, user, customer_ids):
    from fakturera.core.errors import DomainError
    from fakturera.invoicing.services import invoice_create_issued, invoices_register_from_basis
    from fakturera.parties.models import Customer

    errors, done = [], 0
    for customer_id in customer_ids:
        try:
            invoices_register_from_basis(company=company, actor=user, customer_ids=[customer_id])
            done += 1
        except DomainError:
            pass  # cancelled before it was registered: nothing left to invoice, as it should be
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        # and an invoice of something else to the same organisation, while its registration is credited
        try:
            customer = Customer.objects.get(pk=customer_id)
            invoice_create_issued(company=company, customer=customer, actor=user, lines=[line("Kursbok", "400")])
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"done": done, "errors": errors}


def cancel_and_credit(*, user_id: int, registration_ids: list[int]):
    """Cancel each registration, and credit it where it was invoiced meanwhile."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=user_id)
    with slowed("fakturera.courses.services.basis_item_sync"):
        return _cancel_and_credit(user, registration_ids)


def _cancel_and_credit(user, registration_ids):
    from fakturera.courses.models import Registration
    from fakturera.courses.services import registration_cancel, registration_credit, registration_invoice_line

    errors, done = [], 0
    for registration_id in registration_ids:
        try:
            registration = registration_cancel(registration=Registration(pk=registration_id), actor=user)
            if registration_invoice_line(registration) is not None:
                registration_credit(registration=registration, actor=user)
            done += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"done": done, "errors": errors}


def test_cancelling_and_crediting_while_registering_the_basis_fail_nothing(company, admin_user):
    occurrence = make_occurrence(company)
    registrations = [
        submit_processed(
            occurrence, admin_user, organisation_name=f"Firma {i} AB", org_number=org_number(i), peppol_id=""
        )
        for i in range(N)
    ]
    ids = [r.pk for r in registrations]
    payers = list(
        Registration.objects.filter(pk__in=ids).order_by("pk").values_list("paying_organisation_id", flat=True)
    )
    assert None not in payers
    # half of them invoiced already: cancelling those credits them
    invoices_register_from_basis(company=company, actor=admin_user, customer_ids=payers[: N // 2])
    user = {"user_id": admin_user.pk}
    calls = [
        {"company_id": company.pk, **user, "customer_ids": payers[::2] + payers[1::2]},
        {"company_id": company.pk, **user, "customer_ids": payers[1::2] + payers[::2]},
        {**user, "registration_ids": ids[::2]},
        {**user, "registration_ids": ids[1::2]},
    ]

    results = run_in_processes("fakturera.courses.tests.test_deadlocks:either", calls)

    assert [r.get("errors") for r in results] == [[]] * 4, results
    assert sum(r["done"] for r in results[2:]) == N
    numbers = sorted(Invoice.objects.filter(company=company).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))


def either(**kwargs):
    """The process's part: registering (customer_ids) or cancelling (registration_ids)."""
    return cancel_and_credit(**kwargs) if "registration_ids" in kwargs else register(**kwargs)
