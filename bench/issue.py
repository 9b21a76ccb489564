"""`issue`: register N customers' basis (three items each) as N invoices in one call.

Setup writes the company, N customers and 3N open basis items with bulk inserts
and is not timed; the timed part is one `invoices_register_from_basis` for all
of them, the same call the basis tab's "Register all" makes. `issue_verify`
then checks what must hold afterwards: N issued invoices numbered 1..N without a
gap, 3N lines, every item invoiced once.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Max, Min
from stdnum import luhn

from fakturera.billables.models import BasisItem, BasisItemStatus, BasisSourceKind
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.parties.services import company_create

ITEMS_PER_CUSTOMER = 3
BENCH_ORG_NUMBER_BASE = "559900123"

# What a clinic's month looks like: exempt care, a massage at 25 %, a book at 6 %.
ITEM_KINDS = [
    ("Samtalsterapi", Decimal("950.0000"), "E", Decimal("0.00"), "3004"),
    ("Parterapi", Decimal("1400.0000"), "E", Decimal("0.00"), "3004"),
    ("Massage", Decimal("695.0000"), "S", Decimal("25.00"), "3001"),
    ("Kursbok", Decimal("349.0000"), "S", Decimal("6.00"), "3003"),
]


@dataclass(frozen=True)
class IssueCase:
    company: Company
    actor: AbstractBaseUser
    n: int


def _org_number(index: int) -> str:
    base = f"55{index % 10_000_000:07d}"
    return f"{base[:6]}-{base[6:]}{luhn.calc_check_digit(base)}"


def issue_setup(*, n: int, seed: int = 1) -> IssueCase:
    rng = random.Random(seed)
    actor, _created = get_user_model().objects.get_or_create(username="bench")
    company_org = BENCH_ORG_NUMBER_BASE + luhn.calc_check_digit(BENCH_ORG_NUMBER_BASE)
    company = company_create(
        actor=actor,
        name="Bänkmärket AB",
        org_number=company_org,
        vat_number=f"SE{company_org}01",
        bankgiro="991-2346",
        address_line1="Mätvägen 1",
        postal_code="111 22",
        city="Stockholm",
    )
    customers = []
    for index in range(n):
        is_organisation = index % 4 == 0
        org_number = _org_number(index) if is_organisation else ""
        customers.append(
            Customer(
                company=company,
                kind=CustomerKind.ORGANISATION if is_organisation else CustomerKind.PERSON,
                number=1001 + index,
                name=f"Organisation {index} AB" if is_organisation else f"Kund {index}",
                email=f"kund{index}@post.example",
                address_line1=f"Gatan {index % 200 + 1}",
                postal_code="123 45",
                city="Västerås",
                org_number=org_number,
                vat_number=f"SE{org_number.replace('-', '')}01" if org_number else "",
            )
        )
    Customer.objects.bulk_create(customers, batch_size=2000)
    month_start = dt.date.today().replace(day=1) - dt.timedelta(days=28)  # noqa: DTZ011 - a date label only
    items = []
    for customer in customers:
        for position in range(ITEMS_PER_CUSTOMER):
            name, price, category, rate, account = rng.choice(ITEM_KINDS)
            day = month_start + dt.timedelta(days=position * 7 + rng.randrange(5))
            items.append(
                BasisItem(
                    company=company,
                    customer=customer,
                    source=BasisSourceKind.MANUAL,
                    description=f"{name} {day:%Y-%m-%d}",
                    occurred_on=day,
                    quantity=Decimal("1.000"),
                    unit_price=price,
                    vat_category=category,
                    vat_rate=rate,
                    account_code=account,
                    currency="SEK",
                    created_by=actor,
                )
            )
    BasisItem.objects.bulk_create(items, batch_size=5000)
    if connection.vendor == "postgresql":
        # A live database has statistics for the planner; freshly bulk-loaded tables have none yet.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return IssueCase(company=company, actor=actor, n=n)


def issue_run(case: IssueCase) -> float:
    """Seconds taken by the one register call."""
    started = time.perf_counter()
    invoices_register_from_basis(company=case.company, actor=case.actor)
    return time.perf_counter() - started


def issue_verify(case: IssueCase) -> None:
    invoices = Invoice.objects.filter(company=case.company)
    summary = invoices.aggregate(count=Count("pk"), first=Min("number"), last=Max("number"))
    issued = invoices.filter(status=InvoiceStatus.ISSUED).count()
    expected = {"count": case.n, "first": 1, "last": case.n}
    if summary != expected or issued != case.n:
        raise AssertionError(f"invoices {summary} ({issued} issued), expected {expected} all issued")
    lines = InvoiceLine.objects.filter(invoice__company=case.company)
    line_count = lines.count()
    linked = lines.filter(basis_item__isnull=False).values("basis_item").distinct().count()
    if line_count != ITEMS_PER_CUSTOMER * case.n or linked != line_count:
        raise AssertionError(f"{line_count} lines ({linked} linked to distinct items), expected {3 * case.n}")
    by_status = dict(
        BasisItem.objects.filter(company=case.company).values_list("status").annotate(count=Count("pk")).order_by()
    )
    if by_status != {BasisItemStatus.INVOICED: ITEMS_PER_CUSTOMER * case.n}:
        raise AssertionError(f"basis items by status {by_status}, expected all invoiced")
