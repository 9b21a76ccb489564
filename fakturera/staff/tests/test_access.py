"""Every staff URL as each role, on the demo data: a page the role may open (staff/access.py)
answers 200, one it may not is refused with the styled 403 page, and no menu, tab or link
on any page offers a refused page. The views' decorators and the table must agree."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fakturera.autogiro.models import Mandate, Run
from fakturera.autogiro.tests.factories import MandateFactory
from fakturera.billables.models import BasisItem, Booking, JournalNote
from fakturera.catalog.models import Product
from fakturera.collections.collection_agency import CollectionReady, claims_hand_over
from fakturera.collections.models import CollectionClaim, ReminderPause
from fakturera.collections.services import pause_create
from fakturera.courses.models import Course, Occurrence, OccurrenceCustomer, PriceCategory, Registration
from fakturera.demo.data import demo_load
from fakturera.distribution.models import Delivery, SendBatch
from fakturera.distribution.services import invoices_send
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.invoicing.tests.factories import draft_invoice
from fakturera.parties.models import Company, CompanyUser, Customer, OrganisationMember
from fakturera.parties.services import company_update
from fakturera.parties.tenancy import SESSION_KEY
from fakturera.parties.tests.factories import UserFactory
from fakturera.payments.importing import payments_import
from fakturera.payments.models import Payment, PaymentImport
from fakturera.payments.selectors import overdue_receivables
from fakturera.payments.services import payment_register
from fakturera.payments.testing import Credit, camt054
from fakturera.recurring.models import RecurringInvoice
from fakturera.staff import urls as staff_urls
from fakturera.staff.access import PAGES, may_open
from fakturera.webhooks.models import WebhookEndpoint
from fakturera.webhooks.services import webhook_endpoint_create
from fakturera.worklist.models import Task

ROLES = ("read_only", "accountant", "admin")
# Pages of no company: the invitation link, the no-company page, the company switch, the
# user's own security page (two-factor; login_required, of the person, not a company).
OUTSIDE = {"invitation", "no_company", "company_switch", "security"}
# Redirects by design: a send's print run when it has none; the page after Register & send
# when no numbers are given (to the basis).
REDIRECTS = {"send_print", "basis_registered"}


def _first(model: type[Model], company: Company, **lookup: Any) -> Model | None:
    return model.objects.filter(company=company, **lookup).order_by("pk").first()


def _pk(model: type[Model], name: str = "pk", **lookup: Any) -> Callable[[Company], dict | None]:
    def find(company: Company) -> dict | None:
        found = _first(model, company, **lookup)
        return {name: found.pk} if found else None

    return find


def _member(company: Company) -> dict | None:
    member = OrganisationMember.objects.filter(organisation__company=company).first()
    return {"pk": member.organisation_id, "person_pk": member.person_id} if member else None


def _price_category(company: Company) -> dict | None:
    category = PriceCategory.objects.filter(occurrence__company=company).first()
    return {"pk": category.occurrence_id, "category_pk": category.pk} if category else None


def _basis_customer(company: Company) -> dict | None:
    item = _first(BasisItem, company)
    return {"customer_pk": item.customer_id} if item else None


def _failed_task(company: Company) -> dict | None:
    row = DBTaskResult.objects.filter(status="FAILED", args_kwargs__company_id=company.pk).first()
    return {"task_id": row.pk} if row else None


ISSUED = {"status": InvoiceStatus.ISSUED}
DRAFT = {"status": InvoiceStatus.DRAFT}

# URL name -> its arguments in a company (None: the company has no such object).
ARGUMENTS: dict[str, Callable[[Company], dict | None]] = {
    "customer_create": lambda company: {"kind": "person"},
    "customer_detail": _pk(Customer),
    "customer_edit": _pk(Customer),
    "customer_statement": _pk(Customer),
    "customer_statement_send": _pk(Customer),
    "member_add": _pk(Customer, kind="organisation"),
    "member_remove": _member,
    "catalog_create": lambda company: {"kind": "product"},
    "catalog_edit": lambda company: {"kind": "product", **found} if (found := _pk(Product)(company)) else None,
    "booking_edit": _pk(Booking),
    "booking_payment": _pk(Booking),
    "journal_note_edit": _pk(JournalNote),
    "basis_customer": _basis_customer,
    "basis_item_add": _basis_customer,
    "basis_item_edit": _pk(BasisItem),
    "basis_item_remove": _pk(BasisItem),
    "invoice_detail": _pk(Invoice, **ISSUED),
    "invoice_edit": _pk(Invoice, **DRAFT),
    "invoice_issue": _pk(Invoice, **DRAFT),
    "invoice_delete": _pk(Invoice, **DRAFT),
    "invoice_credit": _pk(Invoice, **ISSUED),
    "invoice_history": _pk(Invoice, **ISSUED),
    "invoice_document": lambda company: {"fmt": "pdf", **found} if (found := _pk(Invoice, **ISSUED)(company)) else None,
    "invoice_email": _pk(Invoice, **ISSUED),
    "send_detail": _pk(SendBatch),
    "send_undo": _pk(SendBatch),
    # The fixture's send, still waiting (a redirect); the demo's reminder print is printed already.
    "send_print": lambda company: (
        {"pk": batch.pk} if (batch := SendBatch.objects.filter(company=company).order_by("-pk").first()) else None
    ),
    "delivery_answer": _pk(Delivery),
    "webhook_edit": _pk(WebhookEndpoint),
    "webhook_test": _pk(WebhookEndpoint),
    "webhook_deliveries": _pk(WebhookEndpoint),
    "course_detail": _pk(Course),
    "course_edit": _pk(Course),
    "occurrence_create": _pk(Course, name="course_pk"),
    "occurrence_detail": _pk(Occurrence),
    "occurrence_edit": _pk(Occurrence),
    "occurrence_form": _pk(Occurrence),
    "price_category_add": _pk(Occurrence),
    "price_category_remove": _price_category,
    "occurrence_customers": _pk(Occurrence),
    "occurrence_customer_remove": _pk(OccurrenceCustomer),
    "registration_process": _pk(Registration),
    "registration_paying": _pk(Registration),
    "registration_cancel": _pk(Registration),
    "registration_credit": _pk(Registration),
    "registration_approve": _pk(Registration),
    "registration_resend_approval": _pk(Registration),
    "failed_task_rerun": _failed_task,
    "autogiro_mandate_add": _pk(Customer),
    "autogiro_mandate_cancel": _pk(Mandate),
    "autogiro_run_file": _pk(Run),
    "payment_detail": _pk(Payment),
    "payment_allocate": _pk(Payment),
    "payment_assign": _pk(Payment),
    "payment_undo": _pk(Payment),
    "invoice_payment_register": _pk(Invoice, **ISSUED),
    "customer_credit_apply": _pk(Customer),
    "customer_refund": _pk(Customer),
    "recurring_edit": _pk(RecurringInvoice),
    "recurring_delete": _pk(RecurringInvoice),
    "payment_import_detail": _pk(PaymentImport),
    "reminder_policy": lambda company: {"kind": "person"},
    "reminder_policy_letter": lambda company: {"kind": "person"},
    "invoice_reminder_pause": _pk(Invoice, **ISSUED),
    "customer_reminder_pause": _pk(Customer),
    "reminder_pause_end": _pk(ReminderPause),
    "debt_collection_undo": _pk(CollectionClaim),
    "task_done": _pk(Task),
    "task_undo": _pk(Task),
}


def _staff_patterns() -> list[URLPattern]:
    return [p for p in staff_urls.urlpatterns if isinstance(p, URLPattern) and p.name not in OUTSIDE]


@pytest.fixture
def demo(db):
    demo_load()
    companies = list(Company.objects.order_by("pk"))
    clinic = companies[0]
    admin = CompanyUser.objects.filter(company=clinic, role="admin").first().user
    # What the demo data does not hold: a draft, a send with its deliveries, Autogiro, a webhook.
    customer = Customer.objects.filter(company=clinic, kind="person").order_by("-pk").first()
    draft_invoice(clinic, admin, customer=customer)
    issued = Invoice.objects.filter(company=clinic, status=InvoiceStatus.ISSUED).order_by("pk")[:2]
    invoices_send(company=clinic, actor=admin, invoice_ids=[invoice.pk for invoice in issued])
    MandateFactory(company=clinic, customer=customer, payer_number="990001")
    Run.objects.create(company=clinic, run_on=dt.date(2026, 12, 1), content=b"01", total_amount=0)
    webhook_endpoint_create(company=clinic, url="https://crm.example/hook", events=["invoice.issued"])
    for company in companies:  # a logo for the settings page's preview (staff:company_logo)
        company_update(company=company, logo=ContentFile(b"\x89PNG logo", name="logo.png"))
    payment_register(
        company=clinic, actor=admin, amount="100", currency="SEK", booked_on=timezone.localdate(), payer_name="Okänd"
    )
    pause_create(
        company=clinic, actor=admin, invoice_id=issued[0].pk, reason="disputed", starts_on=timezone.localdate()
    )
    # A claim handed over to debt collection (its reminders are not part of the demo).
    overdue = overdue_receivables(company_id=clinic.pk, on=timezone.localdate())[-1]
    ready = CollectionReady(claim=overdue, customer_kind="person", last_level=2, deadline_on=overdue.due_on)
    claims_hand_over(company=clinic, actor=admin, ready=[ready], on=timezone.localdate())
    bankgiro = "".join(ch for ch in clinic.bankgiro if ch.isdigit())
    payments_import(
        source=camt054([Credit(amount=Decimal("100.00"), payer="Okänd")], bankgiro_digits=bankgiro),
        filename="bank.xml",
        actor=admin,
        company=clinic,
    )
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}, "company_id": clinic.pk},
        task_path="fakturera.documents.tasks.render_documents",
        backend_name="default",
        run_after=timezone.now(),
        status="FAILED",
        traceback="ValueError: x",
    )
    return companies


def _client(user, company: Company) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = company.pk
    session.save()
    return client


def _users(companies: list[Company]) -> dict[str, Any]:
    users = {}
    for role in ROLES:
        user = UserFactory(username=f"walk-{role}")
        for company in companies:
            CompanyUser.objects.create(company=company, user=user, role=role)
        users[role] = user
    return users


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="(/[^"#?]*)', html))


def test_the_views_and_the_table_agree_on_what_each_page_needs():
    for pattern in _staff_patterns():
        view_role = getattr(pattern.callback, "staff_role", None)
        assert view_role is not None, f"{pattern.name}: not wrapped in staff_view"
        assert view_role == PAGES.get(pattern.name, "read_only"), (
            f"{pattern.name}: the view needs {view_role}, staff/access.py says {PAGES.get(pattern.name, 'read_only')}"
        )
    assert set(PAGES) <= {p.name for p in _staff_patterns()}


def test_every_staff_url_as_each_role_is_open_or_refused_with_the_styled_page_and_never_offered(demo):
    users = _users(demo)
    patterns = _staff_patterns()
    urls: dict[str, tuple[Company, str]] = {}
    for pattern in patterns:
        for company in demo:
            kwargs = ARGUMENTS[pattern.name](company) if pattern.name in ARGUMENTS else {}
            if kwargs is not None:
                urls[pattern.name] = (company, reverse(f"staff:{pattern.name}", kwargs=kwargs))
                break
    missing = [pattern.name for pattern in patterns if pattern.name not in urls]
    assert not missing, f"no demo object for {missing}"

    problems = []
    for role in ROLES:
        clients = {company.pk: _client(users[role], company) for company in demo}
        refused_paths = {}
        offered: dict[str, str] = {}
        for pattern in patterns:
            company, url = urls[pattern.name]
            client = clients[company.pk]
            allowed = may_open(role, pattern.name)
            response = client.get(url)
            if response.status_code == 405:  # an action (POST only): a refused role is refused
                writes = getattr(pattern.callback, "staff_write", None) is not False
                if not allowed or (role == "read_only" and writes):
                    response = client.post(url)
                    if response.status_code != 403 or "403.html" not in [t.name for t in response.templates]:
                        problems.append(f"{role} POST {pattern.name}: {response.status_code}, not the styled 403")
                continue
            expected = (302,) if pattern.name in REDIRECTS else (200,)
            if allowed:
                if response.status_code not in expected:
                    problems.append(f"{role} GET {pattern.name} ({url}): {response.status_code}, expected 200")
            else:
                refused_paths[url] = pattern.name
                templates = [t.name for t in response.templates]
                if response.status_code != 403 or "403.html" not in templates:
                    problems.append(f"{role} GET {pattern.name}: {response.status_code}, not the styled 403")
                elif "Not allowed" not in response.content.decode():
                    problems.append(f"{role} GET {pattern.name}: the 403 page says nothing")
            if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                for link in _links(response.content.decode()):
                    offered.setdefault(link, pattern.name)
        for link, page in offered.items():
            if link in refused_paths:
                problems.append(f"{role}: {page} links to {refused_paths[link]} ({link}), which it may not open")
        # Every role's menu is checked at least on the basis page.
        menu = clients[demo[0].pk].get(reverse("staff:basis")).content.decode()
        settings_link = reverse("staff:company_settings")
        if (f'href="{settings_link}"' in menu) != (role == "admin"):
            problems.append(f"{role}: the menu's Settings link is wrong")
    assert not problems, "\n".join(problems)
