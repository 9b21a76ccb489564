"""The public form and the staff pages through HTTP (Django's test client)."""

import csv
import io
import json

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from fakturera.billables.models import BasisItem
from fakturera.courses import services
from fakturera.courses.models import CourseKind, Registration
from fakturera.courses.states import RegistrationStatus
from fakturera.courses.tests.factories import ORG_B, VAT_B, make_occurrence, submit, submit_processed
from fakturera.parties.models import Customer
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory
from fakturera.staff.tests.staff_clients import log_in
from fakturera.webhooks.models import WebhookDelivery
from fakturera.webhooks.services import SIGNATURE_HEADER, verify, webhook_endpoint_create
from fakturera.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _form_url(occurrence, **query):
    url = reverse("course_register", args=[occurrence.registration_form.token])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


GOOD = {
    "name": "Anna Lind",
    "email": "anna.lind@firma.example",
    "organisation_name": "Firma Ett AB",
    "org_number": "556036-0793",
    "peppol_id": "0007:5560360793",
    "project_number": "P-100",
}


# --- the public form ----------------------------------------------------------------------------------


def test_public_form_in_swedish_and_english(company):
    occurrence = make_occurrence(company)
    client = Client()
    swedish = client.get(_form_url(occurrence, lang="sv"))
    english = client.get(_form_url(occurrence, lang="en"))
    assert swedish.status_code == english.status_code == 200
    assert "Anmäl dig till" in swedish.content.decode()
    assert "Register for" in english.content.decode()


def test_public_form_registers_and_redirects(company):
    occurrence = make_occurrence(company)
    response = Client().post(_form_url(occurrence), {**GOOD, "lang": "en"})
    assert response.status_code == 302
    assert Registration.objects.get().status == RegistrationStatus.RECEIVED


