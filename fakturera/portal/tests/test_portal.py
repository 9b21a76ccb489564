"""The client portal through the Django test client: the login link (same answer for any
address, rate limited, single use, 30 minutes), and a person's own invoices only."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import document_get
from fakturera.invoicing.tests.factories import ISSUED_ON, credit_note, draft_invoice, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory
from fakturera.portal.links import portal_invoice_url
from fakturera.portal.models import LoginLink
from fakturera.portal.tests.helpers import link_in

pytestmark = pytest.mark.django_db


def ask_for_link(client: Client, company, email: str, **extra):
    """Ask on the login page, then run what its commit queued (the task that sends the link)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("portal:login", args=[company.pk]), {"email": email}, **extra)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def log_in(client: Client, company, person) -> None:
    ask_for_link(client, company, person.email)
    url = link_in(mail.outbox[-1].body)
    response = client.post(path_of(url))
    assert response.status_code == 302


def test_a_person_gets_a_link_by_email_and_logs_in_with_it(company, admin_user, settings):
    settings.SITE_URL = "https://faktura.example.se"
    anna = PersonFactory(company=company, name="Anna Andersson", email="Anna@Example.se", language="en")
    issued_invoice(company, admin_user, customer=anna)
    client = Client()

    response = ask_for_link(client, company, "  anna@example.SE ")

    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["Anna@Example.se"]
    assert message.subject == f"Your login link for {company.name}"
    url = link_in(message.body)
    assert url.startswith(f"https://faktura.example.se/portal/{company.pk}/login/")
    assert "within 30 minutes" in message.body
    # Opening the link (as a mail scanner may) does not use it; the button does.
    page = client.get(path_of(url))
    assert "Welcome, Anna Andersson" in page.content.decode()
    response = client.post(path_of(url))
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{company.pk}/"
    assert "Anna Andersson" in client.get(response["Location"]).content.decode()


def test_the_same_page_for_an_unknown_address_an_organisation_and_a_person(company):
    person = PersonFactory(company=company, email="person@example.se")
    organisation = OrganisationFactory(company=company, email="org@example.se")
    pages = []

    for email in (person.email, organisation.email, "nobody@example.se"):
        response = ask_for_link(Client(), company, email)
        assert response.status_code == 200
        pages.append(response.content.decode().split('name="csrfmiddlewaretoken"')[0])

    assert pages[0] == pages[1] == pages[2]
    assert [m.to for m in mail.outbox] == [["person@example.se"]]
    assert not LoginLink.objects.filter(customer=organisation).exists()


def test_a_known_and_an_unknown_address_get_the_same_answer_and_the_link_comes_from_a_task(company):
    anna = PersonFactory(company=company, email="anna@example.se", language="en")
    url = reverse("portal:login", args=[company.pk])
    answers = []

    # when: a known and an unknown address ask, and what their commits queued is held back
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        for email in ("anna@example.se", "nobody@example.se"):
            response = Client().post(url, {"email": email})
            answers.append((response.status_code, response.content.decode().split('name="csrfmiddlewaretoken"')[0]))
            # then: the request itself looked nothing up and sent nothing
            assert mail.outbox == []
            assert not LoginLink.objects.exists()

    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert "Check your e-mail" in answers[0][1]
    assert len(queued) == 2  # one task for each, whatever the address

    # when: the tasks run, the known address gets its link and the unknown nothing
    for callback in queued:
        callback()
    [message] = mail.outbox
    assert message.to == ["anna@example.se"]
    assert LoginLink.objects.get().customer == anna
    assert client_logs_in(Client(), link_in(message.body))


def client_logs_in(client: Client, url: str) -> bool:
    return client.post(path_of(url)).status_code == 302


def test_another_companys_person_gets_no_link_here(company):
    other = CompanyFactory()
    PersonFactory(company=other, email="elsewhere@example.se")

    ask_for_link(Client(), company, "elsewhere@example.se")

    assert mail.outbox == []


