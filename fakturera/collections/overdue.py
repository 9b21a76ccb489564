"""`invoice.overdue`: each invoice found overdue and unpaid for the first time is announced once
(DESIGN.md, "Overdue"). The reminder run and the daily job both ask. The calls of one company
take turns (a lock held for the call's transaction, core.db.one_at_a_time): holding it, a call
reads which invoices have a notice, inserts the rest in bulk and announces them. The unique key
of `OverdueNotice` (one row per invoice) stays the backstop: a row inserted twice rolls the call
back whole. Two calls at once announce each invoice once."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from fakturera.collections.events import INVOICE_OVERDUE
from fakturera.collections.models import OverdueNotice
from fakturera.core.bulk import any_of, bulk_insert
from fakturera.core.db import one_at_a_time
from fakturera.core.events import publish
from fakturera.parties.models import Company
from fakturera.payments.selectors import Overdue, overdue_receivables

logger = logging.getLogger(__name__)


def overdue_record(
    *, company_id: int, on: dt.date, claims: list[Overdue] | None = None, now: dt.datetime | None = None
) -> list[int]:
    """Record the company's invoices overdue and unpaid on `on` that were never found so before,
    and publish `invoice.overdue` for them, in one transaction. `claims`: payments' overdue
    receivables when the caller has read them already (the run). A fixed number of statements
    whatever the number: one read of the notices, one bulk insert.
    Returns the invoices announced."""
    now = now or timezone.now()
    if claims is None:
        claims = overdue_receivables(company_id=company_id, on=on)
    if not claims:
        return []
    with transaction.atomic():
        one_at_a_time(f"overdue-record:{company_id}")
        known = set(
            OverdueNotice.objects.filter(
                any_of(OverdueNotice, [c.invoice_id for c in claims], "invoice_id"), company_id=company_id
            ).values_list("invoice_id", flat=True)
        )
        fresh = [c for c in claims if c.invoice_id not in known]
        if not fresh:
            return []
        bulk_insert(
            OverdueNotice,
            ("company_id", "invoice_id", "customer_id", "due_on", "found_on", "found_at"),
            ((company_id, c.invoice_id, c.customer_id, c.due_on, on, now) for c in fresh),
        )
        announced = fresh
        if announced:
            publish(
                INVOICE_OVERDUE,
                company_id=company_id,
                invoice_ids=[c.invoice_id for c in announced],
                invoices=[
                    {
                        "invoice_id": c.invoice_id,
                        "customer_id": c.customer_id,
                        "number": c.number,
                        "currency": c.currency,
                        "due_on": c.due_on.isoformat(),
                        "open_amount": str(c.open_amount),
                        "days_late": (on - c.due_on).days,
                    }
                    for c in announced
                ],
            )
    return [c.invoice_id for c in announced]


def overdue_record_today() -> str:
    """The daily job (00:30): every company's invoices newly overdue, each company on its own
    (one company's fault is logged and stops no other)."""
    today = timezone.localdate()
    found = companies = 0
    for company_id in Company.objects.order_by("pk").values_list("pk", flat=True).iterator():
        try:
            announced = overdue_record(company_id=company_id, on=today)
        except Exception:
            logger.exception("Overdue invoices of company %s not recorded", company_id)
            continue
        if announced:
            companies += 1
            found += len(announced)
    return f"{found} invoices newly overdue in {companies} companies"
