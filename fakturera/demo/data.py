"""Demo data: a clinic with a month of bookings, and a small course company with courses.

Everything is written through the services, as staff would write it, so the
basis, the invoices and their numbers are exactly what the product makes. The
load is idempotent: the demo clinic is recognised by its organisation number, and
when it exists nothing is written. Random choices come from a fixed seed and
dates are relative to `today`, so one day's load is always the same.

Names, addresses and identifiers are invented. Identifiers carry valid check
digits (they must pass the same validation as real ones); phone numbers are from
the 070-174 06 xx range that PTS keeps for fiction; e-mail domains end in
.example, which never resolves.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from fakturera.billables.models import BasisItem, BasisItemStatus, PaymentStatus
from fakturera.billables.services import (
    basis_item_add,
    booking_create,
    booking_set_payment_status,
    journal_note_create,
)
from fakturera.catalog.models import ContactType, Product, TreatmentType
from fakturera.catalog.services import catalog_item_save
from fakturera.courses import services as courses
from fakturera.courses.models import Course, CourseKind, FieldUse
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import (
    RateIn,
    credit_note_create,
    exchange_rates_save,
    invoice_create_draft,
    invoice_issue,
    invoices_register_from_basis,
)
from fakturera.parties.models import BasisSource, Company, Customer, CustomerKind, Role
from fakturera.parties.services import (
    company_create,
    company_update,
    company_user_add,
    customer_create,
    customer_update,
    organisation_member_add,
)
from fakturera.recurring.services import recurring_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the published demo login
SEED = 20261


def _with_check_digit(digits: str) -> str:
    return digits + luhn.calc_check_digit(digits)


def _org_number(base9: str) -> str:
    number = _with_check_digit(base9)
    return f"{number[:6]}-{number[6:]}"


def _vat_number(org_number: str) -> str:
    return "SE" + org_number.replace("-", "") + "01"


def _peppol_id(org_number: str) -> str:
    return "0007:" + org_number.replace("-", "")


CLINIC_ORG_NUMBER = _org_number("559214381")
ACADEMY_ORG_NUMBER = _org_number("559147620")
TRADE_ORG_NUMBER = _org_number("559308462")

# Nordisk Kontorshandel's customers: one of each kind of invoice the documents
# must handle (issue 3's matrix), so a new user sees every kind.
TRADE_CUSTOMERS = {
    "domestic": {"name": "Bergkvist Bygg AB", "org_number": "5561234567", "peppol": True},
    # Seed 004: 2 % cash discount within 10 days, 30 days net, on the PDF and in the UBL terms.
    "gln": {"name": "Coop Lagerhus Syd AB", "org_number": "5569876542", "gln": "7300010000001",
            "cash_discount_percent": "2", "cash_discount_days": 10},
    "eu": {"name": "Hansen & Søn ApS", "org_number": "13585628", "vat_number": "DK13585628",
           "country": "DK", "language": "da", "peppol_id": "0184:13585628"},
    "de": {"name": "Müller Bürobedarf GmbH", "vat_number": "DE136695976", "country": "DE", "language": "en"},
    "export": {"name": "Fjordkontor AS", "org_number": "988077917", "vat_number": "NO988077917MVA",
               "country": "NO", "language": "nb", "peppol_id": "0192:988077917"},
}  # fmt: skip
ADDRESSES = {
    "domestic": ("Byggvägen 12", "123 45", "Stockholm"),
    "gln": ("Lagergatan 4", "211 20", "Malmö"),
    "eu": ("Vestergade 18", "1456", "København K"),
    "de": ("Hauptstraße 5", "10115", "Berlin"),
    "export": ("Bryggen 3", "5003", "Bergen"),
}


@dataclass(frozen=True)
class PersonSeed:
    name: str
    born: dt.date
    is_female: bool
    address: str
    postal_code: str
    city: str
    channel: str = "email"


@dataclass(frozen=True)
class OrganisationSeed:
    key: str
    name: str
    org_base9: str
    address: str
    postal_code: str
    city: str
    has_vat_number: bool = True
    has_peppol_id: bool = False
    terms_days: int | None = None


CLINIC_PERSONS = [
    PersonSeed("Anna Lindberg", dt.date(1984, 3, 12), True, "Solrosvägen 12", "722 14", "Västerås"),
    PersonSeed("Erik Johansson", dt.date(1971, 11, 2), False, "Storgatan 45", "753 20", "Uppsala"),
    PersonSeed("Maria Nilsson", dt.date(1979, 6, 30), True, "Kvarngatan 3", "118 47", "Stockholm"),
    PersonSeed("Johan Andersson", dt.date(1990, 1, 17), False, "Björkallén 7", "412 63", "Göteborg", "letter"),
    PersonSeed("Sara Bergström", dt.date(1987, 9, 5), True, "Linnégatan 22", "413 04", "Göteborg"),
    PersonSeed("Karl Eriksson", dt.date(1965, 4, 21), False, "Tallvägen 5", "903 31", "Umeå", "letter"),
    PersonSeed("Elin Svensson", dt.date(1995, 12, 8), True, "Södra vägen 18", "352 31", "Växjö", "portal"),
    PersonSeed("Oskar Holm", dt.date(1982, 8, 14), False, "Hamngatan 9", "211 22", "Malmö"),
    PersonSeed("Ingrid Larsson", dt.date(1958, 2, 27), True, "Parkgatan 14", "702 10", "Örebro", "letter"),
    PersonSeed("Mohammed Al-Hassan", dt.date(1976, 10, 3), False, "Rosengatan 2", "214 66", "Malmö"),
    PersonSeed("Linnea Forsberg", dt.date(1999, 5, 19), True, "Ekbacken 31", "611 34", "Nyköping", "portal"),
    PersonSeed("Gustav Lund", dt.date(1968, 7, 9), False, "Idrottsvägen 8", "831 41", "Östersund"),
    PersonSeed("Fatima Yilmaz", dt.date(1992, 4, 1), True, "Vårvägen 4", "145 60", "Norsborg"),
]

CLINIC_ORGANISATIONS = [
    OrganisationSeed("bygg", "Bergkvist Bygg AB", "556842017", "Industrivägen 10", "721 36", "Västerås",
                     has_peppol_id=True),
    OrganisationSeed("fastighet", "Solvik Fastigheter AB", "559031764", "Kungsgatan 30", "111 35", "Stockholm"),
    OrganisationSeed("redovisning", "Nordljus Redovisning AB", "556619352", "Drottninggatan 5", "411 14",
                     "Göteborg", has_peppol_id=True),
    OrganisationSeed("halsa", "Företagshälsan Mälardalen AB", "556377408", "Sjöhagsvägen 4", "721 32", "Västerås",
                     has_peppol_id=True),
    OrganisationSeed("skog", "Hälsinge Skog & Trä AB", "556904125", "Skogsvägen 1", "827 32", "Ljusdal"),
    OrganisationSeed("stiftelse", "Stiftelsen Kustbris", "802455193", "Strandvägen 2", "471 32", "Skärhamn",
                     has_vat_number=False, terms_days=20),
    OrganisationSeed("klubb", "Umeå Innebandyklubb", "802011347", "Vasagatan 11", "903 29", "Umeå",
                     has_vat_number=False),
]  # fmt: skip

# (organisation, person, title, is the organisation's invoice reference)
CLINIC_MEMBERS = [
    ("bygg", "Erik Johansson", "Platschef", True),
    ("fastighet", "Maria Nilsson", "Ekonomichef", True),
    ("redovisning", "Sara Bergström", "Redovisningskonsult", True),
    ("redovisning", "Johan Andersson", "Lönespecialist", False),
    ("halsa", "Anna Lindberg", "HR-ansvarig", True),
    ("klubb", "Karl Eriksson", "Kassör", True),
    ("skog", "Gustav Lund", "Arbetsledare", False),
]

ACADEMY_PERSONS = [
    PersonSeed("Helena Ström", dt.date(1981, 1, 23), True, "Lärkgatan 6", "582 22", "Linköping"),
    PersonSeed("Peter Sandberg", dt.date(1974, 9, 11), False, "Ängsvägen 19", "126 38", "Hägersten"),
    PersonSeed("Camilla Öberg", dt.date(1989, 3, 29), True, "Järnvägsgatan 2", "291 32", "Kristianstad"),
]
ACADEMY_ORGANISATIONS = [
    OrganisationSeed("logistik", "Östgöta Logistik AB", "559203518", "Hamnvägen 15", "602 38", "Norrköping",
                     has_peppol_id=True),
    OrganisationSeed("kommun", "Kommunförbundet Skåne Nordost", "222000131", "Rådhustorget 1", "291 31",
                     "Kristianstad", has_vat_number=False, terms_days=30),
]  # fmt: skip

TREATMENTS = [
    # name, price, VAT category, rate, minutes, account; healthcare is exempt (ML 10 kap. 12 §).
    ("Samtalsterapi", "950", "E", "0", 50, "3004"),
    ("Parterapi", "1400", "E", "0", 80, "3004"),
    ("Massage", "695", "S", "25", 45, "3001"),
    ("Första bedömning", "1200", "E", "0", 60, "3004"),
]
CLINIC_CONTACT_TYPES = [
    # name, price, VAT category, rate, excluded from invoicing
    ("Besök", "950", "E", "0", False),
    ("Telefonsamtal", "0", "E", "0", True),
    ("Videosamtal", "850", "E", "0", False),
]
ACADEMY_CONTACT_TYPES = [
    ("Handledning", "1250", "S", "25", False),
    ("Telefonsamtal", "0", "S", "25", True),
    ("Videosamtal", "1100", "S", "25", False),
]
PRODUCTS = [
    # name, price, VAT category, rate, unit, account
    ("Läkarintyg", "800", "S", "25", "st", "3001"),
    ("Kursbok", "349", "S", "6", "st", "3003"),
    ("Friskvårdspaket", "2400", "S", "25", "st", "3001"),
]

BOOKING_NOTES = ["", "", "", "Ombokad från tidigare vecka", "Önskar kvittokopia", "Första besöket"]
JOURNAL_TEXTS = [
    "Uppföljning av föregående samtal. Mår bättre, sover bättre.",
    "Genomgång av hemuppgifter. Ny uppgift till nästa gång.",
    "Kortare avstämning; nästa tid bokad.",
    "Diskuterade arbetssituationen och återgång i arbete.",
    "Planering inför kommande period.",
]


@dataclass(frozen=True)
class DemoResult:
    created: bool
    company: Company


def _months_back(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month before `today`'s."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _personnummer(rng: random.Random, seed: PersonSeed) -> str:
    # The second-to-last digit is odd for men and even for women.
    serial = rng.randrange(10, 100) * 10 + rng.choice((0, 2, 4, 6, 8) if seed.is_female else (1, 3, 5, 7, 9))
    base = f"{seed.born:%y%m%d}{serial:03d}"
    return f"{base[:6]}-{base[6:]}{luhn.calc_check_digit(base)}"


def _email(name: str) -> str:
    local = name.lower()
    for a, b in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e"), (" ", "."), ("&", "")):
        local = local.replace(a, b)
    return f"{local}@post.example"


def _demo_user() -> AbstractBaseUser:
    users = get_user_model()
    user = users.objects.filter(username=DEMO_USERNAME).first()
    if user is None:
        user = users.objects.create_user(
            DEMO_USERNAME,
            email="demo@fakturera.example",
            password=DEMO_PASSWORD,
            first_name="Demo",
            last_name="Användare",
        )
    return user


def _persons(company: Company, rng: random.Random, seeds: list[PersonSeed], phone_start: int) -> dict[str, Customer]:
    persons = {}
    for offset, seed in enumerate(seeds):
        persons[seed.name] = customer_create(
            company=company,
            kind=CustomerKind.PERSON,
            name=seed.name,
            personnummer=_personnummer(rng, seed),
            email=_email(seed.name),
            phone=f"070-174 06 {phone_start + offset:02d}",
            address_line1=seed.address,
            postal_code=seed.postal_code,
            city=seed.city,
            preferred_channel=seed.channel,
        )
    return persons


def _organisations(company: Company, seeds: list[OrganisationSeed], manager: AbstractBaseUser) -> dict[str, Customer]:
    organisations = {}
    for seed in seeds:
        org_number = _org_number(seed.org_base9)
        domain = seed.name.lower().split(" ")[0].replace("ö", "o").replace("ä", "a").replace("å", "a")
        organisations[seed.key] = customer_create(
            company=company,
            kind=CustomerKind.ORGANISATION,
            name=seed.name,
            org_number=org_number,
            vat_number=_vat_number(org_number) if seed.has_vat_number else "",
            peppol_id=_peppol_id(org_number) if seed.has_peppol_id else "",
            email=f"faktura@{domain}.example",
            address_line1=seed.address,
            postal_code=seed.postal_code,
            city=seed.city,
            relationship_manager=manager,
            preferred_channel="peppol" if seed.has_peppol_id else "email",
            payment_terms_days=seed.terms_days,
        )
    return organisations


def _priced(company: Company, model: type, rows: list[tuple]) -> dict[str, object]:
    items = {}
    for row in rows:
        if model is TreatmentType:
            name, price, category, rate, minutes, account = row
            extra = {"duration_minutes": minutes, "account_code": account}
        elif model is ContactType:
            name, price, category, rate, excluded = row
            extra = {"is_excluded_from_invoicing": excluded, "account_code": "3004" if category == "E" else "3001"}
        else:
            name, price, category, rate, unit, account = row
            extra = {"unit": unit, "account_code": account}
        items[name] = catalog_item_save(
            model=model,
            company=company,
            name=name,
            unit_price=Decimal(price),
            vat_category=category,
            vat_rate=Decimal(rate),
            **extra,
        )
    return items


def _clinic(user: AbstractBaseUser, rng: random.Random, today: dt.date) -> Company:
    company = company_create(
        actor=user,
        name="Kliniken Solglimten AB",
        org_number=CLINIC_ORG_NUMBER,
        vat_number=_vat_number(CLINIC_ORG_NUMBER),
        is_f_tax_approved=True,
        bankgiro="991-2346",
        iban="SE45 5000 0000 0583 9825 7466",
        bic="ESSESESS",
        peppol_id=_peppol_id(CLINIC_ORG_NUMBER),
        email="faktura@solglimten.example",
        phone="070-174 06 05",
        website="solglimten.example",
        address_line1="Solglimtsgatan 7",
        postal_code="722 11",
        city="Västerås",
        basis_source=BasisSource.BOOKINGS,
    )
    treatments = _priced(company, TreatmentType, TREATMENTS)
    contact_types = _priced(company, ContactType, CLINIC_CONTACT_TYPES)
    products = _priced(company, Product, PRODUCTS)
    persons = _persons(company, rng, CLINIC_PERSONS, phone_start=10)
    organisations = _organisations(company, CLINIC_ORGANISATIONS, user)
    for org_key, person_name, title, is_reference in CLINIC_MEMBERS:
        organisation, person = organisations[org_key], persons[person_name]
        organisation_member_add(organisation=organisation, person=person, title=title)
        if is_reference:
            customer_update(customer=organisation, invoice_reference=person)

    first, last = _months_back(today)
    zone = ZoneInfo(settings.TIME_ZONE)
    clients = list(persons.values())
    weights = [6, 2, 4, 1]
    paid_ways = [PaymentStatus.CARD, PaymentStatus.SWISH, PaymentStatus.CASH]
    bookings = []
    for day in _weekdays(first, last):
        for hour in sorted(rng.sample([8, 9, 10, 11, 13, 14, 15, 16], rng.randint(2, 4))):
            treatment = rng.choices(list(treatments.values()), weights=weights)[0]
            customer = rng.choice(clients)
            paid = rng.random() < 0.4
            booking = booking_create(
                company=company,
                customer=customer,
                treatment_type=treatment,
                starts_at=dt.datetime.combine(day, dt.time(hour, 0), tzinfo=zone),
                payment_status=rng.choice(paid_ways) if paid else PaymentStatus.NOT_PAID,
                note=rng.choice(BOOKING_NOTES),
                actor=user,
            )
            bookings.append(booking)
            if treatment.vat_category == "E" and rng.random() < 0.5:
                journal_note_create(
                    company=company,
                    customer=customer,
                    contact_type=contact_types["Besök"],
                    noted_on=day,
                    text=rng.choice(JOURNAL_TEXTS),
                    actor=user,
                )
            elif rng.random() < 0.15:
                journal_note_create(
                    company=company,
                    customer=customer,
                    contact_type=contact_types[rng.choice(["Telefonsamtal", "Videosamtal"])],
                    noted_on=day,
                    text=rng.choice(JOURNAL_TEXTS),
                    actor=user,
                )
    # Paid at the desk after the visit: the booking leaves the basis (seed 001).
    for booking in [b for b in bookings if b.payment_status == PaymentStatus.NOT_PAID][3:30:9]:
        booking_set_payment_status(booking=booking, payment_status=PaymentStatus.SWISH, actor=user)

    # Company massage for employers, and a few products, as manual lines.
    massage = treatments["Massage"]
    for org_key, quantity in (("bygg", "6"), ("halsa", "10"), ("fastighet", "4")):
        basis_item_add(
            company=company,
            customer=organisations[org_key],
            actor=user,
            description=f"Friskvårdsmassage på arbetsplatsen, {first:%Y-%m}",
            quantity=Decimal(quantity),
            unit_price=massage.unit_price,
            vat_category=massage.vat_category,
            vat_rate=massage.vat_rate,
            account_code=massage.account_code,
            occurred_on=last,
            period_start=first,
            period_end=last,
        )
    for customer, product in (
        (persons["Gustav Lund"], products["Läkarintyg"]),
        (persons["Ingrid Larsson"], products["Läkarintyg"]),
        (organisations["klubb"], products["Friskvårdspaket"]),
    ):
        basis_item_add(
            company=company,
            customer=customer,
            actor=user,
            description=product.name,
            unit_price=product.unit_price,
            vat_category=product.vat_category,
            vat_rate=product.vat_rate,
            account_code=product.account_code,
            unit=product.unit,
            occurred_on=last,
        )

    # Issued before the month's other invoices: the numbers follow the dates.
    _payments(company, user, today, {**persons, **organisations})
    _recurring(company, user, organisations, products, today)
    _register_some(company, user, today)
    return company


def _recurring(
    company: Company, user: AbstractBaseUser, organisations: dict[str, Customer], products: dict, today: dt.date
) -> None:
    """Seed 002: a monthly fee with a yearly package on one recurring invoice (due now, so the
    notice shows), and a quarterly one; the period text names each line's period."""
    company_update(company=company, has_period_text=True, period_text_template="Avser perioden [START] till [END]")
    this_month = today.replace(day=1)
    next_year = this_month.replace(year=this_month.year + 1)
    package = products["Friskvårdspaket"]
    recurring_create(
        company=company,
        customer=organisations["halsa"],
        actor=user,
        description="Företagshälsovård",
        lines=[
            {"description": "Företagshälsovård, månadsavgift", "unit_price": "4500", "vat_category": "S",
             "vat_rate": "25", "account_code": "3001", "frequency": "monthly", "next_on": this_month},
            {"product": package, "pricing": "dynamic", "frequency": "yearly", "next_on": next_year},
        ],
    )  # fmt: skip
    next_quarter = today.replace(day=1, month=(today.month - 1) // 3 * 3 + 1) + relativedelta(months=3)
    recurring_create(
        company=company,
        customer=organisations["bygg"],
        actor=user,
        description="Friskvård på arbetsplatsen",
        lines=[
            {"description": "Friskvårdsmassage på arbetsplatsen", "quantity": "6", "unit_price": "695",
             "vat_category": "S", "vat_rate": "25", "account_code": "3001", "frequency": "quarterly",
             "next_on": next_quarter},
        ],
    )  # fmt: skip


def _register_some(company: Company, user: AbstractBaseUser, today: dt.date) -> None:
    """Register three customers' basis and credit part of one invoice, so the invoice list has history."""
    open_counts: dict[int, int] = {}
    for customer_id in BasisItem.objects.filter(
        company=company, status=BasisItemStatus.OPEN, customer__kind=CustomerKind.PERSON
    ).values_list("customer_id", flat=True):
        open_counts[customer_id] = open_counts.get(customer_id, 0) + 1
    chosen = sorted(customer_id for customer_id, count in open_counts.items() if count >= 2)[:3]
    if not chosen:
        return
    invoices = invoices_register_from_basis(
        company=company, actor=user, customer_ids=chosen, issued_on=today.replace(day=1)
    )
    invoice = Invoice.objects.get(pk=invoices[0].pk)
    first_line = invoice.lines.order_by("position").first()
    credit_note_create(
        invoice=invoice,
        actor=user,
        quantities={first_line.pk: first_line.quantity},
        reason="Avbokad i tid, debiterades av misstag",
        issued_on=today.replace(day=1),
    )


def _payments(company: Company, user: AbstractBaseUser, today: dt.date, customers: dict[str, Customer]) -> None:
    """Payments in every state: a bank file (camt.054) matched by OCR, by the invoice number in
    the message and by amount and payer; a part payment, an over-payment (a credit balance), a
    late payment, a double payment and one nobody can place (with suggestions); a payment
    registered by hand; and an Autogiro report with one collection made and one stopped.

    The invoices are dated before this month's others (month start - 5 days, 45 days to pay, so
    a payment of yesterday is on time; the late one 60 days earlier with 30 days)."""
    from fakturera.autogiro.files import Collection
    from fakturera.autogiro.services import (
        autogiro_settings_save,
        mandate_add,
        payment_order_file,
        payment_orders_add,
    )
    from fakturera.payments.importing import payments_import
    from fakturera.payments.services import payment_register
    from fakturera.payments.states import PaymentMethod
    from fakturera.payments.testing import Credit, autogiro_payment_specification, camt054

    month_start = today.replace(day=1)
    issued_on = month_start - dt.timedelta(days=5)
    paid_on = today - dt.timedelta(days=1)

    def invoice(name: str, price: str, *, on: dt.date = issued_on, days: int = 45) -> Invoice:
        draft = invoice_create_draft(
            company=company,
            customer=customers[name],
            actor=user,
            lines=[_line("Behandling", "1", price, category="E", rate="0")],
            payment_terms_days=days,
        )
        return invoice_issue(invoice=draft, actor=user, issued_on=on)

    late = invoice("Karl Eriksson", "1100", on=issued_on - dt.timedelta(days=60), days=30)
    # Unpaid weeks after their due date: the Reminders page's (collections, below).
    for name, price in (("Johan Andersson", "1350"), ("Fatima Yilmaz", "890"), ("Elin Svensson", "640")):
        invoice(name, price, on=issued_on - dt.timedelta(days=60), days=30)
    # Paid five weeks late in the bank file: its interest invoice is proposed (Reminders).
    paid_late = invoice("halsa", "18000", on=issued_on - dt.timedelta(days=60), days=30)
    by_ocr = invoice("Anna Lindberg", "850")
    by_text = invoice("Erik Johansson", "1240")
    invoice("Maria Nilsson", "695")
    partly = invoice("Sara Bergström", "1500")
    overpaid = invoice("fastighet", "2400")
    invoice("Oskar Holm", "975")  # the unmatched payment's suggestions: two invoices of its amount
    invoice("Gustav Lund", "975")
    by_hand = invoice("Ingrid Larsson", "780")
    collected = invoice("Linnea Forsberg", "650")
    stopped = invoice("Mohammed Al-Hassan", "720")

    def paid(amount: str, **what: str) -> Credit:
        return Credit(Decimal(amount), booked_on=paid_on, **what)

    content = camt054(
        [
            paid("850.00", reference=by_ocr.payment_reference, payer="Anna Lindberg"),
            paid("1240.00", message=f"Faktura {by_text.number}", payer="Erik Johansson"),
            paid("695.00", payer="NILSSON MARIA"),  # no reference: amount and payer
            paid("600.00", reference=partly.payment_reference, payer="Sara Bergström"),
            paid("2600.00", reference=overpaid.payment_reference, payer="Solvik Fastigheter AB"),
            paid("1100.00", reference=late.payment_reference, payer="Karl Eriksson"),
            paid("18000.00", reference=paid_late.payment_reference, payer="Företagshälsan Mälardalen AB"),
            paid("850.00", reference=by_ocr.payment_reference, payer="Anna Lindberg"),  # paid twice
            paid("975.00", payer="K Okänd", message="Behandling"),  # two invoices of 975: suggestions
        ],
        bankgiro_digits=company.bankgiro.replace("-", ""),
        message_id=f"DEMO-{paid_on:%Y%m%d}",
    )
    payments_import(source=content, filename=f"camt054-{paid_on:%Y%m%d}.xml", actor=user, company=company)
    payment_register(
        company=company,
        actor=user,
        amount="780.00",
        currency="SEK",
        booked_on=paid_on,
        method=PaymentMethod.SWISH,
        invoice_id=by_hand.pk,
    )

    autogiro_settings_save(company=company, customer_number="471117", bankgiro=company.bankgiro)
    for invoice_ in (collected, stopped):
        mandate_add(
            company=company,
            customer=invoice_.customer,
            actor=user,
            valid_from=issued_on - dt.timedelta(days=30),
            clearing_number="8327",
            account_number="9" + str(invoice_.customer.number).zfill(6),
            holder_id_number=invoice_.customer.personnummer,
        )
    orders = payment_orders_add([collected, stopped])
    statuses = {collected.pk: "0", stopped.pk: "1"}  # approved; stopped: insufficient funds
    payment_order_file(company, issued_on)
    report = autogiro_payment_specification(
        [
            (Collection(order.payer_number, order.amount, None, order.reference), statuses[order.invoice_id])
            for order in orders
        ],
        written_at=dt.datetime.combine(paid_on, dt.time(6, 0)),
        paid_on=paid_on,
        bankgiro=company.bankgiro.replace("-", ""),
    )
    payments_import(source=report, filename=f"autogiro-{paid_on:%Y%m%d}.txt", actor=user, company=company)


def _academy(user: AbstractBaseUser, rng: random.Random, today: dt.date) -> Company:
    company = company_create(
        actor=None,
        name="Kursakademin Norden AB",
        org_number=ACADEMY_ORG_NUMBER,
        vat_number=_vat_number(ACADEMY_ORG_NUMBER),
        bankgiro="5050-1055",
        email="ekonomi@kursakademin.example",
        phone="070-174 06 06",
        address_line1="Universitetsvägen 3",
        postal_code="583 30",
        city="Linköping",
        basis_source=BasisSource.JOURNAL_NOTES,
    )
    company_user_add(company=company, user=user, role=Role.ACCOUNTANT)
    contact_types = _priced(company, ContactType, ACADEMY_CONTACT_TYPES)
    _priced(company, Product, PRODUCTS[1:2])
    persons = _persons(company, rng, ACADEMY_PERSONS, phone_start=40)
    organisations = _organisations(company, ACADEMY_ORGANISATIONS, user)
    organisation_member_add(organisation=organisations["logistik"], person=persons["Peter Sandberg"], title="Lagerchef")
    customer_update(customer=organisations["logistik"], invoice_reference=persons["Peter Sandberg"])
    first, last = _months_back(today)
    clients = [*persons.values(), organisations["logistik"], organisations["kommun"]]
    for day in _weekdays(first, last)[::2]:
        journal_note_create(
            company=company,
            customer=rng.choice(clients),
            contact_type=rng.choices(list(contact_types.values()), weights=[5, 2, 3])[0],
            noted_on=day,
            text="Handledning i projektledning, modul " + str(rng.randint(1, 6)),
            actor=user,
        )
    _academy_courses(company, user, today)
    return company


def _academy_courses(company: Company, user: AbstractBaseUser, today: dt.date) -> None:
    """Seed 000: an open course (one run done and processed, one open for registration with
    manager approval and price categories) and a tailored course for the municipal federation."""
    organisations = {org.name: org for org in Customer.objects.filter(company=company, kind=CustomerKind.ORGANISATION)}
    persons = {person.name: person for person in Customer.objects.filter(company=company, kind=CustomerKind.PERSON)}
    logistik = organisations["Östgöta Logistik AB"]
    kommun = organisations["Kommunförbundet Skåne Nordost"]
    first, _last = _months_back(today)
    course = courses.course_create(
        company=company,
        name="Projektledning i praktiken",
        kind=CourseKind.OPEN,
        description="Två dagar om planering, risker och uppföljning i verkliga projekt.",
        account_code="3010",
    )
    done = courses.occurrence_create(
        course=course,
        starts_on=first + dt.timedelta(days=9),
        ends_on=first + dt.timedelta(days=10),
        place="Linköping, Universitetsvägen 3",
        price=Decimal("8900"),
    )
    courses.registration_form_update(form=done.registration_form, vat_number=FieldUse.OPTIONAL)
    form = done.registration_form
    anna = courses.registration_submit(
        form=form, name="Helena Ström", email=persons["Helena Ström"].email, organisation_name=logistik.name,
        org_number=logistik.org_number, peppol_id=logistik.peppol_id, project_number="LOG-2231",
    )  # fmt: skip
    courses.registration_process(
        registration=anna, actor=user, participant=persons["Helena Ström"],
        represented_organisation=logistik, paying_organisation=courses.SAME,
    )  # fmt: skip
    # Represented by the logistics company, paid by the federation that funds the training.
    camilla = courses.registration_submit(
        form=form, name="Camilla Öberg", email=persons["Camilla Öberg"].email, organisation_name=logistik.name,
        org_number=logistik.org_number, project_number="KSN-77",
    )  # fmt: skip
    courses.registration_process(
        registration=camilla, actor=user, participant=persons["Camilla Öberg"],
        represented_organisation=logistik, paying_organisation=kommun,
    )  # fmt: skip
    courses.registration_submit(
        form=form, name="Jonas Ek", email="jonas.ek@post.example", organisation_name="Ek & Son Konsult AB",
        org_number="556036-0793", vat_number="SE556036079301",
    )  # fmt: skip
    upcoming = courses.occurrence_create(
        course=course,
        starts_on=today + dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=31),
        place="Norrköping, Hamnvägen 15",
        language="en",
        price=Decimal("8900"),
    )
    courses.registration_form_update(
        form=upcoming.registration_form, needs_manager_approval=True, peppol_id=FieldUse.REQUIRED
    )
    courses.price_category_add(occurrence=upcoming, name="Ordinarie", price="8900")
    courses.price_category_add(occurrence=upcoming, name="Medlem i Kursakademins nätverk", price="7400")
    courses.registration_submit(
        form=upcoming.registration_form, name="Peter Sandberg", email=persons["Peter Sandberg"].email,
        organisation_name=logistik.name, org_number=logistik.org_number, peppol_id=logistik.peppol_id,
        price_category=str(upcoming.price_categories.get(name="Ordinarie").pk), manager_email="vd@logistik.example",
    )  # fmt: skip
    tailored = courses.course_create(
        company=company, name="Ledarskap i offentlig sektor", kind=CourseKind.TAILORED, account_code="3011"
    )
    agreed = courses.occurrence_create(
        course=tailored,
        starts_on=first + dt.timedelta(days=14),
        ends_on=first + dt.timedelta(days=16),
        place="Kristianstad, Rådhustorget 1",
    )
    courses.occurrence_customer_set(
        occurrence=agreed, customer=kommun, price="64000", project_number="KSN-LED-1",
        contacts=[persons["Peter Sandberg"]], actor=user,
    )  # fmt: skip


