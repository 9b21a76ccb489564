"""`recurring`: N recurring invoices of two lines each, generated into orders and issued
as invoices for one month.

Setup writes the company, N customers, N recurring invoices and 2N lines with bulk
inserts and is not timed. Each recurring invoice's two lines fall due on the same day
of the month (the days spread over the month): hosting at a fixed price, monthly, and
a domain fee, yearly, half of them priced dynamically from a product. The timed part
is what a month-end does: one `recurring_generate` up to the month's last day (N
orders of two lines), then one `invoices_issue_drafts` of all the orders (what
"Invoice all" on the orders page calls). `recurring_verify` checks the result: N
issued invoices numbered 1..N without a gap, 2N lines with their periods, every line
moved on to its next date, and nothing left to generate.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max, Min
from stdnum import luhn

from fakturera.catalog.models import Product
from fakturera.core.bulk import bulk_insert
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.services import invoices_issue_drafts
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.services import company_create
from fakturera.recurring.models import RecurringInvoice, RecurringLine
from fakturera.recurring.selectors import recurring_due_count, recurring_orders
from fakturera.recurring.services import recurring_generate

MONTH_START = dt.date(2027, 1, 1)
MONTH_END = dt.date(2027, 1, 31)
BENCH_ORG_NUMBER_BASE = "559900654"  # not pdf.py's: `make bench` runs both in one database


@dataclass(frozen=True)
class RecurringCase:
    company: Company
    actor: object
    n: int


def recurring_setup(*, n: int) -> RecurringCase:
    actor, _created = get_user_model().objects.get_or_create(username="bench")
    org_number = BENCH_ORG_NUMBER_BASE + luhn.calc_check_digit(BENCH_ORG_NUMBER_BASE)
    company = company_create(
        actor=actor,
        name="Webbhotellet AB",
        org_number=org_number,
        vat_number=f"SE{org_number}01",
        bankgiro="991-2346",
        address_line1="Serverhallen 1",
        postal_code="111 22",
        city="Stockholm",
        # The benchmark's month is fixed (January 2027); its invoices are dated then, whenever it runs.
        issue_days_ahead=365,
    )
    bulk_insert(
        Customer,
        ("company_id", "kind", "number", "name", "email", "address_line1", "postal_code", "city"),
        (
            (
                company.pk,
                CustomerKind.PERSON,
                1001 + index,
                f"Kund {index}",
                f"kund{index}@post.example",
                f"Gatan {index % 200 + 1}",
                "123 45",
                "Västerås",
            )
            for index in range(n)
        ),
    )
    domain = Product.objects.create(
        company=company, name="Domänavgift", unit_price=Decimal("150.0000"), vat_category="S", vat_rate=Decimal("25")
    )
    customer_ids = list(Customer.objects.filter(company=company).order_by("pk").values_list("pk", flat=True))
    bulk_insert(
        RecurringInvoice,
        ("company_id", "customer_id", "description", "currency", "created_by_id"),
        ((company.pk, customer_id, "Webbhotell", "SEK", actor.pk) for customer_id in customer_ids),
    )
    recurring_ids = list(RecurringInvoice.objects.filter(company=company).order_by("pk").values_list("pk", flat=True))
    columns = (
        "recurring_invoice_id", "position", "product_id", "description", "quantity", "unit", "unit_price",
        "vat_category", "vat_rate", "account_code", "pricing", "frequency", "factor", "start_on", "next_on",
    )  # fmt: skip

    def rows():
        for index, recurring_id in enumerate(recurring_ids):
            day = MONTH_START + dt.timedelta(days=index % 28)
            yield (recurring_id, 1, None, "Webbhotell", Decimal("1"), "mån", Decimal("199.0000"), "S",
                   Decimal("25.00"), "3001", "fixed", "monthly", 1, day, day)  # fmt: skip
            pricing = "dynamic" if index % 2 else "fixed"
            yield (recurring_id, 2, domain.pk, "Domänavgift", Decimal("1"), "st", Decimal("150.0000"), "S",
                   Decimal("25.00"), "3001", pricing, "yearly", 1, day, day)  # fmt: skip

    bulk_insert(RecurringLine, columns, rows())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return RecurringCase(company=company, actor=actor, n=n)


def recurring_run(case: RecurringCase) -> float:
    """Seconds taken by the month's generation and the issuing of every order."""
    started = time.perf_counter()
    generated = recurring_generate(today=MONTH_END)
    invoices_issue_drafts(company=case.company, actor=case.actor, invoice_ids=generated.order_ids, issued_on=MONTH_END)
    return time.perf_counter() - started


def recurring_verify(case: RecurringCase) -> None:
    invoices = Invoice.objects.filter(company=case.company)
    summary = invoices.aggregate(count=Count("pk"), first=Min("number"), last=Max("number"))
    issued = invoices.filter(status=InvoiceStatus.ISSUED, recurring_invoice__isnull=False).count()
    expected = {"count": case.n, "first": 1, "last": case.n}
    if summary != expected or issued != case.n:
        raise AssertionError(f"invoices {summary} ({issued} issued from recurring), expected {expected}")
    lines = InvoiceLine.objects.filter(invoice__company=case.company)
    with_period = lines.filter(period_start__isnull=False, period_end__isnull=False).count()
    if lines.count() != 2 * case.n or with_period != 2 * case.n:
        raise AssertionError(f"{lines.count()} lines ({with_period} with a period), expected {2 * case.n}")
    moved = dict(
        RecurringLine.objects.filter(recurring_invoice__company=case.company)
        .values_list("frequency")
        .annotate(latest=Max("next_on"))
        .order_by()
    )
    if moved != {"monthly": dt.date(2027, 2, 28), "yearly": dt.date(2028, 1, 28)}:
        raise AssertionError(f"lines moved on to {moved}")
    if recurring_due_count(company=case.company, today=MONTH_END) or recurring_orders(company=case.company).exists():
        raise AssertionError("recurring invoices are still due, or orders are left uninvoiced")
