"""`fakturera demo`: the demo data loads once, through the services, and a second run changes nothing."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from fakturera.billables.models import BasisItem, BasisItemStatus
from fakturera.demo.data import ACADEMY_ORG_NUMBER, CLINIC_ORG_NUMBER, TRADE_ORG_NUMBER
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.states import InvoiceKind
from fakturera.parties.models import BasisSource, Company, CompanyUser, Customer, CustomerKind

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("auth", "parties", "catalog", "billables", "invoicing", "courses", "payments", "autogiro")


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
    }


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_a_second_run_changes_nothing_and_duplicates_nothing():
    # given
    first_output = run_demo()
    counts = row_counts()

    # when
    second_output = run_demo()

    # then
    assert row_counts() == counts
    assert "Demo data loaded" in first_output
    assert "already loaded" in second_output
    assert "demo / demo" in second_output


def test_the_demo_login_is_admin_of_the_clinic_and_the_trading_company_and_accountant_of_the_course_company():
    run_demo()

    # django-axes counts login attempts per request, so authenticating takes one
    user = authenticate(RequestFactory().post("/login/"), username="demo", password="demo")

    assert user is not None
    roles = {cu.company.org_number: cu.role for cu in CompanyUser.objects.filter(user=user).select_related("company")}
    assert roles == {CLINIC_ORG_NUMBER: "admin", ACADEMY_ORG_NUMBER: "accountant", TRADE_ORG_NUMBER: "admin"}


def test_the_trading_company_has_every_kind_of_document():
    """Issue 3's matrix: mixed rates, reverse charge, export, GLN buyer, EUR, rounding, 60 lines, credit notes."""
    run_demo()
    invoices = Invoice.objects.filter(company__org_number=TRADE_ORG_NUMBER)
    categories = set(InvoiceLine.objects.filter(invoice__in=invoices).values_list("vat_category", flat=True))
    rates = set(InvoiceLine.objects.filter(invoice__in=invoices, vat_category="S").values_list("vat_rate", flat=True))

    assert categories >= {"S", "AE", "G"}
    assert rates == {Decimal("25"), Decimal("12"), Decimal("6")}
    assert invoices.filter(currency="EUR").exists()
    # Issue 16: a euro invoice with VAT states it in SEK at the rate of its date.
    euro = invoices.get(currency="EUR", sek_vat_amount__isnull=False)
    assert (euro.exchange_rate, euro.exchange_rate_on) == (Decimal("11.4321"), euro.issued_on)
    assert euro.vat_amount == Decimal("378.10")  # 362.50 + 15.60
    assert euro.sek_vat_amount == Decimal("4322.48")  # 378.10 x 11.4321 = 4,322.477..., half-up
    assert invoices.exclude(rounding_amount=0).exists()
    assert invoices.filter(customer__gln="7300010000001").exists()
    assert invoices.filter(kind="credit_note").count() == 2
    assert max(invoice.lines.count() for invoice in invoices) == 60


def test_one_trading_customer_pays_early_for_a_cash_discount():
    """Seed 004: a new user sees the 2 % within 10 days of the GLN buyer on its invoice."""
    run_demo()
    invoice = Invoice.objects.get(company__org_number=TRADE_ORG_NUMBER, customer__gln="7300010000001")

    assert (invoice.cash_discount_percent, invoice.cash_discount_days) == (Decimal("2"), 10)
    assert invoice.cash_discount_until == invoice.issued_on + dt.timedelta(days=10)
    assert (
        not Invoice.objects.filter(company__org_number=TRADE_ORG_NUMBER)
        .exclude(pk=invoice.pk)
        .exclude(cash_discount_percent=0)
        .exists()
    )