def test_asking_too_often_is_stopped_per_email_and_per_ip(company):
    PersonFactory(company=company, email="anna@example.se")
    per_email, per_ip = 5, 20  # settings.PORTAL_LOGIN_LIMIT_PER_EMAIL and _PER_IP: in 15 minutes
    for _attempt in range(per_email):
        assert ask_for_link(Client(), company, "anna@example.se").status_code == 200

    stopped = ask_for_link(Client(), company, "anna@example.se", REMOTE_ADDR="10.0.0.9")

    assert stopped.status_code == 429
    assert "Too many login attempts" in stopped.content.decode()
    assert len(mail.outbox) == per_email
    for number in range(per_ip - per_email):
        ask_for_link(Client(), company, f"probe{number}@example.se")
    assert ask_for_link(Client(), company, "fresh@example.se").status_code == 429
    assert ask_for_link(Client(), company, "fresh@example.se", REMOTE_ADDR="10.0.0.8").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert ask_for_link(Client(), company, "anna@example.se").status_code == 200


def test_a_link_works_once(company):
    person = PersonFactory(company=company)
    client = Client()
    ask_for_link(client, company, person.email)
    url = path_of(link_in(mail.outbox[0].body))
    assert client.post(url).status_code == 302

    again = Client().post(url)
    shown = Client().get(url)

    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert "already been used" in shown.content.decode()


def test_a_link_expires_after_30_minutes(company):
    person = PersonFactory(company=company)
    ask_for_link(Client(), company, person.email)
    url = path_of(link_in(mail.outbox[0].body))

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        response = Client().post(url)

    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert LoginLink.objects.get().used_at is None


def test_a_made_up_or_other_companys_link_is_refused(company):
    person = PersonFactory(company=company)
    ask_for_link(Client(), company, person.email)
    url = path_of(link_in(mail.outbox[0].body))
    other = CompanyFactory()

    assert "not valid" in Client().post(f"/portal/{company.pk}/login/made-up-token/").content.decode()
    assert Client().post(url.replace(f"/portal/{company.pk}/", f"/portal/{other.pk}/")).status_code == 410
    assert LoginLink.objects.get().token_hash != url  # only the hash is stored
    assert len(LoginLink.objects.get().token_hash) == len(hashlib.sha256().hexdigest())


def test_a_person_sees_only_their_own_issued_invoices_and_credit_notes(company, admin_user):
    anna = PersonFactory(company=company, name="Anna")
    bertil = PersonFactory(company=company, name="Bertil")
    mine = issued_invoice(company, admin_user, "100", customer=anna, description="Annas behandling")
    credited = issued_invoice(company, admin_user, "300", customer=anna)
    # dated as the invoices before and after it: a series keeps its dates in order
    note = credit_note(credited, admin_user, issued_on=ISSUED_ON)
    draft_invoice(company, admin_user, "999", customer=anna, description="Utkast")
    theirs = issued_invoice(company, admin_user, "200", customer=bertil)
    client = Client()
    log_in(client, company, anna)

    page = client.get(reverse("portal:invoice_list", args=[company.pk])).content.decode()

    for shown in (mine, credited, note):
        assert f'/invoices/{shown.pk}/"' in page
    assert f"/invoices/{theirs.pk}/" not in page
    assert "999" not in page
    assert "-375.00" in page or "−375.00" in page or "-375,00" in page
    detail = client.get(reverse("portal:invoice_detail", args=[company.pk, mine.pk]))
    assert "Annas behandling" in detail.content.decode()
    assert client.get(reverse("portal:invoice_detail", args=[company.pk, theirs.pk])).status_code == 404
    assert client.get(reverse("portal:invoice_pdf", args=[company.pk, theirs.pk])).status_code == 404