def test_public_form_refuses_bad_identifiers_with_a_clear_message(company):
    occurrence = make_occurrence(company)
    response = Client().post(_form_url(occurrence), {**GOOD, "org_number": "556036-0794", "lang": "sv"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "”556036-0794” är inte giltigt som svenskt organisationsnummer: kontrollsiffran stämmer inte." in text
    assert "Ingen anmälan sparades." in text
    assert Registration.objects.count() == 0


def test_public_form_needs_csrf(company):
    occurrence = make_occurrence(company)
    client = Client(enforce_csrf_checks=True)
    response = client.post(_form_url(occurrence), GOOD)
    assert response.status_code == 403
    assert Registration.objects.count() == 0


def test_honeypot_pretends_success_and_stores_nothing(company):
    occurrence = make_occurrence(company)
    response = Client().post(_form_url(occurrence), {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 302
    assert Registration.objects.count() == 0


def test_rate_limit_per_address(company, settings):
    settings.COURSE_REGISTRATION_RATE_LIMIT = "2/600"
    occurrence = make_occurrence(company)
    client = Client(REMOTE_ADDR="10.0.0.7")
    for index in range(2):
        assert client.post(_form_url(occurrence), {**GOOD, "email": f"a{index}@firma.example"}).status_code == 302
    refused = client.post(_form_url(occurrence), GOOD)
    assert refused.status_code == 429
    assert Registration.objects.count() == 2
    other = Client(REMOTE_ADDR="10.0.0.8").post(_form_url(occurrence), GOOD)
    assert other.status_code == 302


def test_rate_limit_can_be_turned_off(company, settings):
    settings.COURSE_REGISTRATION_RATE_LIMIT = "0"
    occurrence = make_occurrence(company)
    client = Client()
    for index in range(12):
        assert client.post(_form_url(occurrence), {**GOOD, "email": f"a{index}@firma.example"}).status_code == 302


def test_closed_form_says_so(company):
    occurrence = make_occurrence(company)
    services.registration_form_update(form=occurrence.registration_form, is_open=False)
    response = Client().get(_form_url(occurrence, lang="en"))
    assert "Registration for this course is closed." in response.content.decode()


def test_manager_approves_through_the_link(company, django_capture_on_commit_callbacks):
    occurrence = make_occurrence(company, approval=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(_form_url(occurrence), {**GOOD, "manager_email": "chef@firma.example"})
    assert response.status_code == 302
    link = next(line for line in mail.outbox[0].body.splitlines() if "/register/approval/" in line)
    path = link.split("http://127.0.0.1:8000", 1)[1]
    manager = Client()
    page = manager.get(path)
    assert page.status_code == 200
    assert Registration.objects.get().status == RegistrationStatus.AWAITING_APPROVAL  # a GET decides nothing
    manager.post(path, {"decision": "approve"})
    assert Registration.objects.get().status == RegistrationStatus.RECEIVED
    again = manager.post(path, {"decision": "decline"})
    assert again.status_code == 409
    assert Registration.objects.get().status == RegistrationStatus.RECEIVED


def test_forged_approval_link_is_400():
    assert Client().get("/register/approval/1:abc:def/").status_code == 400


# --- staff pages -----------------------------------------------------------------------------------------


def test_staff_pages_render(client, company):
    log_in(client, company)
    occurrence = make_occurrence(company)
    registration = submit(occurrence)
    tailored = make_occurrence(company, kind=CourseKind.TAILORED)
    for url in (
        reverse("staff:course_list"),
        reverse("staff:course_create"),
        reverse("staff:course_detail", args=[occurrence.course_id]),
        reverse("staff:occurrence_create", args=[occurrence.course_id]),
        reverse("staff:occurrence_detail", args=[occurrence.pk]),
        reverse("staff:occurrence_edit", args=[occurrence.pk]),
        reverse("staff:occurrence_form", args=[occurrence.pk]),
        reverse("staff:occurrence_customers", args=[tailored.pk]),
        reverse("staff:registration_process", args=[registration.pk]),
        reverse("staff:course_report"),
        reverse("staff:course_report") + f"?occurrence={occurrence.pk}",
    ):
        assert client.get(url).status_code == 200, url


def test_create_course_and_occurrence_through_the_pages(client, company):
    log_in(client, company)
    response = client.post(
        reverse("staff:course_create"),
        {"name": "Excel fördjupning", "kind": "open", "vat_category": "S", "vat_rate": "25"},
    )
    assert response.status_code == 302
    course = company and __import__("fakturera.courses.models", fromlist=["Course"]).Course.objects.get()
    response = client.post(
        reverse("staff:occurrence_create", args=[course.pk]),
        {"starts_on": "2026-12-01", "ends_on": "2026-11-30", "language": "sv", "price": "100"},
    )
    assert response.status_code == 200
    assert "The last day is before the first." in response.content.decode()
    response = client.post(
        reverse("staff:occurrence_create", args=[course.pk]),
        {"starts_on": "2026-12-01", "ends_on": "2026-12-02", "language": "sv", "price": "100", "place": "Umeå"},
    )
    assert response.status_code == 302
    assert course.occurrences.get().registration_form.is_open


def test_process_page_corrects_the_paying_organisation(client, company):
    user = log_in(client, company)
    occurrence = make_occurrence(company)
    registration = submit(occurrence)
    payer = OrganisationFactory(company=company, name="Betalaren AB", org_number=ORG_B, vat_number="")
    data = {
        "participant": "new",
        "represented_organisation": "new",
        "paying_organisation": "represented",
        "paying_other": str(payer.pk),
        "paying_address_line1": "Box 5",
        "paying_postal_code": "111 22",
        "paying_city": "Stockholm",
        "paying_org_number": ORG_B,
        "paying_vat_number": "SE556703748599",
        "paying_peppol_id": "",
    }
    url = reverse("staff:registration_process", args=[registration.pk])
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["form"].errors["paying_vat_number"]
    assert Registration.objects.get().status == RegistrationStatus.RECEIVED

    done = client.post(url, {**data, "paying_vat_number": VAT_B})
    assert done.status_code == 302
    payer.refresh_from_db()
    assert payer.vat_number == VAT_B
    assert BasisItem.objects.get().customer == payer
    del user


def test_paying_fields_follow_the_chosen_organisation(client, company):
    log_in(client, company)
    occurrence = make_occurrence(company)
    registration = submit(occurrence)
    payer = OrganisationFactory(company=company, name="Betalaren AB", org_number=ORG_B, vat_number=VAT_B)
    response = client.get(
        reverse("staff:registration_paying", args=[registration.pk]) + f"?paying_organisation={payer.pk}"
    )
    assert f'value="{VAT_B}"' in response.content.decode()


def test_report_csv_xlsx_and_webhook(client, company, admin_user):
    log_in(client, company)
    occurrence = make_occurrence(company)
    submit_processed(occurrence, admin_user)
    url = reverse("staff:course_report") + f"?occurrence={occurrence.pk}"
    rows = list(csv.reader(io.StringIO(client.get(url + "&format=csv").content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Course", "Dates", "Participant"]
    assert rows[1][2] == "Anna Lind"
    assert "0007:5560360793" in rows[1]
    xlsx = client.get(url + "&format=xlsx").content
    sheet = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert list(sheet[0][:3]) == ["Course", "Dates", "Participant"]
    assert sheet[1][2] == "Anna Lind"
    assert "P-100" in sheet[1]

    nobody = client.post(reverse("staff:course_report"), {"occurrence": occurrence.pk}, follow=True)
    assert "No integration listens" in nobody.content.decode()
    assert not WebhookDelivery.objects.exists()


def test_the_basis_is_sent_signed_to_the_integrations_webhook(
    client, company, admin_user, django_capture_on_commit_callbacks
):
    log_in(client, company)
    occurrence = make_occurrence(company)
    submit_processed(occurrence, admin_user)
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(company=company, url=receiver.url, events=["course_basis.exported"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("staff:course_report"), {"occurrence": occurrence.pk}, follow=True)

    assert "The basis is sent to the accounting system (1 rows)." in response.content.decode()
    [(headers, body)] = receiver.requests
    assert verify(secret=endpoint.secret, body=body, header=headers[SIGNATURE_HEADER])
    event = json.loads(body)
    assert event["type"] == "course_basis.exported"
    assert event["data"]["occurrence_id"] == occurrence.pk
    [row] = event["data"]["rows"]
    assert row["paying_organisation"] == "Firma Ett AB"
    assert row["peppol_id"] == "0007:5560360793"
    assert row["project_number"] == "P-100"
    assert row["price"] == "4900.00"


def test_cancel_and_credit_from_the_registration(client, company, admin_user):
    from fakturera.invoicing.services import invoices_register_from_basis

    log_in(client, company)
    occurrence = make_occurrence(company)
    registration = submit_processed(occurrence, admin_user)
    invoices_register_from_basis(company=company, actor=admin_user)
    client.post(reverse("staff:registration_cancel", args=[registration.pk]))
    page = client.get(reverse("staff:registration_process", args=[registration.pk]))
    assert "Credit the registration" in page.content.decode()
    response = client.post(reverse("staff:registration_credit", args=[registration.pk]), {"reason": "Sjuk"})
    assert response.status_code == 302
    assert "/invoices/" in response["Location"]


def test_tailored_customers_tab(client, company):
    log_in(client, company)
    occurrence = make_occurrence(company, kind=CourseKind.TAILORED)
    customer = OrganisationFactory(company=company, name="Kommunen")
    contact = PersonFactory(company=company, name="Kim Kontakt")
    response = client.post(
        reverse("staff:occurrence_customers", args=[occurrence.pk]),
        {"customer": customer.pk, "price": "85000", "project_number": "K-1", "contacts": [contact.pk]},
    )
    assert response.status_code == 302
    page = client.get(reverse("staff:occurrence_customers", args=[occurrence.pk])).content.decode()
    assert "Kommunen" in page
    assert "Kim Kontakt" in page
    assert BasisItem.objects.get().customer == customer


def test_read_only_staff_cannot_process(client, company):
    log_in(client, company, role="read_only")
    occurrence = make_occurrence(company)
    registration = submit(occurrence)
    response = client.post(reverse("staff:registration_process", args=[registration.pk]), {"participant": "new"})
    assert response.status_code == 403
    assert Customer.objects.filter(company=company).count() == 0


def test_another_companys_courses_and_registrations_are_404(client, company):
    other = CompanyFactory()
    occurrence = make_occurrence(other)
    registration = submit(occurrence)
    tailored = make_occurrence(other, kind=CourseKind.TAILORED)
    agreement = services.occurrence_customer_set(
        occurrence=tailored, customer=OrganisationFactory(company=other), price="1"
    )
    log_in(client, company)
    for method, url in (
        ("get", reverse("staff:course_detail", args=[occurrence.course_id])),
        ("get", reverse("staff:course_edit", args=[occurrence.course_id])),
        ("get", reverse("staff:occurrence_detail", args=[occurrence.pk])),
        ("get", reverse("staff:occurrence_form", args=[occurrence.pk])),
        ("get", reverse("staff:occurrence_customers", args=[tailored.pk])),
        ("get", reverse("staff:registration_process", args=[registration.pk])),
        ("get", reverse("staff:registration_paying", args=[registration.pk])),
        ("post", reverse("staff:registration_process", args=[registration.pk])),
        ("post", reverse("staff:registration_cancel", args=[registration.pk])),
        ("post", reverse("staff:registration_credit", args=[registration.pk])),
        ("post", reverse("staff:occurrence_customer_remove", args=[agreement.pk])),
    ):
        assert getattr(client, method)(url).status_code == 404, url
    report = client.get(reverse("staff:course_report") + f"?occurrence={occurrence.pk}")
    assert report.status_code == 200
    assert report.context["form"].errors  # another company's occurrence is not a choice
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RECEIVED


def test_closing_the_form_reaches_the_public_page_in_this_process_at_once(company, django_capture_on_commit_callbacks):
    occurrence = make_occurrence(company)
    client = Client()
    assert "Register for" in client.get(_form_url(occurrence, lang="en")).content.decode()  # now kept in the process

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_form_update(form=occurrence.registration_form, is_open=False)

    assert "Registration for this course is closed." in client.get(_form_url(occurrence, lang="en")).content.decode()
    assert client.post(_form_url(occurrence), GOOD).status_code == 200
    assert Registration.objects.count() == 0


def test_process_with_an_unknown_customer_number_says_so(client, company):
    log_in(client, company)
    registration = submit(make_occurrence(company))
    response = client.post(
        reverse("staff:registration_process", args=[registration.pk]),
        {"participant": "new", "participant_other": "", "participant_other_text": "99999",
         "represented_organisation": "new", "paying_organisation": "represented"},
    )  # fmt: skip
    assert response.context["form"].errors["participant_other"] == ["No person matches what was typed (99999)."]
    assert Customer.objects.filter(company=company).count() == 0


def test_form_settings_and_price_categories_through_the_pages(client, company):
    log_in(client, company)
    occurrence = make_occurrence(company)
    settings_url = reverse("staff:occurrence_form", args=[occurrence.pk])
    response = client.post(
        settings_url,
        {"is_open": "on", "needs_manager_approval": "on", "peppol_id": "required", "vat_number": "hidden",
         "org_number": "optional", "project_number": "required", "invoice_address": "hidden"},
    )  # fmt: skip
    assert response.status_code == 302
    client.post(reverse("staff:price_category_add", args=[occurrence.pk]), {"name": "Medlem", "price": "3900"})

    page = Client().get(_form_url(occurrence, lang="en")).content.decode()
    assert 'name="peppol_id"' in page
    assert 'name="vat_number"' not in page
    assert 'name="manager_email"' in page
    assert "Medlem: 3900 SEK" in page


def test_report_csv_does_not_turn_typed_text_into_formulas(client, company, admin_user):
    log_in(client, company)
    occurrence = make_occurrence(company)
    submit_processed(occurrence, admin_user, name='=HYPERLINK("http://evil.example")', project_number="@SUM(A1)")
    url = reverse("staff:course_report") + f"?occurrence={occurrence.pk}&format=csv"
    rows = list(csv.DictReader(io.StringIO(client.get(url).content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["Participant"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["Project number"] == "'@SUM(A1)"


def test_public_form_refuses_a_value_longer_than_its_column_and_stores_nothing(company):
    occurrence = make_occurrence(company)
    response = Client().post(_form_url(occurrence), {**GOOD, "phone": "0" * 41, "lang": "en"})
    assert response.status_code == 400
    assert "at most 40 characters" in response.content.decode()
    assert Registration.objects.count() == 0


def test_the_process_page_chooses_the_person_found_by_e_mail_in_swedish_too(client, company, settings):
    log_in(client, company)
    occurrence = make_occurrence(company)
    known = PersonFactory(company=company, name="A. Lind", email="anna.lind@firma.example")
    registration = submit(occurrence)
    url = reverse("staff:registration_process", args=[registration.pk])

    for language in ("sv", "en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.context["LANGUAGE_CODE"] == language
        assert page.context["form"].initial["participant"] == str(known.pk), language