def test_the_clinic_has_customers_a_live_basis_and_gap_free_invoices():
    run_demo()
    clinic = Company.objects.get(org_number=CLINIC_ORG_NUMBER)

    customers = Customer.objects.filter(company=clinic)
    assert customers.count() == 20
    assert customers.filter(kind=CustomerKind.ORGANISATION).exclude(peppol_id="").count() >= 2
    assert customers.filter(kind=CustomerKind.ORGANISATION, invoice_reference__isnull=False).count() >= 3
    assert BasisItem.objects.filter(company=clinic, status=BasisItemStatus.OPEN).count() > 10
    invoices = Invoice.objects.filter(company=clinic).order_by("number")
    # First the invoices the demo's payments pay, three left unpaid past their due date (the
    # reminders') and one paid late (its interest invoice proposed; all dated earlier), then three
    # from the basis and a credit note.
    paid_ones = 11 + 3 + 1
    assert list(invoices.values_list("number", flat=True)) == list(range(1, paid_ones + 5))
    assert [i.kind for i in invoices] == [InvoiceKind.INVOICE] * (paid_ones + 3) + [InvoiceKind.CREDIT_NOTE]
    credit_note = invoices.last()
    assert credit_note.credited_invoice.number == paid_ones + 1
    assert credit_note.total_amount < credit_note.credited_invoice.total_amount  # partly credited
    for invoice in invoices:
        assert invoice.net_amount == sum(line.net_amount for line in invoice.lines.all())


def test_the_course_company_bills_journal_notes_and_courses():
    run_demo()
    academy = Company.objects.get(org_number=ACADEMY_ORG_NUMBER)

    assert academy.basis_source == BasisSource.JOURNAL_NOTES
    items = BasisItem.objects.filter(company=academy, status=BasisItemStatus.OPEN)
    assert items.exists()
    # Courses feed the basis whatever the booking/journal choice (seed 000).
    assert set(items.values_list("source", flat=True)) == {"journal_note", "course_registration", "course_customer"}
    paid_by_federation = items.get(source="course_registration", buyer_reference="KSN-77")
    assert paid_by_federation.customer.name == "Kommunförbundet Skåne Nordost"
    assert paid_by_federation.course_registration.represented_organisation.name == "Östgöta Logistik AB"


def test_courses_are_added_to_a_demo_database_loaded_before_them():
    from fakturera.courses.models import Course, Registration

    run_demo()
    academy = Company.objects.get(org_number=ACADEMY_ORG_NUMBER)
    BasisItem.objects.filter(company=academy, source__startswith="course").delete()
    Registration.objects.filter(company=academy).delete()
    Course.objects.filter(company=academy).delete()

    run_demo()
    run_demo()

    assert Course.objects.filter(company=academy).count() == 2
    assert Registration.objects.filter(company=academy).count() == 4


@pytest.mark.needs_shared("the Peppol validator")
def test_every_issued_demo_document_is_valid_peppol_but_for_persons_without_an_address(tmp_path):
    """Issue 13: the demo is valid by the rule the services now keep. Every issued invoice and
    credit note of the demo is built as UBL and validated in one run; the only fatal rule
    allowed is the missing address of a buyer that has none on Peppol's code list (a private
    person: PEPPOL-EN16931-R010), which is never routed to Peppol."""
    from fakturera.core.identifiers import electronic_address
    from fakturera.documents.data import document_data
    from fakturera.documents.ubl.build import build_ubl
    from fakturera.documents.ubl.validator import fatal_rules, validate_files

    run_demo()
    issued = Invoice.objects.exclude(status="draft").prefetch_related("lines", "vat_breakdown").order_by("pk")
    paths = {}
    for invoice in issued:
        document = document_data(invoice)
        buyer = document.buyer
        address = electronic_address(
            peppol_id=buyer.peppol_id, gln=buyer.gln, org_number=buyer.org_number, vat_number=buyer.vat_number,
            country=buyer.country,
        )  # fmt: skip
        path = tmp_path / f"{invoice.company_id}-{invoice.display_number}-{invoice.kind}.xml"
        path.write_bytes(build_ubl(document))
        paths[str(path)] = (buyer.name, address is not None)

    reports = validate_files(paths)

    assert len(reports) == len(paths) > 0
    wrong = {}
    for file, report in reports.items():
        name, has_address = paths[file]
        rules = [rule.split(":")[0] for rule in fatal_rules(report)]
        if rules != ([] if has_address else ["PEPPOL-EN16931-R010"]):
            wrong[file] = (name, fatal_rules(report))
    assert wrong == {}
    assert sum(has_address for _name, has_address in paths.values()) > 0