def test_the_pdf_is_the_stored_document(company, admin_user):
    anna = PersonFactory(company=company)
    invoice = issued_invoice(company, admin_user, customer=anna)
    stored = document_get(invoice=invoice, fmt=DocumentFormat.PDF)
    client = Client()
    log_in(client, company, anna)

    response = client.get(reverse("portal:invoice_pdf", args=[company.pk, invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(stored.content)


def test_the_notice_link_leads_to_the_invoice_after_login(company, admin_user, settings):
    settings.SITE_URL = "http://testserver"
    anna = PersonFactory(company=company)
    invoice = issued_invoice(company, admin_user, customer=anna)
    client = Client()
    invoice_path = path_of(portal_invoice_url(invoice))
    assert invoice_path == f"/portal/{company.pk}/invoices/{invoice.pk}/"

    login_page = client.get(invoice_path, follow=True)
    assert login_page.redirect_chain[-1][0] == f"/portal/{company.pk}/login/?next={invoice_path}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(login_page.redirect_chain[-1][0], {"email": anna.email, "next": invoice_path})
    response = client.post(path_of(link_in(mail.outbox[0].body)))

    assert response["Location"] == invoice_path


def test_a_login_in_one_company_is_not_a_login_in_another(company, admin_user):
    anna = PersonFactory(company=company)
    other = CompanyFactory()
    client = Client()
    log_in(client, company, anna)

    response = client.get(reverse("portal:invoice_list", args=[other.pk]))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_staff_login_is_not_a_portal_login(company, admin_user):
    client = Client()
    client.force_login(admin_user)

    response = client.get(reverse("portal:invoice_list", args=[company.pk]))

    assert response.status_code == 302


def test_logging_out(company):
    anna = PersonFactory(company=company)
    client = Client()
    log_in(client, company, anna)

    client.post(reverse("portal:logout", args=[company.pk]))

    assert client.get(reverse("portal:invoice_list", args=[company.pk])).status_code == 302


def test_swedish_persons_get_swedish_mail(company, settings):
    from fakturera.core.tests.test_translations import _compile_swedish

    _compile_swedish()
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)
    PersonFactory(company=company, email="sv@example.se", language="sv")

    ask_for_link(Client(), company, "sv@example.se")

    assert mail.outbox[0].subject == f"Din inloggningslänk till {company.name}"


def test_the_login_link_comes_by_the_companys_own_smtp_server_when_its_e_mail_channel_is_active(company):
    from fakturera.core.tests.smtp import SmtpServer
    from fakturera.distribution.services import channel_setting_save
    from fakturera.distribution.tests.factories import email_channel

    company.name = "Kliniken Åre AB"
    company.save()
    anna = PersonFactory(company=company, name="Anna Andersson", email="anna@example.se", language="sv")
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, default=False)
        response = ask_for_link(Client(), company, "anna@example.se")
        # Switched off, the installation's own server (here Django's test outbox) takes over.
        channel_setting_save(company=company, channel="email", is_active=False, options={"host": "127.0.0.1"})
        ask_for_link(Client(), company, "anna@example.se")

    assert response.status_code == 200
    [received] = smtp.received
    assert received.recipients == [anna.email]
    assert received.message["From"].addresses[0].addr_spec == "faktura@klinik.example"
    assert received.message["From"].addresses[0].display_name == "Kliniken Åre AB"
    assert received.message["Subject"] == "Din inloggningslänk till Kliniken Åre AB"
    link = link_in(received.message.get_body().get_content())
    assert LoginLink.objects.filter(customer=anna, used_at=None).count() == 2
    assert Client().post(path_of(link)).status_code == 302
    [fallback] = mail.outbox
    assert fallback.to == [anna.email]


def test_by_the_installations_server_the_link_comes_from_the_companys_address_else_the_default(company, settings):
    settings.DEFAULT_FROM_EMAIL = "no-reply@fakturera.example"
    PersonFactory(company=company, email="anna@example.se")
    company.email = "info@klinik.example"
    company.save()

    ask_for_link(Client(), company, "anna@example.se")
    company.email = ""
    company.save()
    ask_for_link(Client(), company, "anna@example.se")

    assert [m.from_email for m in mail.outbox] == ["info@klinik.example", "no-reply@fakturera.example"]
    assert [m.to for m in mail.outbox] == [["anna@example.se"], ["anna@example.se"]]
