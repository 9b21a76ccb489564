"""Users and roles (Settings → Staff and roles): an administrator invites by e-mail (the
mail by a real SMTP server on loopback), the person accepts by the link, sets a password
or logs in and consents; roles change and people leave, never the last administrator;
the API keys of an administrator who leaves are disabled for review."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fakturera.core.tests.api_client import ApiClient
from fakturera.core.tests.smtp import SmtpServer
from fakturera.parties.keys import api_key_create
from fakturera.parties.models import ApiKey, CompanyUser, Invitation
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory, UserFactory
from fakturera.staff.tests.staff_clients import log_in

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/invitations/([^/\s]+)/")


@pytest.fixture
def smtp(settings):
    """The installation's mail server: a real one on loopback."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.DEFAULT_FROM_EMAIL = "no-reply@fakturera.example"
        yield server


def invite(client: Client, email: str, role: str, capture) -> object:
    with capture(execute=True):
        return client.post(reverse("staff:company_staff"), {"action": "invite", "email": email, "role": role})


def link_in(received) -> str:
    body = received.message.get_body().get_content()
    return "/invitations/" + LINK.search(body).group(1) + "/"


def test_an_invited_person_without_a_login_sets_a_password_and_works_in_the_role(
    client, company, smtp, django_capture_on_commit_callbacks
):
    # given an administrator who invites an accountant
    admin = log_in(client, company, role="admin")
    admin.first_name, admin.last_name = "Eva", "Admin"
    admin.save()

    response = invite(client, "Karin.Berg@Example.se", "accountant", django_capture_on_commit_callbacks)

    # then the mail goes out by the installation's server, with a link
    assert response.status_code == 302
    [received] = smtp.received
    assert received.recipients == ["Karin.Berg@Example.se"]
    assert received.message["From"].addresses[0].addr_spec == "no-reply@fakturera.example"
    assert received.message["Subject"] == f"Invitation to {company.name} in Fakturera"
    body = received.message.get_body().get_content()
    assert "Eva Admin invites you to work in Fakturera for" in body
    assert "as Accountant" in body
    link = link_in(received)
    invitation = Invitation.objects.get(company=company)
    assert invitation.sent_at is not None
    assert link.split("/")[2] not in invitation.token_hash  # only the hash is stored

    # when the person opens it without a login, chooses a name and a password
    person = Client()
    page = person.get(link)
    assert page.status_code == 200
    assert "Choose your name and a password" in page.content.decode()
    weak = person.post(link, {"name": "Karin Berg", "password": "kort", "password_again": "kort"})
    assert weak.status_code == 400
    assert any("too short" in error for error in weak.context["form"].errors["password"])
    accepted = person.post(
        link, {"name": "Karin Berg", "password": "lång-och-säker-1", "password_again": "lång-och-säker-1"}
    )

    # then they are logged in and work for the company as accountant
    assert accepted.status_code == 302
    membership = CompanyUser.objects.get(company=company, user__email="Karin.Berg@Example.se")
    assert membership.role == "accountant"
    assert membership.user.get_full_name() == "Karin Berg"
    assert membership.user.username == "karin.berg@example.se"
    assert person.get(reverse("staff:basis")).status_code == 200
    assert person.get(reverse("staff:company_settings")).status_code == 403
    # and the link was good once
    assert person.get(link).status_code == 410
    logged_in = Client().post(reverse("login"), {"username": "karin.berg@example.se", "password": "lång-och-säker-1"})
    assert (logged_in.status_code, logged_in["Location"]) == (302, reverse("staff:home"))


def test_a_user_of_another_company_must_log_in_and_consent_before_they_work_here(
    client, company, smtp, django_capture_on_commit_callbacks
):
    # given a user who works for another company, invited here
    other = StaffFactory(company=CompanyFactory(), role="admin").user
    log_in(client, company, role="admin")
    invite(client, other.email, "read_only", django_capture_on_commit_callbacks)
    link = link_in(smtp.received[0])

    # when someone opens the link without a login, they are asked to log in, no password form
    anonymous = Client().get(link)
    assert "There is already a login for" in anonymous.content.decode()
    assert "form" not in anonymous.context or anonymous.context.get("form") is None
    assert Client().post(link, {"name": "X", "password": "p" * 12, "password_again": "p" * 12}).status_code == 200
    assert not CompanyUser.objects.filter(company=company, user=other).exists()

    # and another logged-in user cannot accept it
    stranger = Client()
    stranger.force_login(UserFactory())
    assert "log out and log in as that user" in stranger.get(link).content.decode()
    stranger.post(link)
    assert not CompanyUser.objects.filter(company=company, user=other).exists()

    # when the invited user logs in: still nothing until they accept
    invited = Client()
    invited.force_login(other)
    page = invited.get(link)
    assert "Accept the invitation" in page.content.decode()
    assert not CompanyUser.objects.filter(company=company, user=other).exists()
    accepted = invited.post(link)

    # then they work here too, read-only, and keep their own company
    assert accepted.status_code == 302
    assert CompanyUser.objects.get(company=company, user=other).role == "read_only"
    assert CompanyUser.objects.filter(user=other).count() == 2
    assert invited.get(reverse("staff:basis")).context["company"] == company


