"""API keys, a company's credentials for its integrations: created (the token shown
once) and revoked by its administrators in the staff UI, listed there, and checked
by the API on every request (api/v1/auth.py). Only the SHA-256 of a secret is
stored (models.ApiKey)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.core import logs
from fakturera.core.errors import ErrorCollector, StateConflict
from fakturera.core.rows import select_one
from fakturera.parties.models import ApiKey, Company

TOKEN_PREFIX = "fk"  # noqa: S105 - the visible start of every token, not a secret
# A key's last-used time is written at most this often: a write per request would
# cost more than the request's own work, and a minute is as precise as anyone reads it.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    token: str  # shown once; only its hash is stored


@transaction.atomic
def api_key_create(*, company: Company, name: str, actor: Any, is_read_only: bool = False) -> NewApiKey:
    name = (name or "").strip()
    errors = ErrorCollector()
    if not name:
        errors.add("name", _("Give the key a name, such as the system that will use it."))
    elif len(name) > 100:
        errors.add("name", _("A name has at most 100 characters."))
    errors.raise_if_any()
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        company=company,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        is_read_only=is_read_only,
        created_by=actor,
    )
    return NewApiKey(key=key, token=f"{TOKEN_PREFIX}_{prefix}_{secret}")


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if updated != 1:
        raise StateConflict(_("This key is already revoked."))
    key.refresh_from_db()
    return key


def api_keys_disable_of(*, company: Company, user: Any) -> int:
    """Disable the live keys `user` answers for in `company` (made, or enabled again after
    review): they leave the company or stop being an administrator. Returns how many."""
    keys = ApiKey.objects.filter(company=company, revoked_at__isnull=True, disabled_at__isnull=True).filter(
        Q(created_by=user, reviewed_by__isnull=True) | Q(reviewed_by=user)
    )
    return keys.update(disabled_at=timezone.now(), disabled_because_of=user)


def api_key_enable(*, key: ApiKey, actor: Any) -> ApiKey:
    """Another administrator enables a disabled key after reviewing it, and answers for it from now on."""
    if key.disabled_because_of_id is not None and key.disabled_because_of_id == getattr(actor, "pk", None):
        raise StateConflict(_("Another administrator must review this key."))
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True, disabled_at__isnull=False).update(
        disabled_at=None, reviewed_by=actor, reviewed_at=timezone.now()
    )
    if updated != 1:
        raise StateConflict(_("This key is not disabled."))
    key.refresh_from_db()
    return key


def api_keys_of(company: Company) -> QuerySet[ApiKey]:
    """The company's keys, revoked ones too, newest first, with who created each."""
    return ApiKey.objects.filter(company=company).select_related("created_by", "disabled_because_of", "reviewed_by")


class KeyRefused(Exception):
    """Why a bearer token was not accepted: a code and a message (the API's 401)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def api_key_authenticate(token: str) -> ApiKey:
    """The live key of `fk_<prefix>_<secret>`, or KeyRefused."""
    kind, _sep, rest = token.strip().partition("_")
    prefix, _sep, secret = rest.partition("_")
    if kind != TOKEN_PREFIX or not prefix or not secret:
        raise KeyRefused("invalid_key", _("The API key is not of the form fk_<prefix>_<secret>."))
    # Every API request reads its key: one compiled statement (core.rows), not the ORM's.
    key = select_one(ApiKey, where="t0.prefix = %s", params=[prefix], related=("company", "created_by"))
    # Compared even when no key has this prefix, so the answer takes as long either way.
    expected = key.secret_hash if key is not None else "0" * 64
    if not hmac.compare_digest(expected, _hash(secret)) or key is None:
        raise KeyRefused("invalid_key", _("The API key is not valid."))
    if key.revoked_at is not None:
        raise KeyRefused("key_revoked", _("The API key was revoked."))
    if key.disabled_at is not None:
        raise KeyRefused(
            "key_disabled",
            _("The API key is disabled: the administrator who answered for it left the company."),
        )
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    # The rest of the request's log lines carry the key's company (core/logs.py).
    logs.bind(company_id=key.company_id)
    return key
