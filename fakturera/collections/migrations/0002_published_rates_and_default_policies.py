"""The published rates that could be checked when collections was written, and the built-in
reminder policy for every company made before it (new companies get theirs from
company.created, services.policies_create_default).

Only figures read in a source named beside them are entered. A half-year without a row has no
rate (law.periods_of): interest over it is refused until an administrator enters the rate, so
no interest is ever computed with a figure that was not published for those days. Known gaps
when this was written (figures not verified here): SE from 2025-01-01, NO 2023-07-01 to
2024-12-31 and from 2025-07-01, DK from 2025-01-01, FI 2023-07-01 and 2025-07-01."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

RIKSBANK = "Sveriges riksbank, referensränta enligt räntelagen (1975:635) 9 §, riksbank.se (statistik, referensränta)"
FORBRUG = (
    "Renteloven § 5: Nationalbankens udlånsrente; morarenten (udlånsrente + 8) as listed by forbrug.dk "
    "(Forbrugerleksikon, morarenten), less the 8-point tillæg"
)
NO_LATE_2023 = "Finansdepartementet, forskrift 15. desember 2022 (forsinkelsesrenteloven § 3): 10,75 prosent fra 1. januar 2023"
NO_LATE_2025 = "Finansdepartementet, FOR-2024-12-19-3279 § 1 (forsinkelsesrenteloven § 3): 12,5 prosent p.a."
NO_INKASSOSATS = (
    "Forskrift om inkassosatsen (FOR-2002-12-13-1641) § 1, endret ved FOR-2016-12-14-1635: 700 kroner fra "
    "1. januar 2017; inkassoforskriften § 1-1 (Inkassosatsen er kr 700)"
)

RATES = [
    ("SE", "reference", "2023-01-01", "2.50", RIKSBANK),
    ("SE", "reference", "2023-07-01", "3.50", RIKSBANK),
    ("SE", "reference", "2024-01-01", "4.00", RIKSBANK),
    ("SE", "reference", "2024-07-01", "4.00", RIKSBANK),
    ("NO", "late_interest", "2023-01-01", "10.75", NO_LATE_2023),
    ("NO", "late_interest", "2025-01-01", "12.50", NO_LATE_2025),
    ("NO", "collection_rate", "2017-01-01", "700", NO_INKASSOSATS),
    ("DK", "reference", "2023-01-01", "1.90", FORBRUG + " (morarente 9,90 % fra 1. januar 2023)"),
    ("DK", "reference", "2023-07-01", "3.25", FORBRUG + " (morarente 11,25 % fra 1. juli 2023)"),
    (
        "DK",
        "reference",
        "2024-01-01",
        "3.75",
        "Renteloven § 5: Nationalbankens udlånsrente pr. 1. januar 2024 3,75 % (selandiaadvokater.dk, renteoplysninger)",
    ),
    (
        "DK",
        "reference",
        "2024-07-01",
        "3.50",
        "Renteloven § 5: Nationalbankens udlånsrente 3,50 % from 6 June 2024, in force on 1 July 2024 "
        "(global-rates.com, Nationalbanken lending rate; a secondary source)",
    ),
    ("FI", "reference", "2023-01-01", "2.5", "Suomen Pankin ilmoitus viitekorosta ja viivästyskoroista 1276/2022"),
    ("FI", "reference", "2024-01-01", "4.5", "Suomen Pankki: korkolain mukainen viitekorko 1.1.–30.6.2024 on 4,5 %"),
    ("FI", "reference", "2024-07-01", "4.5", "Suomen Pankin ilmoitus viitekorosta ja viivästyskoroista 25.6.2024"),
    ("FI", "reference", "2025-01-01", "3.5", "Suomen Pankki: viitekorko 1.1.–30.6.2025 on 3,5 % (tiedote)"),
    ("FI", "reference", "2026-01-01", "2.5", "Suomen Pankki: korkolain 12 §:n mukainen viitekorko 1.1.–30.6.2026 on 2,5 %"),
]


def seed_rates(apps, schema_editor):
    StatutoryRate = apps.get_model("collections", "StatutoryRate")
    StatutoryRate.objects.bulk_create(
        [
            StatutoryRate(
                country=country, kind=kind, valid_from=dt.date.fromisoformat(on), value=Decimal(value), source=source
            )
            for country, kind, on, value, source in RATES
        ],
        ignore_conflicts=True,
    )


def unseed_rates(apps, schema_editor):
    StatutoryRate = apps.get_model("collections", "StatutoryRate")
    for country, kind, on, _value, _source in RATES:
        StatutoryRate.objects.filter(country=country, kind=kind, valid_from=on).delete()


def default_policies(apps, schema_editor):
    # rules.default_levels as it was written, copied so that this migration stays as it ran.
    Company = apps.get_model("parties", "Company")
    ReminderPolicy = apps.get_model("collections", "ReminderPolicy")
    ReminderLevel = apps.get_model("collections", "ReminderLevel")
    first_day = {"SE": 7, "DK": 7, "NO": 14, "FI": 14}
    deadline = {"SE": 10, "DK": 10, "NO": 14, "FI": 10}
    for company_id, country in Company.objects.order_by("pk").values_list("pk", "country"):
        if country not in first_day:
            continue
        for kind in ("person", "organisation"):
            policy, created = ReminderPolicy.objects.get_or_create(company_id=company_id, customer_kind=kind)
            if not created:
                continue
            ReminderLevel.objects.bulk_create(
                [
                    ReminderLevel(
                        policy=policy, number=1, days=first_day[country], days_from="due_date",
                        new_due_days=deadline[country],
                    ),
                    ReminderLevel(
                        policy=policy, number=2, days=14, days_from="previous", new_due_days=deadline[country]
                    ),
                ]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("collections", "0001_collections"),
    ]

    operations = [
        migrations.RunPython(seed_rates, unseed_rates),
        migrations.RunPython(default_policies, migrations.RunPython.noop),
    ]
