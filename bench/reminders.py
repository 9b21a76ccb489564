"""`reminders`: one day's reminder run over N overdue invoices of N/5 customers.

Setup (not timed) issues the invoices through the basis as `issue` does, five rounds of one
invoice per customer (dates a week apart, the newest 45 days old, so every invoice is past its
due date and due for its first reminder), sets up e-mail as the reminder channel and a rate
table for the interest. Timed: `reminders_run` for the company (assessed: level, fee, interest
and new due date of each; its reminder rows inserted; its deliveries queued through
distribution, the letters rendered later by the workers as invoices are), then the same run
again, which must queue nothing (`second_s`). `reminders_verify` checks the counts.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone
from stdnum import luhn

from fakturera.billables.models import BasisItem, BasisSourceKind
from fakturera.collections.models import Reminder, StatutoryRate
from fakturera.collections.run import RunResult, reminders_run
from fakturera.distribution.models import Delivery
from fakturera.distribution.services import channel_setting_save, distribution_settings_save
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import Channel, Company, Customer, CustomerKind
from fakturera.parties.services import company_create

INVOICES_PER_CUSTOMER = 5
BENCH_ORG_NUMBER_BASE = "559900125"


@dataclass
class RemindersCase:
    company: Company
    actor: AbstractBaseUser
    n: int
    first: RunResult | None = None
    second: RunResult | None = None
    extra: dict[str, str] = field(default_factory=dict)


def reminders_setup(*, n: int) -> RemindersCase:
    actor, _created = get_user_model().objects.get_or_create(username="bench-reminders")
    company_org = BENCH_ORG_NUMBER_BASE + luhn.calc_check_digit(BENCH_ORG_NUMBER_BASE)
    company = company_create(
        actor=actor,
        name="Bänkmärket Påminnelser AB",
        org_number=company_org,
        vat_number=f"SE{company_org}01",
        bankgiro="991-2346",
        address_line1="Mätvägen 3",
        postal_code="111 22",
        city="Stockholm",
    )
    customer_count = n // INVOICES_PER_CUSTOMER
    customers = [
        Customer(
            company=company,
            kind=CustomerKind.PERSON,
            number=1001 + index,
            name=f"Kund {index:05d}",
            email=f"kund{index}@post.example",
            address_line1=f"Gatan {index % 200 + 1}",
            postal_code="123 45",
            city="Västerås",
        )
        for index in range(customer_count)
    ]
    Customer.objects.bulk_create(customers, batch_size=2000)
    today = timezone.localdate()
    for round_number in range(INVOICES_PER_CUSTOMER):
        issued_on = today - dt.timedelta(days=30 + 45 + 7 * (INVOICES_PER_CUSTOMER - 1 - round_number))
        BasisItem.objects.bulk_create(
            [
                BasisItem(
                    company=company,
                    customer=customer,
                    source=BasisSourceKind.MANUAL,
                    description=f"Behandling {round_number + 1}",
                    occurred_on=issued_on,
                    quantity=Decimal("1.000"),
                    unit_price=Decimal(500 + index % 700),
                    vat_category="E",
                    vat_rate=Decimal("0.00"),
                    account_code="3004",
                    currency="SEK",
                    created_by=actor,
                )
                for index, customer in enumerate(customers)
            ],
            batch_size=5000,
        )
        invoices_register_from_basis(company=company, actor=actor, issued_on=issued_on)
    channel_setting_save(
        company=company,
        channel=Channel.EMAIL,
        is_active=True,
        options={"host": "127.0.0.1", "port": 25, "security": "none", "from_email": "faktura@bank.example"},
    )
    distribution_settings_save(
        company=company,
        default_channel=Channel.EMAIL,
        reserve_channel="",
        reminder_channel=Channel.EMAIL,
        undo_minutes=5,
    )
    # A rate for every half-year the interest runs over (the seeded table stops where the
    # published rates could be checked): a made-up 2 %, as a company's admin would enter one.
    for year in range(today.year - 1, today.year + 1):
        for month in (1, 7):
            StatutoryRate.objects.get_or_create(
                country="SE",
                kind="reference",
                valid_from=dt.date(year, month, 1),
                defaults={"value": Decimal("2.00"), "source": "bench"},
            )
    if connection.vendor == "postgresql":
        # The invoices are 45 days old when they are reminded: autovacuum has visited their tables
        # since, and sending them read every row. Rows just copied in, never read, would make the
        # timed run the first to set their hint bits (writing every page it reads), which a real
        # reminder run never is. VACUUM does that here, untimed; ANALYZE gives the statistics.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return RemindersCase(company=company, actor=actor, n=customer_count * INVOICES_PER_CUSTOMER)


def reminders_run_case(case: RemindersCase) -> float:
    started = time.perf_counter()
    case.first = reminders_run(company=case.company, actor=case.actor)
    first = time.perf_counter() - started
    started = time.perf_counter()
    case.second = reminders_run(company=case.company, actor=case.actor)
    case.extra = {"second_s": f"{time.perf_counter() - started:.3f}"}
    return first


def reminders_verify(case: RemindersCase) -> None:
    assert case.first is not None
    assert case.second is not None
    if (case.first.queued, case.first.not_sent) != (case.n, {}):
        raise AssertionError(f"first run queued {case.first.queued}, not sent {len(case.first.not_sent)}")
    if case.second.queued != 0:
        raise AssertionError(f"the second run queued {case.second.queued}")
    # invoice.overdue: every invoice announced once, by the first run only.
    if (case.first.overdue, case.second.overdue) != (case.n, 0):
        raise AssertionError(f"overdue announced {case.first.overdue}, then {case.second.overdue}")
    reminders = Reminder.objects.filter(company=case.company)
    if reminders.count() != case.n or reminders.filter(interest_amount__lte=0).exists():
        raise AssertionError("a reminder is missing or has no interest")
    if Delivery.objects.filter(company=case.company, purpose="reminder").count() != case.n:
        raise AssertionError("not one delivery per reminder")