def _line(description: str, quantity: str, price: str, category: str = "S", rate: str = "25", **extra: object) -> dict:
    return {"description": description, "quantity": quantity, "unit_price": price, "vat_category": category,
            "vat_rate": rate, **extra}  # fmt: skip


def _trading(user: AbstractBaseUser, today: dt.date) -> Company:
    """A B2B seller whose issued invoices cover every document case (issue 3)."""
    company = company_create(
        actor=None,
        name="Nordisk Kontorshandel AB",
        org_number=TRADE_ORG_NUMBER,
        vat_number=_vat_number(TRADE_ORG_NUMBER),
        is_f_tax_approved=True,
        bankgiro="5050-1055",
        iban="SE45 5000 0000 0583 9825 7466",
        bic="ESSESESS",
        peppol_id=_peppol_id(TRADE_ORG_NUMBER),
        email="faktura@kontorshandel.example",
        address_line1="Industrigatan 21",
        postal_code="602 23",
        city="Norrköping",
        is_rounding_to_whole_units=True,
        has_ocr_length_digit=True,
    )
    company_user_add(company=company, user=user, role=Role.ADMIN)
    customers = {}
    for key, seed in TRADE_CUSTOMERS.items():
        street, postal_code, city = ADDRESSES[key]
        org_number = seed.get("org_number", "")
        customers[key] = customer_create(
            company=company,
            kind=CustomerKind.ORGANISATION,
            name=seed["name"],
            org_number=org_number,
            vat_number=seed.get("vat_number", _vat_number(org_number) if org_number else ""),
            peppol_id=seed.get("peppol_id", _peppol_id(org_number) if seed.get("peppol") else ""),
            gln=seed.get("gln", ""),
            country=seed.get("country", "SE"),
            language=seed.get("language", "sv"),
            email=_email(seed["name"]),
            address_line1=street,
            postal_code=postal_code,
            city=city,
            cash_discount_percent=seed.get("cash_discount_percent"),
            cash_discount_days=seed.get("cash_discount_days"),
        )
    issued_on = today.replace(day=1)
    first, last = _months_back(today)
    drafts = [
        (customers["domestic"], {"buyer_reference": "Projekt 4711", "order_reference": "IO-2207"}, [
            _line("Skrivbordsstol Ergo 300", "4", "2495"),
            _line("Kaffe, mörkrost 500 g", "12", "89.90", rate="12"),
            _line("Facklitteratur: Bygga hållbart", "2", "349", rate="6"),
            _line("Serviceavtal kopiator", "1", "650", period_start=first, period_end=last),
        ]),
        (customers["gln"], {"buyer_reference": "Butik 118"}, [
            _line("Kassarullar 80 mm, kartong", "15", "212.40"),
            _line("Etiketter 100x50, rulle", "30", "48.75"),
        ]),
        (customers["eu"], {"currency": "EUR", "buyer_reference": "PO 55-102"}, [
            _line("Whiteboard 120x90", "5", "189", category="AE", rate="0"),
            _line("Montering på plats", "3", "65", category="AE", rate="0", unit="h"),
        ]),
        (customers["export"], {"currency": "NOK", "order_reference": "FK-2026-31"}, [
            _line("Kontorsskåp, ek", "2", "8450", category="G", rate="0"),
            _line("Frakt till Bergen", "1", "1900", category="G", rate="0"),
        ]),
        (customers["de"], {"currency": "EUR", "buyer_reference": "Bestellung 9931"}, [
            _line("Konferensbord 8 personer", "1", "1240", category="AE", rate="0"),
        ]),
        (customers["domestic"], {"buyer_reference": "Projekt 4711", "note": "Leverans i två omgångar."}, [
            _line(f"Artikel {n:03d}: förbrukningsmaterial", str(1 + n % 7), f"{12 + (n * 37) % 400}.{n % 100:02d}",
                  rate=("25", "12", "6")[n % 3])
            for n in range(1, 61)
        ]),
        # Issue 16: in euro with Swedish VAT, so the PDF and the UBL state the VAT in SEK too.
        (customers["domestic"], {"currency": "EUR", "buyer_reference": "Mässa Hamburg"}, [
            _line("Mässmonter, hyra tre dagar", "1", "1450"),
            _line("Produktkatalog, tryckt", "40", "6.50", rate="6"),
        ]),
    ]  # fmt: skip
    # The euro rates of the days before the invoice date, as an administrator enters them or imports
    # the Riksbank's file (Settings, Exchange rates); made-up figures of the usual size.
    exchange_rates_save(
        company=company,
        actor=user,
        rates=[
            RateIn("EUR", issued_on - dt.timedelta(days=days), rate)
            for days, rate in ((0, "11.4321"), (1, "11.4102"), (2, "11.3894"), (3, "11.3977"))
        ]
        + [RateIn("NOK", issued_on, "0.9612"), RateIn("DKK", issued_on, "1.5327")],
    )
    issued = []
    for customer, header, lines in drafts:
        draft = invoice_create_draft(company=company, customer=customer, actor=user, lines=lines, **header)
        issued.append(invoice_issue(invoice=draft, actor=user, issued_on=issued_on))
    credited = issued[0]
    full_line = credited.lines.order_by("position").first()
    credit_note_create(
        invoice=credited, actor=user, quantities={full_line.pk: Decimal("1")}, reason="Skadad vid leverans",
        issued_on=issued_on,
    )  # fmt: skip
    credit_note_create(invoice=issued[4], actor=user, reason="Fel leveransadress", issued_on=issued_on)
    return company


