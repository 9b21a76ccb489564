"""Two-factor authentication for staff through the real login views: turning it on with a QR
code and a code, logging in with password then code (no staff page before the code), a
recovery code once, turning it off only with the password or a current code, and a company
that requires it for all its staff."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fakturera.parties.tests.factories import CompanyFactory, StaffFactory
from fakturera.staff import two_factor

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-1"  # parties/tests/factories.py


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or so many 30-second steps later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def log_in_with_password(client: Client, user, next_path: str = "/basis/"):
    return client.post(f"/login/?next={next_path}", {"username": user.username, "password": PASSWORD})


@pytest.fixture
def company():
    return CompanyFactory()


@pytest.fixture
def user(company):
    return StaffFactory(company=company, role="accountant").user


def turn_on(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    started = client.post("/account/security/", {"action": "start"})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    confirmed = client.post("/account/security/", {"action": "confirm", "code": code_of(device)})
    assert confirmed.status_code == 200, confirmed.content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", confirmed.content.decode())
    assert started.status_code == 200
    return TOTPDevice.objects.get(pk=device.pk), codes


def test_turning_on_shows_a_qr_code_and_needs_a_right_code(client, user):
    assert log_in_with_password(client, user).status_code == 302

    started = client.post("/account/security/", {"action": "start"})
    page = started.content.decode()
    device = TOTPDevice.objects.get(user=user)
    wrong = client.post("/account/security/", {"action": "confirm", "code": "000000"})
    with time_machine.travel(time.time() + 2):  # after a wrong code the next waits a second
        right = client.post("/account/security/", {"action": "confirm", "code": code_of(device)})

    assert '<svg width="' in page
    assert 'class="qr"' in page  # inline SVG markup: no data: URL, nothing for the CSP to refuse
    assert re.search(r'<code id="totp-secret">[A-Z2-7 ]+</code>', page)
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert right.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert len(re.findall(r"<li><code>[a-z0-9]+</code></li>", right.content.decode())) == 10
    assert "Two-factor authentication is on." in right.content.decode()
    # the session that turned it on stays in
    assert client.get("/basis/").status_code == 200


def test_with_two_factors_no_staff_page_opens_before_the_code(user):
    setup = Client()
    log_in_with_password(setup, user)
    device, _codes = turn_on(setup, user)

    client = Client()
    after_password = log_in_with_password(client, user, next_path="/invoices/")
    before_code = client.get("/customers/")
    wrong_code = client.post("/login/code/", {"code": "123456", "next": "/invoices/"})
    still_before = client.get("/basis/")
    with time_machine.travel(time.time() + 2):  # after a wrong code the next waits a second
        right_code = client.post("/login/code/", {"code": code_of(device, steps_ahead=1), "next": "/invoices/"})

    assert after_password.status_code == 302
    assert after_password.url == "/login/code/?next=%2Finvoices%2F"
    assert before_code.status_code == 302
    assert before_code.url.startswith("/login/code/?next=")
    assert wrong_code.status_code == 400
    assert "That code is not right" in wrong_code.content.decode()
    assert still_before.status_code == 302
    assert right_code.status_code == 302
    assert right_code.url == "/invoices/"
    assert client.get("/customers/").status_code == 200


def test_a_session_from_before_two_factors_were_turned_on_must_give_the_code(client, user):
    client.force_login(user)
    assert client.get("/basis/").status_code == 200
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)

    assert client.get("/basis/").url.startswith("/login/code/")
    assert client.get("/account/security/").url.startswith("/login/code/")


def test_a_recovery_code_logs_in_once(user):
    setup = Client()
    log_in_with_password(setup, user)
    _device, codes = turn_on(setup, user)

    first, second = Client(), Client()
    log_in_with_password(first, user)
    used = first.post("/login/code/", {"code": codes[0].upper(), "next": "/basis/"})
    log_in_with_password(second, user)
    again = second.post("/login/code/", {"code": codes[0], "next": "/basis/"})

    assert used.status_code == 302
    page = first.get("/basis/")
    assert page.status_code == 200
    assert "You logged in with a recovery code; 9 remain." in page.content.decode()
    assert again.status_code == 400
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_wrong_codes_in_a_row_are_slowed_down(user):
    setup = Client()
    log_in_with_password(setup, user)
    device, _codes = turn_on(setup, user)

    client = Client()
    log_in_with_password(client, user)
    for _attempt in range(3):
        client.post("/login/code/", {"code": "000000"})
    right_but_too_soon = client.post("/login/code/", {"code": code_of(device, steps_ahead=1)})

    assert right_but_too_soon.status_code == 400
    assert "Too many wrong codes in a row" in right_but_too_soon.content.decode()


def test_turning_off_needs_the_password_or_a_current_code(client, user):
    log_in_with_password(client, user)
    device, _codes = turn_on(client, user)

    refused = client.post("/account/security/", {"action": "disable", "proof": "a guess"})
    assert refused.status_code == 400
    assert two_factor.has_two_factor(user)

    with_code = client.post("/account/security/", {"action": "disable", "proof": code_of(device, steps_ahead=1)})
    assert with_code.status_code == 302
    assert not two_factor.has_two_factor(user)
    assert not StaticToken.objects.filter(device__user=user).exists()

    turn_on(client, user)
    with_password = client.post("/account/security/", {"action": "disable", "proof": PASSWORD})
    assert with_password.status_code == 302
    assert not two_factor.has_two_factor(user)


def test_a_company_that_requires_two_factors_sends_staff_without_them_to_set_them_up(client, company, user):
    company.requires_two_factor = True
    company.save()
    log_in_with_password(client, user)

    sent = client.get("/basis/")
    security = client.get("/account/security/")
    turn_on(client, user)

    assert sent.status_code == 302
    assert sent.url == "/account/security/"
    assert security.status_code == 200
    assert "requires two-factor authentication" in security.content.decode()
    assert client.get("/basis/").status_code == 200


def test_staff_of_a_requiring_company_may_still_switch_to_another(client, company, user):
    company.requires_two_factor = True
    company.save()
    other = CompanyFactory(name="Ö Annat AB")
    StaffFactory(company=other, user=user)
    client.force_login(user)
    session = client.session
    session["active_company_id"] = company.pk
    session.save()
    assert client.get("/basis/").url == "/account/security/"

    switched = client.post("/company/switch/", {"company": other.pk})

    assert switched.status_code == 302
    assert client.get("/basis/").status_code == 200


def test_an_administrator_sets_the_requirement_in_the_company_settings(client, company):
    from fakturera.staff.tests.test_company_settings import settings_post

    admin = StaffFactory(company=company, role="admin").user
    client.force_login(admin)

    page = client.get("/settings/").content.decode()
    saved = client.post("/settings/", settings_post(company, requires_two_factor="on"))

    assert 'name="requires_two_factor"' in page
    assert saved.status_code == 302
    company.refresh_from_db()
    assert company.requires_two_factor
    # the administrator has no second factor yet: the next page is the set-up
    assert client.get("/basis/").url == "/account/security/"
