"""Background work of the recurring app (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from fakturera.parties.models import Company


@task()
def recurring_orders_issue_automatically(company_id: int, order_ids: list[int]) -> int:
    # Queued by a generation batch for recurring invoices that issue automatically: one task per
    # company and batch (up to 5,000 orders). Safe to run twice or after a crash: the issuing and
    # the queueing commit together, and orders issued already are left out.
    from fakturera.recurring.services import recurring_orders_issue

    return recurring_orders_issue(company=Company.objects.get(pk=company_id), order_ids=order_ids)
