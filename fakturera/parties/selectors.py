"""Reads of companies and customers that other apps ask for."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from fakturera.core.bulk import any_of
from fakturera.core.storage import file_bytes
from fakturera.parties.models import Company, Customer


def customer_names(company_id: int, customer_ids: Iterable[int] | None) -> dict[int, str]:
    """Customer id -> name, of the given customers or (None) all of the company's."""
    query = Customer.objects.filter(company_id=company_id)
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        query = query.filter(any_of(Customer, ids))
    return dict(query.values_list("pk", "name"))


def customer_kinds_and_names(*, company_id: int, customer_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Customer id -> (kind, name) of the given customers of the company, in one query."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    return {
        pk: (kind, name)
        for pk, kind, name in Customer.objects.filter(Q(company_id=company_id) & any_of(Customer, ids)).values_list(
            "pk", "kind", "name"
        )
    }


def companies_by_account(*, bankgiros: Iterable[str] = (), ibans: Iterable[str] = ()) -> dict[str, list[Company]]:
    """The companies holding each of the given accounts (bankgiro as NNN-NNNN, IBAN compact),
    by account. Two companies may give the same account (a group paid to one account); the
    caller decides."""
    bankgiros, ibans = set(bankgiros), {iban.upper() for iban in ibans}
    if not bankgiros and not ibans:
        return {}
    found: dict[str, list[Company]] = {}
    for company in Company.objects.filter(Q(bankgiro__in=bankgiros) | Q(iban__in=ibans)).order_by("pk"):
        for account in (company.bankgiro, company.iban.upper()):
            if account in bankgiros or account in ibans:
                found.setdefault(account, []).append(company)
    return found


def company_logo(*, company: Company) -> bytes | None:
    """The bytes of the company's logo from the file storage (core.storage), or None without one."""
    return file_bytes(company.logo.name) if company.logo else None
