"""Logging in: an unknown username and a wrong password get the same answer after the same
work (the password hasher runs for both), repeated failures lock out that username from that
address only (django-axes) until the cool-off ends, with the same page for a username that
does not exist; passwords are held to Django's four validators."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.hashers import get_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.utils import timezone

from fakturera.core.client_ip import client_ip
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-1"  # parties/tests/factories.py


@pytest.fixture
def staff():
    return StaffFactory(company=CompanyFactory(), role="accountant").user


def _log_in(username: str, password: str, *, address: str = "203.0.113.7", client: Client | None = None):
    client = client or Client(REMOTE_ADDR=address)
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _error_of(response) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


def test_unknown_username_and_wrong_password_get_the_same_answer_after_the_same_work(staff):
    hasher = type(get_hasher())
    with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as wrong_password_work:
        wrong_password = _log_in(staff.username, "not-the-password")
    with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as unknown_user_work:
        unknown_user = _log_in("nobody-by-this-name", "not-the-password")

    assert wrong_password.status_code == unknown_user.status_code == 200
    assert _error_of(wrong_password) == _error_of(unknown_user)
    assert "Please enter a correct username and password" in _error_of(unknown_user)
    # the password is hashed once either way, so the time taken does not tell them apart
    assert wrong_password_work.call_count == unknown_user_work.call_count == 1


def test_repeated_failures_lock_out_that_username_from_that_address(staff):
    for _attempt in range(4):
        assert _log_in(staff.username, "wrong").status_code == 200

    fifth = _log_in(staff.username, "wrong")
    with_the_right_password = _log_in(staff.username, PASSWORD)

    assert fifth.status_code == 429
    assert with_the_right_password.status_code == 429
    page = with_the_right_password.content.decode()
    assert "Too many failed logins" in page
    assert "Try again in 15 minutes." in page
    assert 'class="topbar"' in page  # the staff design, not a bare text answer
    assert "_auth_user_id" not in with_the_right_password.wsgi_request.session


def test_a_lockout_from_elsewhere_does_not_lock_the_user_out_here(staff):
    for _attempt in range(5):
        _log_in(staff.username, "wrong", address="198.51.100.66")

    from_the_users_own_address = _log_in(staff.username, PASSWORD, address="203.0.113.7")

    assert from_the_users_own_address.status_code == 302
    assert from_the_users_own_address.url == "/"


def test_an_unknown_username_is_locked_out_the_same_way(staff):
    known, unknown = [], []
    for _attempt in range(6):
        known.append(_log_in(staff.username, "wrong"))
        unknown.append(_log_in("nobody-by-this-name", "wrong"))

    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [200] * 4 + [429] * 2
    assert _without_tokens(known[-1]) == _without_tokens(unknown[-1])


def _without_tokens(response) -> str:
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*', r"\1", response.content.decode())


def test_the_lockout_ends_after_the_cool_off_and_a_success_resets_the_count(staff):
    for _attempt in range(5):
        _log_in(staff.username, "wrong")
    assert _log_in(staff.username, PASSWORD).status_code == 429

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=False):
        assert _log_in(staff.username, PASSWORD).status_code == 302
        for _attempt in range(4):
            _log_in(staff.username, "wrong")
        # four failures after the success: not locked yet
        assert _log_in(staff.username, PASSWORD).status_code == 302


def test_force_login_and_the_api_are_not_axes_concern(client, staff):
    client.force_login(staff)
    assert client.get("/basis/").status_code == 200


def test_the_client_address_is_remote_addr_unless_proxies_are_trusted(settings):
    request = RequestFactory().get("/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # what our proxy saw, not what the client wrote
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.2"  # fewer hops than proxies: the header is not believed


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("kort-1", "too short"),
        ("password1234", "too common"),
        ("384756102938475", "entirely numeric"),
        ("anna.lindqvist", "too similar"),
    ],
)
def test_passwords_are_held_to_djangos_validators(staff, password, why):
    staff.username, staff.first_name, staff.last_name = "anna.lindqvist", "Anna", "Lindqvist"
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=staff)
    assert why in " ".join(refused.value.messages)


def test_a_long_uncommon_password_passes(staff):
    validate_password("grönt tåg vid åtta", user=staff)
