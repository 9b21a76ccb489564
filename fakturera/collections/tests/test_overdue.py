"""invoice.overdue: announced once per invoice the first time it is found overdue and unpaid (by
the reminder run or the daily job), in bulk, with its webhook (DESIGN.md, "Overdue")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fakturera.collections.models import OverdueNotice
from fakturera.collections.overdue import overdue_record, overdue_record_today
from fakturera.collections.run import reminders_run
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.tests.factories import issued_invoice, overdue_invoice
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db


def test_an_invoice_is_announced_overdue_once(company, admin_user):
    email_channel(company, 2525, reminder_channel="email")
    late = overdue_invoice(company, admin_user, "400.00", days_overdue=3)
    later = overdue_invoice(company, admin_user, "200.00", days_overdue=1)
    issued_invoice(company, admin_user, "100.00")  # not yet due
    webhook_endpoint_create(company=company, url="https://crm.example/hook", events=["invoice.overdue"])

    result = reminders_run(company=company, actor=admin_user)

    assert result.overdue == 2
    assert set(OverdueNotice.objects.values_list("invoice_id", flat=True)) == {late.pk, later.pk}
    hooks = {d.payload["data"]["invoice_id"]: d.payload["data"] for d in WebhookDelivery.objects.all()}
    assert set(hooks) == {late.pk, later.pk}
    assert hooks[late.pk]["number"] == late.display_number
    assert (hooks[late.pk]["open_amount"], hooks[late.pk]["days_late"]) == ("500.00", 3)
    assert hooks[late.pk]["due_on"] == late.due_on.isoformat()

    # The run again, and the daily job: never twice.
    assert reminders_run(company=company, actor=admin_user).overdue == 0
    assert overdue_record_today() == "0 invoices newly overdue in 0 companies"
    assert OverdueNotice.objects.count() == 2
    assert WebhookDelivery.objects.count() == 2


def test_the_daily_job_announces_what_became_overdue(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=1)

    assert overdue_record_today() == "1 invoices newly overdue in 1 companies"

    notice = OverdueNotice.objects.get()
    assert (notice.invoice_id, notice.due_on, notice.found_on) == (invoice.pk, invoice.due_on, timezone.localdate())


def test_the_statements_do_not_grow_with_the_invoices(company, admin_user):
    """Month-end: one read, one bulk insert, one read back, whatever the number."""
    few = [overdue_invoice(company, admin_user, "100.00", days_overdue=2) for _ in range(2)]
    with CaptureQueriesContext(connection) as small:
        assert len(overdue_record(company_id=company.pk, on=timezone.localdate())) == 2
    [overdue_invoice(company, admin_user, "100.00", days_overdue=2) for _ in range(12)]
    with CaptureQueriesContext(connection) as large:
        assert len(overdue_record(company_id=company.pk, on=timezone.localdate())) == 12
    assert len(large.captured_queries) == len(small.captured_queries)
    assert OverdueNotice.objects.filter(invoice__in=few).count() == 2
