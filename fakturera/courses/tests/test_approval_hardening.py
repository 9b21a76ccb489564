"""The manager's approval through the real pages: the e-mail carries the course's facts,
the two names and the link, nothing else typed on the public form; a manager address is
limited in how many approval e-mails it gets (beyond that the mail is held for staff); the
participant cannot name themself as manager; staff approve on the manager's behalf or
send the e-mail again (limited too), and the registration's history says who did what."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from fakturera.courses.models import Registration, RegistrationEvent, RegistrationEventKind
from fakturera.courses.states import RegistrationStatus
from fakturera.courses.tests.factories import make_occurrence
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Anna Lind",
    "email": "anna.lind@firma.example",
    "organisation_name": "Firma Ett AB",
    "org_number": "556036-0793",
    "peppol_id": "0007:5560360793",
    "project_number": "P-100",
    "manager_name": "Karin Chef",
    "manager_email": "chef@firma.example",
    "lang": "en",
}


@pytest.fixture(autouse=True)
def _no_limit_per_ip(settings):
    settings.COURSE_REGISTRATION_RATE_LIMIT = "0"


def _register(occurrence, client=None, **fields):
    """Post the public form and run what its commit queued (the approval e-mail task)."""
    url = reverse("course_register", args=[occurrence.registration_form.token])
    with TestCase.captureOnCommitCallbacks(execute=True):
        return (client or Client()).post(url, {**GOOD, **fields})


def _approval_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/register/approval/[^\s]+)", message.body).group(1)


def test_the_approval_mail_holds_the_course_facts_the_two_names_and_the_link_and_nothing_else(company):
    company.name = "Kursakademin Åre AB"
    company.save()
    occurrence = make_occurrence(company, approval=True)

    response = _register(
        occurrence,
        # One line each (a line break or tab is refused at the field, core.text), with markup and links.
        name="Anna Lind <a href='https://evil.example/x'> Bcc: spy@example.org",
        manager_name="Karin Chef www.evil.example",
        organisation_name="Win a prize at https://evil.example",
        project_number="CALL +46 70 000",
        phone="+46 70 123",
        message="Please visit https://evil.example/login and enter your password",
    )

    assert response.status_code == 302
    [sent] = mail.outbox
    assert sent.to == ["chef@firma.example"]
    assert sent.subject == (
        "Approve a course registration: Anna Lind a href 'https evil. example x' Bcc spy example. org"
    )
    body = sent.body
    assert body.startswith("Hello Karin Chef www. evil. example,\n")
    # The course's facts come from the company's own data.
    for fact in ("Projektledning i praktiken", "2026-12-07–2026-12-08", "Linköping", "4900 SEK", "Kursakademin Åre AB"):
        assert fact in body
    assert "/register/approval/" in body
    # Nothing else typed on the form: no link, address, organisation, reference, phone or message.
    assert "evil.example" not in body
    assert "https://evil" not in body
    for typed in ("anna.lind@firma.example", "Win a prize", "CALL", "+46", "password", "spy@example.org"):
        assert typed not in body
    assert Registration.objects.get().manager_name == "Karin Chef www.evil.example"


@pytest.mark.parametrize("typed", ["anna.lind@firma.example", "  ANNA.Lind@Firma.EXAMPLE ", "ANNA.LIND@FIRMA.EXAMPLE"])
def test_the_participants_own_address_as_manager_is_refused_at_the_field(company, typed):
    occurrence = make_occurrence(company, approval=True)

    response = _register(occurrence, manager_email=typed)

    assert response.status_code == 400
    errors = response.context["form"].errors["manager_email"]
    assert errors == [
        "This is your own e-mail address. Your manager approves the registration: give your manager's address."
    ]
    assert Registration.objects.count() == 0
    assert mail.outbox == []


def test_approval_mails_to_one_manager_address_are_limited_and_the_rest_held_for_staff(company, client, settings):
    settings.COURSE_APPROVAL_MAIL_LIMIT = "2/86400"
    occurrence = make_occurrence(company, approval=True)

    responses = [
        _register(occurrence, name=f"Deltagare {n}", email=f"d{n}@firma.example", manager_email=manager)
        for n, manager in enumerate(["chef@firma.example", "Chef@Firma.example", " CHEF@firma.example"])
    ]
    other = _register(occurrence, name="Bo Berg", email="bo@firma.example", manager_email="annan.chef@firma.example")

    # Every registration is recorded and thanked alike; the third mail to the address is held.
    assert [r.status_code for r in [*responses, other]] == [302] * 4
    assert [r["Location"] for r in responses] == [responses[0]["Location"]] * 3
    assert sorted(m.to[0].strip().lower() for m in mail.outbox) == [
        "annan.chef@firma.example",
        "chef@firma.example",
        "chef@firma.example",
    ]
    held = Registration.objects.get(name="Deltagare 2")
    assert held.status == RegistrationStatus.AWAITING_APPROVAL
    assert held.approval_mail_held
    assert list(Registration.objects.filter(approval_mail_held=True)) == [held]
    # Staff see it: on the occurrence's registrations and on the registration.
    log_in(client, company)
    listing = client.get(reverse("staff:occurrence_detail", args=[occurrence.pk])).content.decode()
    row = re.search(rf'<tr id="registration-{held.pk}">.*?</tr>', listing, re.S).group(0)
    assert "Approval e-mail held" in row
    assert listing.count("Approval e-mail held") == 1
    page = client.get(reverse("staff:registration_process", args=[held.pk])).content.decode()
    assert 'id="approval-mail-held"' in page
    assert "Approval e-mail to CHEF@firma.example held: that address has had its 2 e-mails in 24 hours." in page


def test_staff_approve_on_the_managers_behalf_and_the_history_names_them(company, client):
    occurrence = make_occurrence(company, approval=True)
    _register(occurrence)
    registration = Registration.objects.get()
    user = log_in(client, company)
    user.first_name, user.last_name = "Sara", "Stab"
    user.save()

    response = client.post(reverse("staff:registration_approve", args=[registration.pk]))

    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RECEIVED
    assert registration.decided_at is not None
    event = registration.events.get(kind=RegistrationEventKind.APPROVED_ON_BEHALF)
    assert event.actor == user
    assert event.params == {"manager": "chef@firma.example", "manager_name": "Karin Chef"}
    page = client.get(response["Location"]).content.decode()
    assert "The registration is approved on the manager&#x27;s behalf." in page
    assert "Approved by Sara Stab on behalf of the manager (chef@firma.example)." in page
    assert "Approval e-mail sent to chef@firma.example." in page
    # The manager's link now finds it decided; staff cannot approve it twice.
    manager = Client().post(_approval_path(mail.outbox[0]), {"decision": "decline"})
    assert manager.status_code == 409
    again = client.post(reverse("staff:registration_approve", args=[registration.pk]), follow=True)
    assert "This registration has already been decided." in again.content.decode()
    assert registration.events.filter(kind=RegistrationEventKind.APPROVED_ON_BEHALF).count() == 1


def test_a_read_only_user_can_neither_approve_nor_resend(company, client):
    occurrence = make_occurrence(company, approval=True)
    _register(occurrence)
    registration = Registration.objects.get()
    log_in(client, company, role="read_only")

    assert client.post(reverse("staff:registration_approve", args=[registration.pk])).status_code == 403
    assert client.post(reverse("staff:registration_resend_approval", args=[registration.pk])).status_code == 403
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.AWAITING_APPROVAL
    assert len(mail.outbox) == 1


def test_staff_resend_the_approval_mail_limited_like_the_first(company, client, settings):
    settings.COURSE_APPROVAL_MAIL_LIMIT = "1/3600"
    occurrence = make_occurrence(company, approval=True)
    _register(occurrence)
    registration = Registration.objects.get()
    user = log_in(client, company)
    url = reverse("staff:registration_resend_approval", args=[registration.pk])

    # The address had its one mail this hour: resending holds it.
    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = client.post(url, follow=True)
    assert len(mail.outbox) == 1
    assert "is held: that address has had as many approval e-mails as allowed for now" in refused.content.decode()
    registration.refresh_from_db()
    assert registration.approval_mail_held

    # An hour later it goes, and the manager's new link works.
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=1)):
        with TestCase.captureOnCommitCallbacks(execute=True):
            sent = client.post(url, follow=True)
        assert "The approval e-mail to chef@firma.example is on its way." in sent.content.decode()
        assert len(mail.outbox) == 2
        registration.refresh_from_db()
        assert not registration.approval_mail_held
        Client().post(_approval_path(mail.outbox[1]), {"decision": "approve"})
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RECEIVED
    kinds = list(registration.events.values_list("kind", "actor"))
    assert kinds == [
        (RegistrationEventKind.APPROVAL_MAIL_SENT, None),
        (RegistrationEventKind.APPROVAL_MAIL_RESEND, user.pk),
        (RegistrationEventKind.APPROVAL_MAIL_HELD, user.pk),
        (RegistrationEventKind.APPROVAL_MAIL_RESEND, user.pk),
        (RegistrationEventKind.APPROVAL_MAIL_SENT, None),
        (RegistrationEventKind.APPROVED, None),
    ]
    # A decided registration has nothing to resend.
    decided = client.post(url, follow=True)
    assert "This registration has already been decided." in decided.content.decode()
    assert RegistrationEvent.objects.filter(registration=registration).count() == len(kinds)


def test_the_approval_mail_in_swedish(company, swedish):
    occurrence = make_occurrence(company, approval=True)

    _register(occurrence, lang="sv")

    [sent] = mail.outbox
    assert sent.subject == "Godkänn en kursanmälan: Anna Lind"
    assert sent.body.startswith("Hej Karin Chef!\n\nAnna Lind har anmält sig till en kurs och anger dig som chefen")
    assert "Kurs: Projektledning i praktiken\nDatum: 2026-12-07–2026-12-08\nPlats: Linköping\n" in sent.body
    assert "Pris: 4900 SEK exklusive moms" in sent.body
