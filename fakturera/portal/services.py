"""Portal logins: asking for a link (rate limited, same answer for any address) and using it once."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.portal.mail import send_login_link
from fakturera.portal.models import LoginAttempt, LoginLink

logger = logging.getLogger(__name__)

LINK_MINUTES = 30
# Per window: a person who mistypes tries a few times; a script probing addresses is stopped.
RATE_WINDOW = dt.timedelta(minutes=15)
RATE_PER_EMAIL = 5
RATE_PER_IP = 20


class TooManyAttempts(DomainError):
    code = "rate_limited"


class LinkRefused(DomainError):
    code = "link_refused"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def login_link_request(*, company: Company, email: str, ip_address: str | None, next_path: str = "") -> int:
    """Send a login link to each person of the company with this e-mail. Returns how many were
    sent, which the caller must not show (the page is the same for any address)."""
    now = timezone.now()
    address = normalise_email(email)
    email_hash = _hash(f"{company.pk}:{address}")
    with transaction.atomic():
        LoginAttempt.objects.filter(at__lt=now - RATE_WINDOW).delete()
        recent = LoginAttempt.objects.filter(at__gte=now - RATE_WINDOW)
        by_ip = recent.filter(ip_address=ip_address).count() if ip_address else 0
        by_email = recent.filter(email_hash=email_hash).count()
        LoginAttempt.objects.create(company=company, ip_address=ip_address, email_hash=email_hash, at=now)
    if by_ip >= RATE_PER_IP or by_email >= RATE_PER_EMAIL:
        raise TooManyAttempts(_("Too many login attempts. Wait a quarter of an hour and try again."))
    if not address:
        return 0
    # Persons only: an organisation never logs in to the portal.
    persons = list(Customer.objects.filter(company=company, kind=CustomerKind.PERSON, email__iexact=address))
    sent = 0
    for person in persons:
        token = secrets.token_urlsafe(32)
        LoginLink.objects.create(
            company=company,
            customer=person,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=LINK_MINUTES),
        )
        url = settings.SITE_URL + reverse("portal:login_link", args=[company.pk, token])
        if next_path:
            url += "?" + urlencode({"next": next_path})
        try:
            send_login_link(company=company, customer=person, url=url, minutes=LINK_MINUTES)
        except Exception:
            # The page must look the same whether or not the address is known; staff see the log.
            logger.exception("portal login link to customer %s could not be sent", person.pk)
            continue
        sent += 1
    return sent


def _refusal(link: LoginLink | None, now: dt.datetime) -> LinkRefused:
    if link is None:
        return LinkRefused(_("This login link is not valid. Ask for a new one."))
    if link.used_at is not None:
        return LinkRefused(_("This login link has already been used. Ask for a new one."))
    if link.expires_at <= now:
        return LinkRefused(_("This login link has expired. Ask for a new one."))
    return LinkRefused(_("This login link is not valid. Ask for a new one."))


def _usable(link: LoginLink | None, now: dt.datetime) -> bool:
    return (
        link is not None
        and link.used_at is None
        and link.expires_at > now
        and link.customer.kind == CustomerKind.PERSON
    )


def login_link_check(*, company: Company, token: str) -> Customer:
    """The person a link would log in, without using it (the page with the log-in button)."""
    now = timezone.now()
    link = LoginLink.objects.select_related("customer").filter(company=company, token_hash=_hash(token)).first()
    if not _usable(link, now):
        raise _refusal(link, now)
    assert link is not None
    return link.customer


@transaction.atomic
def login_link_use(*, company: Company, token: str) -> Customer:
    """Use the link: only one request ever gets past the compare-and-set, however many race."""
    now = timezone.now()
    token_hash = _hash(token)
    # Only the link's own columns in the WHERE: a join would make Django update through an
    # `id IN (subquery)`, which PostgreSQL does not re-check after waiting for a racing update.
    used = LoginLink.objects.filter(
        company=company, token_hash=token_hash, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    link = LoginLink.objects.select_related("customer").filter(company=company, token_hash=token_hash).first()
    if used != 1 or link is None:
        raise _refusal(link, now)
    if link.customer.kind != CustomerKind.PERSON:
        raise LinkRefused(_("This login link is not valid. Ask for a new one."))
    return link.customer