def test_the_clinic_has_payments_in_every_state():
    """A bank file matched every way, part, over-, late, double and unplaced payments, one by
    hand, and an Autogiro report with a collection made and one stopped."""
    from fakturera.autogiro.models import PaymentOrder, PaymentOrderStatus
    from fakturera.payments import history
    from fakturera.payments.models import Payment, PaymentImport, Receivable
    from fakturera.payments.services import credit_balances
    from fakturera.payments.states import MatchMethod, PaymentSource, PaymentStatus, ReceivableState

    run_demo()
    clinic = Company.objects.get(org_number=CLINIC_ORG_NUMBER)
    payments = Payment.objects.filter(company=clinic)
    receivables = Receivable.objects.filter(company=clinic)

    assert set(PaymentImport.objects.filter(company=clinic).values_list("format", flat=True)) == {
        "camt.054",
        "autogiro.payments",
    }
    assert set(payments.values_list("match", flat=True)) >= {
        MatchMethod.OCR,
        MatchMethod.INVOICE_NUMBER,
        MatchMethod.AMOUNT_PAYER,
        MatchMethod.AUTOGIRO,
        MatchMethod.NONE,
    }
    unmatched = payments.get(status=PaymentStatus.UNMATCHED)
    assert len(unmatched.match_details["suggestions"]) == 2
    solvik = Customer.objects.get(company=clinic, name="Solvik Fastigheter AB")
    assert credit_balances(company=clinic, customer_ids=[solvik.pk]) == {solvik.pk: {"SEK": Decimal("200.00")}}
    assert payments.filter(is_double=True).count() == 1
    assert payments.filter(days_late__gt=0).exists()
    assert payments.filter(source=PaymentSource.MANUAL).count() == 1
    assert set(receivables.values_list("state", flat=True)) == {
        ReceivableState.UNPAID,
        ReceivableState.PARTLY_PAID,
        ReceivableState.PAID,
        ReceivableState.OVERPAID,
    }
    orders = PaymentOrder.objects.filter(company=clinic)
    assert set(orders.values_list("status", flat=True)) == {PaymentOrderStatus.APPROVED, PaymentOrderStatus.STOPPED}
    stopped = orders.get(status=PaymentOrderStatus.STOPPED)
    assert stopped.invoice.events.filter(kind=history.DIRECT_DEBIT_REJECTED).exists()
    assert receivables.get(pk=stopped.invoice_id).state == ReceivableState.UNPAID


def test_the_clinic_has_reminders_to_send_today():
    """Overdue invoices due for a reminder today: one for its second level (its first went two
    weeks ago), the others for their first; each with the agreed fee or interest shown."""
    from django.utils import timezone

    from fakturera.collections.models import Reminder
    from fakturera.collections.run import reminders_assess

    run_demo()
    clinic = Company.objects.get(org_number=CLINIC_ORG_NUMBER)

    assessment = reminders_assess(company=clinic, on=timezone.localdate())

    assert list(Reminder.objects.filter(company=clinic, level=1).values_list("state", flat=True)) == ["sent"]
    levels = sorted(due.level.number for due in assessment.due)
    assert levels.count(2) == 1
    assert levels.count(1) >= 2


def test_the_clinic_has_an_interest_invoice_to_issue():
    """A company customer paid five weeks late: its interest invoice is proposed; the invoice
    paid late in the bank file owes less than the smallest amount invoiced."""
    from fakturera.collections.models import InterestCharge
    from fakturera.collections.states import InterestChargeState

    run_demo()
    clinic = Company.objects.get(org_number=CLINIC_ORG_NUMBER)

    charges = InterestCharge.objects.filter(company=clinic)
    [proposed] = charges.filter(state=InterestChargeState.PROPOSED)
    assert proposed.customer.name == "Företagshälsan Mälardalen AB"
    assert proposed.days_late > 30
    assert proposed.interest_amount > 100
    assert charges.filter(state=InterestChargeState.BELOW_MINIMUM).count() == 1
    assert not charges.filter(state=InterestChargeState.NO_RATE).exists()
