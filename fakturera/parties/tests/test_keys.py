"""API keys, a company's credentials: only the hash of the secret is stored, the token
is shown once, a revoked or wrong token is refused with its reason, and a company
lists only its own keys. (What a request with a key gets: api/tests/test_api_keys.py.)"""

from __future__ import annotations

import hashlib

import pytest

from fakturera.core.errors import StateConflict, ValidationFailed
from fakturera.parties.keys import KeyRefused, api_key_authenticate, api_key_create, api_key_revoke, api_keys_of
from fakturera.parties.models import ApiKey
from fakturera.parties.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_the_secret_is_stored_only_as_its_hash(company, admin_user):
    created = api_key_create(company=company, name="Accounting", actor=admin_user)

    key = ApiKey.objects.get()
    secret = created.token.split("_", 2)[2]
    assert created.token.startswith(f"fk_{key.prefix}_")
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values().get())


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_key_needs_a_name_of_at_most_100_characters(company, admin_user, name):
    with pytest.raises(ValidationFailed):
        api_key_create(company=company, name=name, actor=admin_user)

    assert ApiKey.objects.count() == 0


def test_a_token_finds_its_live_key_with_its_company_and_creator(company, admin_user):
    created = api_key_create(company=company, name="CRM", actor=admin_user, is_read_only=True)

    key = api_key_authenticate(created.token)

    assert key.pk == created.key.pk
    assert (key.company, key.created_by, key.is_read_only) == (company, admin_user, True)
    assert ApiKey.objects.get().last_used_at is not None


@pytest.mark.parametrize("token", ["nonsense", "fk_00000000_wrongsecret", "xx_{prefix}_{secret}", "fk_{prefix}_wrong"])
def test_a_token_not_of_a_key_is_refused_as_invalid(company, admin_user, token):
    created = api_key_create(company=company, name="CRM", actor=admin_user)
    _fk, prefix, secret = created.token.split("_", 2)

    with pytest.raises(KeyRefused) as refused:
        api_key_authenticate(token.format(prefix=prefix, secret=secret))

    assert refused.value.code == "invalid_key"
    assert ApiKey.objects.get().last_used_at is None


def test_a_revoked_key_is_refused_and_cannot_be_revoked_again(company, admin_user):
    created = api_key_create(company=company, name="Old", actor=admin_user)

    revoked = api_key_revoke(key=created.key)

    assert revoked.is_revoked
    with pytest.raises(KeyRefused) as refused:
        api_key_authenticate(created.token)
    assert refused.value.code == "key_revoked"
    with pytest.raises(StateConflict):
        api_key_revoke(key=created.key)


def test_a_company_lists_its_own_keys_newest_first(company, admin_user):
    first = api_key_create(company=company, name="First", actor=admin_user).key
    second = api_key_create(company=company, name="Second", actor=admin_user).key
    api_key_revoke(key=first)
    api_key_create(company=CompanyFactory(), name="Theirs", actor=None)

    assert list(api_keys_of(company)) == [second, first]