def _distribution(company: Company) -> None:
    """Sending works out of the box: print for the company's own printer, also for reminders.
    E-mail needs an SMTP server, which staff add under Settings, Distribution."""
    from fakturera.distribution.services import channel_setting_save, distribution_settings_save

    channel_setting_save(company=company, channel="print", is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel="print", reserve_channel="", reminder_channel="print", undo_minutes=5
    )


def _rates(today: dt.date) -> None:
    """Made-up Swedish reference rates, marked so, for the half-years the seeded table does not
    reach: entered before the demo's payments, so the invoices they pay late owe interest
    (collections.interest_invoices) computed with a rate rather than refused for want of one."""
    from fakturera.collections.models import StatutoryRate

    for year in range(2025, today.year + 1):
        for month in (1, 7):
            if dt.date(year, month, 1) <= today:
                StatutoryRate.objects.get_or_create(
                    country="SE",
                    kind="reference",
                    valid_from=dt.date(year, month, 1),
                    defaults={"value": Decimal("2.00"), "source": "Demo: a made-up figure, not the published rate"},
                )


def _collections(company: Company, user: AbstractBaseUser, today: dt.date) -> None:
    """Reminders to try: the clinic's terms agree a reminder fee (60 kr, lag (1981:739) 2 §), the
    first level charges it, and staff send the reminders themselves from the Reminders page (the
    daily job is off, so they are there to be sent). Interest needs the rate table's reference
    rates; the demo enters made-up ones, marked so, for the half-years the seeded table does not
    reach (an administrator enters the Riksbank's published rates under Settings). One overdue
    invoice got its first reminder two weeks ago, so its second is due today. (The company customer
    that paid five weeks late in the demo's bank file has its interest invoice proposed: Reminders,
    "Interest invoices".)"""
    from fakturera.collections.run import reminders_run
    from fakturera.collections.services import collection_settings_save, policy_save
    from fakturera.distribution.worker import deliveries_work
    from fakturera.payments.selectors import overdue_receivables

    collection_settings_save(
        company=company,
        is_reminder_fee_agreed=True,
        is_claiming_late_compensation=False,
        bank_import_stale_days=2,
        interest_invoice_mode="propose",
        interest_invoice_minimum_amount="100",
        is_reminding_automatically=False,
    )
    for kind in ("person", "organisation"):
        policy_save(
            company=company,
            actor=user,
            customer_kind=kind,
            levels=[
                {"days": 7, "days_from": "due_date", "fee_amount": "60.00", "new_due_days": 10},
                {"days": 14, "days_from": "previous", "new_due_days": 10},
            ],
        )
    # One of the overdue invoices got its first reminder two weeks ago, printed then (a level is
    # held back while the previous reminder is not yet delivered); its second and the others'
    # first are due today.
    two_weeks_ago = today - dt.timedelta(days=14)
    overdue = overdue_receivables(company_id=company.pk, on=two_weeks_ago)
    if overdue:
        reminders_run(company=company, actor=user, on=two_weeks_ago, invoice_ids=[overdue[0].invoice_id])
        deliveries_work(now=timezone.now() + dt.timedelta(minutes=10))


@transaction.atomic
def demo_load(*, today: dt.date | None = None) -> DemoResult:
    """Load the demo data unless the demo clinic already exists."""
    existing = Company.objects.filter(country="SE", org_number=CLINIC_ORG_NUMBER).first()
    if existing is not None:
        academy = Company.objects.filter(country="SE", org_number=ACADEMY_ORG_NUMBER).first()
        # Demo databases loaded before courses existed get them once.
        if academy is not None and not Course.objects.filter(company=academy).exists():
            _academy_courses(academy, _demo_user(), today or timezone.localdate())
        return DemoResult(created=False, company=existing)
    today = today or timezone.localdate()
    rng = random.Random(SEED)  # noqa: S311 - repeatable demo data, not secrets
    user = _demo_user()
    _rates(today)
    clinic = _clinic(user, rng, today)
    _distribution(clinic)
    _collections(clinic, user, today)
    if not Company.objects.filter(country="SE", org_number=ACADEMY_ORG_NUMBER).exists():
        _academy(user, rng, today)
    if not Company.objects.filter(country="SE", org_number=TRADE_ORG_NUMBER).exists():
        _trading(user, today)
    return DemoResult(created=True, company=clinic)
