"""Portal logins: asking for a link (rate limited, the same answer and the same work for any
address; the link is looked up and sent by a task) and using it once."""

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
from fakturera.core.ratelimit import Limit, hit
from fakturera.core.tasks import enqueue_on_commit
from fakturera.core.urls import absolute_url
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.portal.mail import send_login_link
from fakturera.portal.models import LoginLink

logger = logging.getLogger(__name__)

LINK_MINUTES = 30


class TooManyAttempts(DomainError):
    code = "rate_limited"


class LinkRefused(DomainError):
    code = "link_refused"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def login_link_request(*, company: Company, email: str, ip_address: str | None, next_path: str = "") -> None:
    """Count the request, then queue the sending (`tasks.send_login_links`): a link to each
    person of the company with this e-mail. The request does the same work whatever the
    address, and never looks it up: its answer and its time tell nothing.

    Limited per e-mail address of the company (PORTAL_LOGIN_LIMIT_PER_EMAIL) and per client
    IP address (PORTAL_LOGIN_LIMIT_PER_IP) in core.ratelimit's shared counters; both count
    every request, refused ones too. Over either: TooManyAttempts, nothing queued."""
    address = normalise_email(email)
    refused = False
    per_ip = Limit.parse(settings.PORTAL_LOGIN_LIMIT_PER_IP)
    if per_ip is not None and ip_address:
        refused |= not hit("portal.login.ip", ip_address, per_ip).allowed
    per_email = Limit.parse(settings.PORTAL_LOGIN_LIMIT_PER_EMAIL)
    if per_email is not None:
        refused |= not hit("portal.login.email", f"{company.pk}:{address}", per_email).allowed
    if refused:
        raise TooManyAttempts(_("Too many login attempts. Wait a quarter of an hour and try again."))
    if not address:
        return
    from fakturera.portal.tasks import send_login_links

    enqueue_on_commit(send_login_links, company.pk, address, next_path)


def login_links_send(*, company_id: int, email: str, next_path: str = "") -> int:
    """The task's work: a new link for each *person* of the company with this e-mail
    (case-insensitive), each sent in the person's language. Returns how many were sent; a
    mail that cannot be sent is logged (the person asks again)."""
    company = Company.objects.filter(pk=company_id).first()
    address = normalise_email(email)
    if company is None or not address:
        return 0
    now = timezone.now()
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
        url = absolute_url(reverse("portal:login_link", args=[company.pk, token]))
        if next_path:
            url += "?" + urlencode({"next": next_path})
        try:
            send_login_link(company=company, customer=person, url=url, minutes=LINK_MINUTES)
        except Exception:
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
