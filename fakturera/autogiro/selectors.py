"""Reads of the Autogiro app; each takes the company (or objects that carry it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from fakturera.autogiro.models import AutogiroSettings, Mandate, MandateStatus, PaymentOrder, PaymentOrderStatus, Run
from fakturera.parties.models import Company, Customer


def mandate_active_for(customer: Customer) -> bool:
    """Whether invoices of this customer can be collected by Autogiro (routing's criterion)."""
    return Mandate.objects.filter(
        customer=customer, company_id=customer.company_id, status=MandateStatus.ACTIVE
    ).exists()


def mandates_active_for(*, company: Company, customer_ids: Iterable[int]) -> set[int]:
    """The batch version for routing many invoices: the ids (of `customer_ids`) with an active mandate."""
    return set(
        Mandate.objects.filter(
            company=company, customer_id__in=list(customer_ids), status=MandateStatus.ACTIVE
        ).values_list("customer_id", flat=True)
    )


def mandates_of_customer(*, company: Company, customer: Customer) -> QuerySet[Mandate]:
    return Mandate.objects.filter(company=company, customer=customer).order_by("status", "-valid_from", "-pk")


def autogiro_settings_of(company: Company) -> AutogiroSettings | None:
    return AutogiroSettings.objects.filter(company=company).first()


def payment_orders_waiting(*, company: Company) -> QuerySet[PaymentOrder]:
    return (
        PaymentOrder.objects.filter(company=company, status=PaymentOrderStatus.WAITING)
        .select_related("invoice", "invoice__customer")
        .order_by("due_on", "pk")
    )


def runs_of(*, company: Company) -> QuerySet[Run]:
    return Run.objects.filter(company=company).defer("content").order_by("-run_on", "-pk")


def companies_collecting_to(bankgiro: str) -> list[Company]:
    """The companies whose Autogiro settings collect to this bankgiro (NNN-NNNN): the payee of
    Bankgirot's Autogiro reports."""
    return [
        found.company
        for found in AutogiroSettings.objects.filter(bankgiro=bankgiro).select_related("company").order_by("company_id")
    ]
