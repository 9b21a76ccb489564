"""Two issuers at once cannot put the series out of date order: the latest date is read
under the series lock (PostgreSQL: real row locks, real threads)."""

import datetime as dt

import pytest
from django.utils import timezone

from fakturera.core.errors import DomainError
from fakturera.core.tests.concurrency import run_together
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoice_issue
from fakturera.invoicing.tests.factories import DraftInvoiceFactory, line
from fakturera.invoicing.tests.test_concurrency import slow_numbers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_earlier_date_issued_at_the_same_moment_as_a_later_one_keeps_the_order(company, admin_user):
    today = timezone.localdate()
    dates = [today, today - dt.timedelta(days=2), today - dt.timedelta(days=1), today]
    drafts = DraftInvoiceFactory.create_batch(len(dates), company=company, actor=admin_user, lines=[line("x", "10")])

    with slow_numbers(delay=0.2):
        results = run_together(
            *[
                lambda d=d, on=on: invoice_issue(invoice=d, actor=admin_user, issued_on=on)
                for d, on in zip(drafts, dates, strict=True)
            ]
        )

    refused = [r for r in results if isinstance(r, DomainError)]
    assert all("The invoice date must be between" in r.message for r in refused), results
    issued = list(Invoice.objects.exclude(number=None).order_by("number").values_list("number", "issued_on"))
    # numbers without gaps, dates never going back
    assert [number for number, _on in issued] == list(range(1, len(dates) - len(refused) + 1))
    assert [on for _number, on in issued] == sorted(on for _number, on in issued)
