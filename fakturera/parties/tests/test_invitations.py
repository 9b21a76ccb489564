"""Invitations (parties/invitations.py): the token is made when the mail goes, stored only
hashed, good once; nobody becomes a member without accepting."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core import mail

from fakturera.core.errors import DomainError
from fakturera.parties.invitations import (
    invitation_accept,
    invitation_accept_new_user,
    invitation_create,
    invitation_from_token,
)
from fakturera.parties.models import CompanyUser, Invitation
from fakturera.parties.tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _token() -> str:
    return re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)


def test_the_token_is_stored_only_hashed_and_good_once(company, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(company=company, email="ny@example.se", role="read_only", actor=admin_user)
    token = _token()
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()

    new = invitation_accept_new_user(token=token, name="Ny Person", password="ett-långt-lösen-9")
    assert new.membership.role == "read_only"
    with pytest.raises(DomainError) as used:
        invitation_accept_new_user(token=token, name="Ny Igen", password="ett-långt-lösen-9")
    assert used.value.code == "accepted"
    with pytest.raises(DomainError):
        invitation_accept(token=token, user=new.user)


def test_nobody_is_a_member_until_they_accept(company, admin_user, django_capture_on_commit_callbacks):
    existing = UserFactory(email="finns@example.se")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(company=company, email="FINNS@example.se", role="admin", actor=admin_user)
    token = _token()
    assert not CompanyUser.objects.filter(company=company, user=existing).exists()

    # a new login for an address that has one is refused: they log in and accept instead
    with pytest.raises(DomainError):
        invitation_accept_new_user(token=token, name="Kapare", password="ett-långt-lösen-9")
    with pytest.raises(DomainError) as other:
        invitation_accept(token=token, user=UserFactory())
    assert other.value.code == "other_user"

    assert invitation_accept(token=token, user=existing).role == "admin"
    with pytest.raises(DomainError):
        invitation_from_token(token)


def test_a_member_or_a_bad_address_is_not_invited(company, admin_user):
    member = StaffFactory(company=company, role="accountant").user
    with pytest.raises(DomainError, match="already works for the company"):
        invitation_create(company=company, email=member.email, role="admin", actor=admin_user)
    with pytest.raises(DomainError):
        invitation_create(company=company, email="inte-en-adress", role="admin", actor=admin_user)
    with pytest.raises(DomainError):
        invitation_create(company=company, email="a@example.se", role="owner", actor=admin_user)
    assert not Invitation.objects.exists()
