"""Background work of collections (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from fakturera.parties.models import Company


@task()
def interest_invoices_issue_automatically(company_id: int, charge_ids: list[int]) -> None:
    # Queued by interest_charges_record for a company that issues interest invoices without
    # asking: the bank import that paid the invoices waits for no numbering or sending. A
    # proposal issued or dismissed meanwhile is left out by the service's compare-and-set.
    from fakturera.collections.interest_invoices import interest_invoices_issue
    from fakturera.core.errors import DomainError

    try:
        interest_invoices_issue(company=Company.objects.get(pk=company_id), actor=None, charge_ids=charge_ids)
    except DomainError as refused:
        if refused.code != "nothing_to_issue":
            raise
