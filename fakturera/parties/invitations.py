"""Invitations: how a person comes to work for a company. No administrator attaches a login
to a company directly; the person accepts by the e-mailed link.

- `invitation_create`: an administrator invites an e-mail address to a role. The mail
  goes by a task on commit (`tasks.send_invitation_mail` -> `invitation_send`), which
  makes the link's token, stores its SHA-256 and the expiry
  (settings.INVITATION_MAX_AGE_DAYS), and sends it by the installation's mail server
  (core.mail). `invitation_resend` sends a new link (the earlier one stops working);
  `invitation_revoke` ends it.
- The link (`invitation_from_token`) is good once, until it expires. With no login of that
  e-mail address the person chooses a name and a password (`invitation_accept_new_user`,
  Django's password validation); with one, they log in as that user and accept
  explicitly (`invitation_accept`): only then is the CompanyUser created.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fakturera.core import mail
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict
from fakturera.core.tasks import enqueue_on_commit
from fakturera.core.urls import absolute_url
from fakturera.parties.models import Company, CompanyUser, Invitation, Role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def user_with_email(email: str) -> Any:
    """The login of this e-mail address (or of this user name), if there is one."""
    return get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).order_by("pk").first()


def invitations_pending(company: Company) -> QuerySet[Invitation]:
    return Invitation.objects.filter(company=company, accepted_at=None, revoked_at=None).select_related("invited_by")


@transaction.atomic
def invitation_create(*, company: Company, email: str, role: str, actor: Any) -> Invitation:
    email = (email or "").strip()
    errors = ErrorCollector()
    try:
        validate_email(email)
    except ValidationError:
        errors.add("email", _("Enter a valid e-mail address."))
    if role not in Role.values:
        errors.add("role", _("Unknown role."))
    errors.raise_if_any()
    member = CompanyUser.objects.filter(company=company).filter(
        Q(user__email__iexact=email) | Q(user__username__iexact=email)
    )
    if member.exists():
        raise DomainError(_("%(email)s already works for the company.") % {"email": email}, field="email")
    if invitations_pending(company).filter(email__iexact=email).exists():
        raise DomainError(
            _("%(email)s is already invited; send the invitation again from the list.") % {"email": email},
            field="email",
        )
    invitation = Invitation.objects.create(
        company=company, email=email, role=role, invited_by=actor, language=translation.get_language() or "sv"
    )
    _send_on_commit(invitation)
    return invitation


def _send_on_commit(invitation: Invitation) -> None:
    from fakturera.parties.tasks import send_invitation_mail

    enqueue_on_commit(send_invitation_mail, invitation.pk)


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if not invitation.is_pending:
        raise StateConflict(_("This invitation is no longer open."))
    _send_on_commit(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now(), token_hash=""
    )
    if updated != 1:
        raise StateConflict(_("This invitation is no longer open."))
    invitation.refresh_from_db()
    return invitation


def invitation_url(token: str) -> str:
    return absolute_url(reverse("staff:invitation", args=[token]))


def invitation_send(*, invitation_id: int) -> None:
    """A new link for a pending invitation, and the mail with it (the task). The token exists
    only in the mail; an earlier link stops working."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("company", "invited_by")
            .filter(pk=invitation_id, accepted_at=None, revoked_at=None)
            .first()
        )
        if invitation is None:
            return
        invitation.token_hash = _hash(token)
        invitation.expires_at = timezone.now() + _max_age()
        invitation.save(update_fields=["token_hash", "expires_at"])
    inviter = invitation.invited_by
    with translation.override(invitation.language):
        subject = _("Invitation to %(company)s in Fakturera") % {"company": invitation.company.name}
        body = _(
            "%(inviter)s invites you to work in Fakturera for %(company)s as %(role)s.\n\n"
            "Accept here:\n%(url)s\n\nThe link is valid for %(days)s days and can be used once. "
            "If you did not expect this, ignore this e-mail."
        ) % {
            "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else invitation.company.name,
            "company": invitation.company.name,
            "role": Role(invitation.role).label,
            "url": invitation_url(token),
            "days": settings.INVITATION_MAX_AGE_DAYS,
        }
    mail.send(mail.Message(sender=settings.DEFAULT_FROM_EMAIL, to=[invitation.email], subject=subject, body=body))
    Invitation.objects.filter(pk=invitation.pk, token_hash=invitation.token_hash).update(sent_at=timezone.now())


def invitation_from_token(token: str) -> Invitation:
    """The open invitation of a link; DomainError (code invalid, accepted, revoked or expired)."""
    invitation = None
    if token:
        invitation = Invitation.objects.select_related("company", "invited_by").filter(token_hash=_hash(token)).first()
    if invitation is None or invitation.revoked_at is not None:
        raise DomainError(
            _("This invitation link is not valid (it may have been revoked or sent again)."), code="invalid"
        )
    if invitation.accepted_at is not None:
        raise DomainError(_("This invitation has already been accepted."), code="accepted")
    if invitation.expires_at is None or invitation.expires_at <= timezone.now():
        raise DomainError(_("This invitation link has expired; ask for a new one."), code="expired")
    return invitation


def _accept(invitation: Invitation, user: Any) -> CompanyUser:
    membership = CompanyUser.objects.filter(company=invitation.company, user=user).first()
    if membership is None:
        membership = CompanyUser.objects.create(company=invitation.company, user=user, role=invitation.role)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    return membership


@transaction.atomic
def invitation_accept(*, token: str, user: Any) -> CompanyUser:
    """The logged-in `user` accepts: their consent, and only then their role in the company."""
    invitation = invitation_from_token(token)
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("company").get(pk=invitation.pk)
    invitation_from_token(token)  # again, under the lock: a link is used once
    if (user.email or "").strip().lower() != invitation.email.lower():
        raise DomainError(
            _("This invitation is for %(email)s; log in as that user to accept it.") % {"email": invitation.email},
            code="other_user",
        )
    return _accept(invitation, user)


@dataclass(frozen=True)
class NewMember:
    user: Any
    membership: CompanyUser


@transaction.atomic
def invitation_accept_new_user(*, token: str, name: str, password: str) -> NewMember:
    """A person without a login accepts: a user with the invited e-mail as user name and
    address, the name and password they chose (Django's password validation)."""
    invitation = invitation_from_token(token)
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("company").get(pk=invitation.pk)
    invitation_from_token(token)
    if user_with_email(invitation.email) is not None:
        raise DomainError(_("There is already a login for %(email)s; log in to accept.") % {"email": invitation.email})
    name = (name or "").strip()
    errors = ErrorCollector()
    if not name:
        errors.add("name", _("Give your name."))
    elif len(name) > 150:
        errors.add("name", _("A name has at most 150 characters."))
    first, _sep, last = name.partition(" ")
    user = get_user_model()(username=invitation.email.lower()[:150], email=invitation.email, first_name=first[:150])
    user.last_name = last.strip()[:150]
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        for message in exc.messages:
            errors.add("password", message)
    errors.raise_if_any()
    user.set_password(password)
    user.save()
    return NewMember(user=user, membership=_accept(invitation, user))