def test_an_invitation_expires_can_be_sent_again_and_revoked(
    client, company, smtp, settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_MAX_AGE_DAYS = 7
    log_in(client, company, role="admin")
    invite(client, "ny@example.se", "accountant", django_capture_on_commit_callbacks)
    first = link_in(smtp.received[0])
    invitation = Invitation.objects.get(company=company)

    # an expired link is refused
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        expired = Client().get(first)
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()

    # sent again: a new link; the first one no longer works
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(reverse("staff:company_staff"), {"action": "resend", "invitation": invitation.pk})
    assert resent.status_code == 302
    second = link_in(smtp.received[1])
    assert second != first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200

    # inviting the same address twice is refused while one is open
    again = client.post(reverse("staff:company_staff"), {"action": "invite", "email": "ny@example.se", "role": "admin"})
    assert again.status_code == 400
    assert "already invited" in str(again.context["invite_form"].errors)

    # revoked: the link is dead and the list no longer shows it
    client.post(reverse("staff:company_staff"), {"action": "revoke", "invitation": invitation.pk})
    assert Client().get(second).status_code == 404
    assert 'id="invitation-' not in client.get(reverse("staff:company_staff")).content.decode()


def test_invitations_of_another_company_are_404_and_only_administrators_invite(client, company):
    other_invitation = Invitation.objects.create(company=CompanyFactory(), email="x@example.se", role="admin")
    log_in(client, company, role="admin")
    for action in ("resend", "revoke"):
        response = client.post(reverse("staff:company_staff"), {"action": action, "invitation": other_invitation.pk})
        assert response.status_code == 404

    accountant = Client()
    log_in(accountant, company, role="accountant")
    refused = accountant.post(reverse("staff:company_staff"), {"action": "invite", "email": "y@example.se"})
    assert refused.status_code == 403
    assert next(t.name for t in refused.templates) == "403.html"
    assert not Invitation.objects.filter(company=company).exists()


def test_the_users_page_changes_roles_removes_people_but_never_the_last_administrator(client, company):
    admin = log_in(client, company, role="admin")
    member = StaffFactory(company=company, role="read_only")
    url = reverse("staff:company_staff")

    assert client.post(url, {"action": "role", "member": member.pk, "role": "accountant"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "accountant"

    own = CompanyUser.objects.get(company=company, user=admin)
    refused = client.post(url, {"action": "role", "member": own.pk, "role": "read_only"})
    assert refused.status_code == 400
    assert "at least one administrator" in refused.content.decode()
    client.post(url, {"action": "remove", "member": own.pk})
    assert CompanyUser.objects.filter(pk=own.pk).exists()

    client.post(url, {"action": "remove", "member": member.pk})
    assert not CompanyUser.objects.filter(pk=member.pk).exists()


def test_the_api_keys_of_an_administrator_who_leaves_are_disabled_until_another_reviews_them(client, company):
    # given two administrators, one with a key in use
    admin = log_in(client, company, role="admin")
    leaving = StaffFactory(company=company, role="admin")
    token = api_key_create(company=company, name="CRM", actor=leaving.user).token
    api = ApiClient(token)
    assert api.get("/persons").status_code == 200

    # when they are removed from the company
    client.post(reverse("staff:company_staff"), {"action": "remove", "member": leaving.pk})

    # then their key stops working and the list says why
    key = ApiKey.objects.get(company=company)
    assert key.disabled_at is not None
    refused = api.get("/persons")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "key_disabled"
    page = client.get(reverse("staff:integrations")).content.decode()
    assert "Disabled because the administrator who answered for it" in page
    assert f"({leaving.user.username}) left on {timezone.localdate():%Y-%m-%d}" in page

    # when another administrator reviews and enables it, it works again and they answer for it
    client.post(reverse("staff:integrations"), {"action": "enable", "key": key.pk})
    key.refresh_from_db()
    assert (key.disabled_at, key.reviewed_by) == (None, admin)
    assert api.get("/persons").status_code == 200


def test_an_administrator_demoted_to_accountant_has_their_keys_disabled(client, company):
    log_in(client, company, role="admin")
    demoted = StaffFactory(company=company, role="admin")
    kept = StaffFactory(company=company, role="admin")
    api_key_create(company=company, name="Theirs", actor=demoted.user)
    api_key_create(company=company, name="Someone else's", actor=kept.user)

    client.post(reverse("staff:company_staff"), {"action": "role", "member": demoted.pk, "role": "accountant"})

    disabled = dict(ApiKey.objects.values_list("name", "disabled_at"))
    assert disabled["Theirs"] is not None
    assert disabled["Someone else's"] is None
